"""Passive monitors of romformer_top's three interfaces: what the DUT did, from the pins.

They only observe (HandshakeTap samples after ReadOnly) and publish transactions:
`StreamMonitor` a `StreamBeat` per AXI4-Stream handshake, `AxiLiteMonitor` a `RegTxn` per
completed AXI4-Lite access (at its B / R handshake). Scoreboards and coverage take their
transactions from here, never from a driver or a prediction. A payload signal that is X/Z at a
handshake has no value to publish: the monitor raises XValueError naming the port and the time
(the protocol checker reports it as payload_x at the same sample), never reads it as 0.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from cocotb.triggers import Event

from tb.handshake import Handshake, HandshakeTap, Signal


class XValueError(AssertionError):
    """A payload signal was X/Z at a handshake: the monitor has no value to publish."""


def known(channel: str, hs: Handshake, name: str) -> int:
    """The value of payload signal `name` at handshake `hs`; XValueError naming the port and the
    time when it was X/Z (never read as 0: the protocol checker has reported it as payload_x)."""
    v = hs.payload[name]
    if v is None:
        raise XValueError(f"{channel.split('.')[0]}_{name} is X/Z at the {channel} handshake at {hs.time_ns} ns")
    return v

CLOCK_NS = 10.0


@dataclass
class StreamBeat:
    data: int
    last: bool
    time_ns: float          # the accepting rising edge
    index: int              # beats seen on this stream since the start
    stall_cycles: int       # cycles valid was high before the handshake (ready low)
    gap_cycles: int | None  # cycles from the previous handshake to this beat's valid (None: first)


@dataclass
class RegTxn:
    op: str                 # "read" / "write"
    addr: int
    data: int               # write data or read data
    strb: int
    resp: int
    start_ns: float         # request handshake (AW or AR)
    time_ns: float          # response handshake (B or R)


class StreamMonitor:
    def __init__(self, name: str, clk: Signal, rst_n: Signal, prefix: object, clock_ns: float = CLOCK_NS) -> None:
        d = prefix
        self.tap = HandshakeTap(name, clk, rst_n, d.tvalid, d.tready, {"tdata": d.tdata, "tlast": d.tlast})
        self.clock_ns = clock_ns
        self.beats: list[StreamBeat] = []
        self.listeners: list[Callable[[StreamBeat], None]] = []
        self.beat_seen = Event()
        self._prev_ns: float | None = None
        self.tap.handshake_listeners.append(self._on_handshake)
        self.tap.reset_listeners.append(self._on_reset)

    def start(self) -> StreamMonitor:
        self.tap.start()
        return self

    def _on_reset(self) -> None:
        self._prev_ns = None

    def _on_handshake(self, hs: Handshake) -> None:
        c = self.clock_ns
        gap = None if self._prev_ns is None else max(0, round((hs.valid_since_ns - self._prev_ns) / c))
        name = self.tap.name
        beat = StreamBeat(known(name, hs, "tdata"), bool(known(name, hs, "tlast")), hs.time_ns, len(self.beats),
                          max(0, round((hs.time_ns - hs.valid_since_ns) / c) - 1), gap)
        self._prev_ns = hs.time_ns
        self.beats.append(beat)
        for f in self.listeners:
            f(beat)
        self.beat_seen.set()

    async def wait_beats(self, n: int) -> None:
        """Until at least n beats were seen (the caller bounds it with with_timeout)."""
        while len(self.beats) < n:
            self.beat_seen.clear()
            await self.beat_seen.wait()


class _Bus:
    """Signals of one prefix, e.g. dut.m_axis_* -> .tvalid, .tdata, ..."""

    def __init__(self, dut: object, prefix: str) -> None:
        self._dut, self._prefix = dut, prefix

    def __getattr__(self, name: str) -> Signal:
        return getattr(self._dut, f"{self._prefix}_{name}")


def stream_bus(dut: object, prefix: str) -> _Bus:
    return _Bus(dut, prefix)


AXIL_CHANNELS = {"aw": ("awaddr",), "w": ("wdata", "wstrb"), "b": ("bresp",), "ar": ("araddr",),
                 "r": ("rdata", "rresp")}


class AxiLiteMonitor:
    """Pairs AW + W with B and AR with R, in order (AXI4-Lite has no IDs)."""

    def __init__(self, clk: Signal, rst_n: Signal, dut: object, prefix: str = "s_axil") -> None:
        bus = _Bus(dut, prefix)
        self.taps = {ch: HandshakeTap(f"{prefix}.{ch}", clk, rst_n, getattr(bus, f"{ch}valid"),
                                      getattr(bus, f"{ch}ready"), {p: getattr(bus, p) for p in names})
                     for ch, names in AXIL_CHANNELS.items()}
        self.pending: dict[str, deque[Handshake]] = {ch: deque() for ch in ("aw", "w", "ar")}
        self.txns: list[RegTxn] = []
        self.listeners: list[Callable[[RegTxn], None]] = []
        self.txn_seen = Event()
        for ch, tap in self.taps.items():
            tap.handshake_listeners.append(lambda hs, ch=ch: self._on_handshake(ch, hs))
        self.taps["aw"].reset_listeners.append(self._on_reset)

    def start(self) -> AxiLiteMonitor:
        for tap in self.taps.values():
            tap.start()
        return self

    def _on_reset(self) -> None:
        for q in self.pending.values():
            q.clear()

    def _on_handshake(self, ch: str, hs: Handshake) -> None:
        if ch in self.pending:
            self.pending[ch].append(hs)
            return
        if ch == "b":
            if not (self.pending["aw"] and self.pending["w"]):
                return                      # the protocol checker reports it
            aw, w = self.pending["aw"].popleft(), self.pending["w"].popleft()
            txn = RegTxn("write", known(self.taps["aw"].name, aw, "awaddr"), known(self.taps["w"].name, w, "wdata"),
                         known(self.taps["w"].name, w, "wstrb"), known(self.taps["b"].name, hs, "bresp"),
                         min(aw.time_ns, w.time_ns), hs.time_ns)
        else:
            if not self.pending["ar"]:
                return
            ar = self.pending["ar"].popleft()
            r = self.taps["r"].name
            txn = RegTxn("read", known(self.taps["ar"].name, ar, "araddr"), known(r, hs, "rdata"), 0xF,
                         known(r, hs, "rresp"), ar.time_ns, hs.time_ns)
        self.txns.append(txn)
        for f in self.listeners:
            f(txn)
        self.txn_seen.set()
