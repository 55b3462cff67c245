"""Every protocol check fires on a synthetic bad trace, and stays quiet on the legal one next to it.

The checkers (tb/checkers.py) are the same objects that ride on every top-level run; here they
are fed Samples / Handshakes directly, cycle by cycle."""
from __future__ import annotations

from collections import deque

import pytest

from tb.checkers import CHECKS, TOP_OUTPUTS, AxiLiteResponses, HandshakeRules, ProtocolLog, outputs_known
from tb.handshake import Handshake, Sample
from tb.monitors import AXIL_CHANNELS, AxiLiteMonitor, StreamMonitor, XValueError


def cycles(*rows: tuple[int | None, int, int, int]) -> list[Sample]:
    """(valid, ready, data, last) per cycle, out of reset."""
    return [Sample(v, r, (d, l), False, 10.0 * i) for i, (v, r, d, l) in enumerate(rows)]


# name -> (bad trace, the legal trace it is a mutation of)
STREAM_TRACES = {
    "valid_dropped": (cycles((1, 0, 5, 0), (0, 0, 5, 0)), cycles((1, 0, 5, 0), (1, 1, 5, 0), (0, 0, 5, 0))),
    "payload_changed": (cycles((1, 0, 5, 0), (1, 0, 6, 0)), cycles((1, 0, 5, 0), (1, 1, 5, 0), (1, 0, 6, 0))),
    "valid_x": (cycles((None, 0, 5, 0)), cycles((0, 0, 5, 0))),
    # X/Z payload or READY while VALID is high; the same X with VALID low is legal.
    "payload_x": (cycles((1, 1, None, 0)), cycles((0, 1, None, None), (1, 1, 5, 0))),
    "ready_x": (cycles((1, None, 5, 0), (1, 1, 5, 0)), cycles((0, None, 5, 0), (1, 1, 5, 0))),
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


def test_x_payload_names_the_port_and_the_time() -> None:
    log = ProtocolLog()
    rules = HandshakeRules("axil", "s_axil.r", log, ("rdata", "rresp"))
    for s in [Sample(0, 1, (None, None), False, 10.0), Sample(1, 0, (7, None), False, 20.0),
              Sample(1, 1, (None, 0), False, 30.0)]:
        rules.step(s)
    assert [str(v) for v in log.violations] == [
        "PROTOCOL axil.payload_x on s_axil.r at 20.0 ns: s_axil_rresp X/Z while VALID is high",
        "PROTOCOL axil.payload_x on s_axil.r at 30.0 ns: s_axil_rdata X/Z at the handshake",
        "PROTOCOL axil.payload_changed on s_axil.r at 30.0 ns: payload (7, None) -> (None, 0) while stalled"]


@pytest.mark.parametrize("tdata,tlast", [(None, 0), (5, None)])
def test_stream_monitor_never_reads_x_as_zero(tdata: int | None, tlast: int | None) -> None:
    """A handshake whose TDATA or TLAST is X/Z: the monitor publishes no beat and names the port."""
    monitor = StreamMonitor.__new__(StreamMonitor)
    monitor.tap = type("Tap", (), {"name": "m_axis"})()
    monitor.clock_ns, monitor.beats, monitor.listeners, monitor._prev_ns = 10.0, [], [], None
    bad = "m_axis_tdata" if tdata is None else "m_axis_tlast"
    with pytest.raises(XValueError, match=rf"{bad} is X/Z at the m_axis handshake at 120.0 ns"):
        monitor._on_handshake(Handshake({"tdata": tdata, "tlast": tlast}, 120.0, 100.0))
    assert monitor.beats == []


@pytest.mark.parametrize("channel,payload", [("b", {"bresp": None}), ("r", {"rdata": None, "rresp": 0}),
                                             ("r", {"rdata": 3, "rresp": None})])
def test_axil_monitor_never_reads_x_as_zero(channel: str, payload: dict) -> None:
    monitor = AxiLiteMonitor.__new__(AxiLiteMonitor)
    monitor.taps = {ch: type("Tap", (), {"name": f"s_axil.{ch}"})() for ch in AXIL_CHANNELS}
    monitor.pending = {ch: deque() for ch in ("aw", "w", "ar")}
    monitor.pending["aw"].append(Handshake({"awaddr": 4}, 10.0, 10.0))
    monitor.pending["w"].append(Handshake({"wdata": 1, "wstrb": 15}, 10.0, 10.0))
    monitor.pending["ar"].append(Handshake({"araddr": 8}, 10.0, 10.0))
    monitor.txns, monitor.listeners = [], []
    bad = next(k for k, v in payload.items() if v is None)
    with pytest.raises(XValueError, match=rf"s_axil_{bad} is X/Z at the s_axil.{channel} handshake at 50.0 ns"):
        monitor._on_handshake(channel, Handshake(payload, 50.0, 40.0))
    assert monitor.txns == []


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


def quiet_outputs() -> dict[str, int | None]:
    """romformer_top's outputs just after reset: every handshake output low, payloads X (legal)."""
    out: dict[str, int | None] = {}
    for ctrl, payload in TOP_OUTPUTS.items():
        out[ctrl] = 0
        out.update(dict.fromkeys(payload))
    return out


@pytest.mark.parametrize("change,fired", [
    ({}, []),
    ({"s_axis_tready": 1, "s_axil_awready": 1}, []),
    ({"s_axil_rvalid": 1, "s_axil_rdata": 5, "s_axil_rresp": 0}, []),
    ({"s_axis_tready": None}, ["s_axis_tready is X/Z after reset"]),
    ({"m_axis_tvalid": None, "s_axil_bvalid": None}, ["m_axis_tvalid is X/Z after reset", "s_axil_bvalid is X/Z after reset"]),
    ({"m_axis_tvalid": 1, "m_axis_tdata": 3}, ["m_axis_tlast is X/Z after reset while m_axis_tvalid is high"]),
    ({"s_axil_rvalid": 1, "s_axil_rresp": 0}, ["s_axil_rdata is X/Z after reset while s_axil_rvalid is high"]),
])
def test_outputs_after_reset(change: dict, fired: list[str]) -> None:
    log = ProtocolLog()
    outputs_known({**quiet_outputs(), **change}, 55.0, log)
    assert [v.detail for v in log.violations] == fired
    assert {v.check for v in log.violations} <= {"reset.output_x"} and all(v.time_ns == 55.0 for v in log.violations)


def test_every_check_is_shown_to_fire() -> None:
    shown = {f"{k}.{c}" for k in ("axis", "axil") for c in STREAM_TRACES} | {f"axil.{c}" for c in AXIL_TRACES}
    shown.add("reset.output_x")             # test_outputs_after_reset
    assert shown == set(CHECKS)
