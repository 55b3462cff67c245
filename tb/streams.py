"""AXI4-Stream drivers of the chip: cocotbext-axi's AxiStreamSource / AxiStreamSink (16-bit
token beats, byte_size=16, active-low reset), plus seeded pacing.

Pacing never runs a per-clock generator (cocotbext-axi's pause generators wake Python every
cycle): idle gaps before each prompt beat are one timer each (PromptSource); ready-low stretches
before each accepted token are set on the sink's `pause` flag by `Pacer`, once per beat. What was
transferred is observed by the passive monitors (tb/monitors.py), never taken from here.
"""
from __future__ import annotations

import random
from collections.abc import Iterator

import cocotb
from cocotb.triggers import First, ReadOnly, RisingEdge, Timer, with_timeout
from cocotbext.axi import AxiStreamBus, AxiStreamFrame, AxiStreamSink, AxiStreamSource

from tb.handshake import hold_in_reset, value_of

CLOCK_NS = 10.0
TOKEN_BITS = 16


def idle_none() -> Iterator[int]:
    while True:
        yield 0


def idle_random(rng: random.Random, p_gap: float = 0.3, max_gap: int = 20) -> Iterator[int]:
    while True:
        yield rng.randint(1, max_gap) if rng.random() < p_gap else 0


def idle_long(rng: random.Random, p_stall: float = 0.3, lo: int = 50, hi: int = 400) -> Iterator[int]:
    """Mostly no gap, sometimes a long stretch (lo..hi cycles): long random ready-low periods."""
    while True:
        yield rng.randint(lo, hi) if rng.random() < p_stall else 0


class Pacer:
    """Holds a sink's TREADY low for `next(cycles)` cycles after each TVALID rises (the sink is
    paused at rest, released after the stretch, paused again at the handshake). One wake-up per
    change of the bus and a single Timer per stretch; no per-clock generator."""

    def __init__(self, bfm: AxiStreamSink, cycles: Iterator[int], clock_ns: float = CLOCK_NS) -> None:
        self.bfm, self.cycles, self.clock_ns = bfm, cycles, clock_ns
        bus = bfm.bus
        self.clk, self.valid, self.ready = bfm.clock, bus.tvalid, bus.tready
        self.bfm.pause = True
        self.task = cocotb.start_soon(self._run())

    async def _release_after(self, n: int) -> None:
        """Called just after a rising edge: unpause so the sink raises TREADY n cycles on."""
        if n > 0:
            await Timer((n - 0.5) * self.clock_ns, unit="ns")
        self.bfm.pause = False

    async def _run(self) -> None:
        while True:
            await ReadOnly()
            valid, ready = value_of(self.valid), value_of(self.ready)
            if valid == 1 and ready == 1:                 # a handshake at the next edge
                self.bfm.pause = True
                await RisingEdge(self.clk)
                continue
            if valid == 1 and self.bfm.pause:
                await RisingEdge(self.clk)
                await self._release_after(next(self.cycles))
                continue
            await First(self.valid.value_change, self.ready.value_change)

    def stop(self) -> None:
        self.task.cancel()
        self.bfm.pause = False


def axis_bus(dut: object, prefix: str) -> AxiStreamBus:
    return AxiStreamBus.from_prefix(dut, prefix)


class BeatBus(AxiStreamBus):
    """s_axis without TLAST: TDATA, TVALID, TREADY (PromptSource drives TLAST itself)."""
    _optional_signals = ["tvalid", "tready"]


class PromptSource:
    """Prompts on s_axis, optionally with idle gaps before each beat (seeded, in cycles).

    cocotbext-axi's AxiStreamSource drives TDATA / TVALID, one single-beat frame per token; this
    class drives TLAST (the source's bus has no TLAST: a frame here is one transfer, the prompt
    is the sequence of them). After a gap, a beat is queued only when TREADY is high, so the
    source does not sit on a stalled beat polling every clock while the core runs a forward pass
    (thousands of cycles). Without a gap the next beat follows back to back when the current
    one is being accepted (full throughput into the skid buffer)."""

    def __init__(self, dut: object, clk: object, rst_n: object, gaps: Iterator[int] | None = None,
                 prefix: str = "s_axis", clock_ns: float = CLOCK_NS) -> None:
        self.tlast, self.tready = getattr(dut, f"{prefix}_tlast"), getattr(dut, f"{prefix}_tready")
        self.tvalid, self.clk = getattr(dut, f"{prefix}_tvalid"), clk
        self.bfm = AxiStreamSource(BeatBus.from_prefix(dut, prefix), clk, rst_n, reset_active_level=False,
                                   byte_size=TOKEN_BITS)
        hold_in_reset(rst_n, self.bfm)
        self.tlast.value = 0
        self.gaps, self.clock_ns = gaps, clock_ns

    async def _until_ready(self) -> None:
        await ReadOnly()
        if value_of(self.tready) != 1:
            await RisingEdge(self.tready)   # the core freed a skid slot
        else:
            await Timer(1, unit="ps")       # leave the read-only phase to drive

    async def _accepted_at_next_edge(self) -> bool:
        """True when the beat on the bus (once the source has put it there) is taken at the next edge."""
        for _ in range(2):
            await ReadOnly()
            if value_of(self.tvalid) == 1:
                return value_of(self.tready) == 1
            await RisingEdge(self.clk)      # a queued beat goes on the bus at this edge
        return False

    async def _send(self, tokens: list[int]) -> None:
        for i, tok in enumerate(tokens):
            last = int(i == len(tokens) - 1)
            frame = AxiStreamFrame([tok & 0xFFFF])
            gap = next(self.gaps) if self.gaps is not None else 0
            if i and not gap and await self._accepted_at_next_edge():
                await self.bfm.send(frame)      # back to back: on the bus at that very edge
                await RisingEdge(self.clk)
                self.tlast.value = last
                continue
            if i:
                await Timer(1, unit="ps")       # out of the read-only phase
            await self.bfm.wait()               # the previous beat was accepted
            if gap:
                await Timer((gap - 0.5) * self.clock_ns, unit="ns")
            await self._until_ready()
            self.tlast.value = last
            await self.bfm.send(frame)
        await self.bfm.wait()
        self.tlast.value = 0

    async def send(self, tokens: list[int], timeout_ns: float | None = None, what: str = "prompt") -> None:
        """Send one prompt (TLAST on its last token); wait until its last beat was accepted,
        bounded by timeout_ns."""
        if timeout_ns is None:
            await self._send(tokens)
            return
        try:
            await with_timeout(self._send(tokens), timeout_ns, "ns")
        except TimeoutError as e:     # cocotb's SimTimeoutError is a TimeoutError
            raise AssertionError(f"timeout after {timeout_ns:.0f} ns: the core did not accept the {what} "
                                 f"({len(tokens)} tokens; s_axis_tready stayed low)") from e

    def flush(self) -> None:
        """Drop what is queued (after a reset)."""
        self.bfm.clear()
        self.tlast.value = 0


class TokenSink:
    """Accepts generated tokens on m_axis; `stalls` gives ready-low cycles before each beat
    (None: always ready). Beats are read from the output monitor, not from here."""

    def __init__(self, dut: object, clk: object, rst_n: object, stalls: Iterator[int] | None = None,
                 prefix: str = "m_axis") -> None:
        self.bfm = AxiStreamSink(axis_bus(dut, prefix), clk, rst_n, reset_active_level=False, byte_size=TOKEN_BITS)
        hold_in_reset(rst_n, self.bfm)
        self.pacer = Pacer(self.bfm, stalls) if stalls is not None else None
