"""Every protocol check fires on a synthetic bad trace, and stays quiet on the legal one next to it.

The checkers (tb/checkers.py) are the same objects that ride on every top-level run; here they
are fed Samples / Handshakes directly, cycle by cycle."""
from __future__ import annotations

import pytest

from tb.checkers import CHECKS, AxiLiteResponses, HandshakeRules, ProtocolLog
from tb.handshake import Handshake, Sample


def cycles(*rows: tuple[int | None, int, int, int]) -> list[Sample]:
    """(valid, ready, data, last) per cycle, out of reset."""
    return [Sample(v, r, (d, l), False, 10.0 * i) for i, (v, r, d, l) in enumerate(rows)]


# name -> (bad trace, the legal trace it is a mutation of)
STREAM_TRACES = {
    "valid_dropped": (cycles((1, 0, 5, 0), (0, 0, 5, 0)), cycles((1, 0, 5, 0), (1, 1, 5, 0), (0, 0, 5, 0))),
    "payload_changed": (cycles((1, 0, 5, 0), (1, 0, 6, 0)), cycles((1, 0, 5, 0), (1, 1, 5, 0), (1, 0, 6, 0))),
    "valid_x": (cycles((None, 0, 5, 0)), cycles((0, 0, 5, 0))),
}


def run_stream(kind: str, samples: list[Sample]) -> set[str]:
    log = ProtocolLog()
    rules = HandshakeRules(kind, "ch", log)
    for s in samples:
        rules.step(s)
    return log.names()


@pytest.mark.parametrize("kind", ["axis", "axil"])
@pytest.mark.parametrize("check", sorted(STREAM_TRACES))
def test_handshake_check_fires(kind: str, check: str) -> None:
    bad, good = STREAM_TRACES[check]
    assert run_stream(kind, bad) == {f"{kind}.{check}"}
    assert run_stream(kind, good) == set()


def test_tlast_change_while_stalled_fires() -> None:
    assert run_stream("axis", cycles((1, 0, 5, 0), (1, 0, 5, 1))) == {"axis.payload_changed"}


def test_reset_clears_a_stall() -> None:
    trace = cycles((1, 0, 5, 0)) + [Sample(0, 0, (0, 0), True, 10.0)] + cycles((0, 0, 0, 0))
    assert run_stream("axis", trace) == set()


def hs(**payload: int) -> Handshake:
    return Handshake(payload, 0.0, 0.0)


AXIL_TRACES = {
    "b_without_request": ([("aw", hs(awaddr=0)), ("b", hs(bresp=0))],
                          [("aw", hs(awaddr=0)), ("w", hs(wdata=1, wstrb=15)), ("b", hs(bresp=0))]),
    "r_without_request": ([("r", hs(rdata=0, rresp=0))], [("ar", hs(araddr=0)), ("r", hs(rdata=0, rresp=0))]),
    "resp_illegal": ([("ar", hs(araddr=0)), ("r", hs(rdata=0, rresp=1))],
                     [("ar", hs(araddr=0)), ("r", hs(rdata=0, rresp=2))]),
    "request_unanswered": ([("ar", hs(araddr=0))], [("ar", hs(araddr=0)), ("r", hs(rdata=0, rresp=0))]),
}


def run_axil(events: list[tuple[str, Handshake]]) -> set[str]:
    log = ProtocolLog()
    rules = AxiLiteResponses(log)
    for ch, h in events:
        rules.handshake(ch, h)
    rules.final(0.0)
    return log.names()


@pytest.mark.parametrize("check", sorted(AXIL_TRACES))
def test_axil_check_fires(check: str) -> None:
    bad, good = AXIL_TRACES[check]
    assert run_axil(bad) == {f"axil.{check}"}
    assert run_axil(good) == set()


def test_every_check_is_shown_to_fire() -> None:
    shown = {f"{k}.{c}" for k in ("axis", "axil") for c in STREAM_TRACES} | {f"axil.{c}" for c in AXIL_TRACES}
    assert shown == set(CHECKS)
