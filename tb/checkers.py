"""Protocol checkers: AXI4-Stream and AXI4-Lite rules on observed samples and handshakes.

The rules are plain Python state machines fed with `Sample`s / `Handshake`s (tb/handshake.py),
so a test can feed them a synthetic bad trace (tests/test_checkers.py) and the same code runs
attached to every top-level simulation (`attach_stream_checker`, `attach_axil_checker`).
Every violation names its check; `CHECKS` lists them all.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from tb.handshake import Handshake, HandshakeTap, Sample


@dataclass(frozen=True)
class Violation:
    check: str          # e.g. "axis.valid_dropped"
    channel: str
    time_ns: float
    detail: str

    def __str__(self) -> str:
        return f"PROTOCOL {self.check} on {self.channel} at {self.time_ns} ns: {self.detail}"


Report = Callable[[Violation], None]


class HandshakeRules:
    """valid/ready rules of one channel: valid never X/Z outside reset; while valid is high, ready
    and every payload signal are 0/1 (X/Z there would make the transfer, or what it carries,
    undefined: a monitor must not read it as a number); once valid is high without ready, valid
    stays high and the payload stays stable until the handshake."""

    CHECKS = ("valid_x", "ready_x", "payload_x", "valid_dropped", "payload_changed")

    def __init__(self, kind: str, channel: str, report: Report, names: tuple[str, ...] = ()) -> None:
        self.kind, self.channel, self.report = kind, channel, report
        self.names = names              # the payload signals' names, in Sample.payload order
        self.stalled: tuple[int | None, ...] | None = None

    def pin(self, i: int) -> str:
        """The port name of payload signal i: channel "s_axil.r" + "rdata" -> s_axil_rdata."""
        name = self.names[i] if i < len(self.names) else f"payload{i}"
        return f"{self.channel.split('.')[0]}_{name}"

    def _fail(self, check: str, s: Sample, detail: str) -> None:
        self.report(Violation(f"{self.kind}.{check}", self.channel, s.time_ns, detail))

    def step(self, s: Sample) -> None:
        if s.in_reset:
            self.stalled = None
            return
        if s.valid is None:
            self._fail("valid_x", s, "VALID is X/Z")
        if s.valid == 1:
            at = "at the handshake" if s.ready == 1 else "while VALID is high"
            if s.ready is None:
                self._fail("ready_x", s, "READY is X/Z while VALID is high")
            unknown = [self.pin(i) for i, v in enumerate(s.payload) if v is None]
            if unknown:
                self._fail("payload_x", s, f"{', '.join(unknown)} X/Z {at}")
        if self.stalled is not None:
            if s.valid != 1:
                self._fail("valid_dropped", s, "VALID fell before READY")
            elif s.payload != self.stalled:
                self._fail("payload_changed", s, f"payload {self.stalled} -> {s.payload} while stalled")
        self.stalled = s.payload if s.valid == 1 and s.ready != 1 else None


class AxiLiteResponses:
    """AXI4-Lite transaction rules: exactly one B per (AW, W) pair and one R per AR, never a
    response without its request; RESP legal (OKAY or SLVERR: the register map's two)."""

    CHECKS = ("b_without_request", "r_without_request", "resp_illegal", "request_unanswered")
    LEGAL_RESP = (0, 2)

    def __init__(self, report: Report) -> None:
        self.report = report
        self.counts = dict.fromkeys(("aw", "w", "b", "ar", "r"), 0)

    def reset(self) -> None:
        self.counts = dict.fromkeys(self.counts, 0)

    def handshake(self, channel: str, hs: Handshake) -> None:
        c = self.counts
        c[channel] += 1
        if channel == "b" and c["b"] > min(c["aw"], c["w"]):
            self.report(Violation("axil.b_without_request", "b", hs.time_ns,
                                  f"B #{c['b']} after {c['aw']} AW and {c['w']} W"))
        if channel == "r" and c["r"] > c["ar"]:
            self.report(Violation("axil.r_without_request", "r", hs.time_ns, f"R #{c['r']} after {c['ar']} AR"))
        if channel in ("b", "r"):
            resp = hs.payload.get(f"{channel}resp")
            if resp not in self.LEGAL_RESP:
                self.report(Violation("axil.resp_illegal", channel, hs.time_ns, f"{channel.upper()}RESP {resp}"))

    def final(self, time_ns: float) -> None:
        """At the end of a test: every request answered (one response per request)."""
        c = self.counts
        if min(c["aw"], c["w"]) > c["b"] or c["ar"] > c["r"]:
            self.report(Violation("axil.request_unanswered", "b/r", time_ns,
                                  f"AW {c['aw']} W {c['w']} B {c['b']} AR {c['ar']} R {c['r']}"))


# romformer_top's outputs: each handshake output with the payload outputs that must be 0/1 while it is high.
TOP_OUTPUTS: dict[str, tuple[str, ...]] = {
    "s_axis_tready": (),
    "m_axis_tvalid": ("m_axis_tdata", "m_axis_tlast"),
    "s_axil_awready": (),
    "s_axil_wready": (),
    "s_axil_bvalid": ("s_axil_bresp",),
    "s_axil_arready": (),
    "s_axil_rvalid": ("s_axil_rdata", "s_axil_rresp"),
}
RESET_CHECKS = ("output_x",)


def outputs_known(values: Mapping[str, int | None], time_ns: float, report: Report) -> None:
    """After reset (the first clock edge with rst_n high): every handshake output of the chip is 0/1,
    and so are the payload outputs of a VALID that is high. `values` maps each TOP_OUTPUTS name to
    its value (None: X/Z)."""
    for ctrl, payload in TOP_OUTPUTS.items():
        if values[ctrl] is None:
            report(Violation("reset.output_x", ctrl, time_ns, f"{ctrl} is X/Z after reset"))
        elif values[ctrl] == 1:
            for name in payload:
                if values[name] is None:
                    report(Violation("reset.output_x", name, time_ns, f"{name} is X/Z after reset while {ctrl} is high"))


CHECKS: tuple[str, ...] = tuple(f"{k}.{c}" for k in ("axis", "axil") for c in HandshakeRules.CHECKS) + tuple(
    f"axil.{c}" for c in AxiLiteResponses.CHECKS) + tuple(f"reset.{c}" for c in RESET_CHECKS)


@dataclass
class ProtocolLog:
    """Collects violations; `strict` raises at the first one (the default in benches)."""
    violations: list[Violation] = field(default_factory=list)
    listeners: list[Report] = field(default_factory=list)

    def __call__(self, v: Violation) -> None:
        self.violations.append(v)
        for f in self.listeners:
            f(v)

    def names(self) -> set[str]:
        return {v.check for v in self.violations}


def attach_stream_checker(tap: HandshakeTap, report: Report) -> HandshakeRules:
    rules = HandshakeRules("axis", tap.name, report, tuple(tap.payload))
    tap.sample_listeners.append(rules.step)
    return rules


def attach_axil_checker(taps: dict[str, HandshakeTap], report: Report) -> AxiLiteResponses:
    resp = AxiLiteResponses(report)
    for ch, tap in taps.items():
        tap.sample_listeners.append(HandshakeRules("axil", tap.name, report, tuple(tap.payload)).step)
        tap.handshake_listeners.append(lambda hs, ch=ch: resp.handshake(ch, hs))
    next(iter(taps.values())).reset_listeners.append(resp.reset)
    return resp


def feed(rules: HandshakeRules, samples: Iterable[Sample]) -> None:
    for s in samples:
        rules.step(s)
