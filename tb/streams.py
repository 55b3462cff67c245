"""AXI4-Stream token source and sink that wake per handshake, not per clock.

Waiting for ready (source) or valid (sink) uses the signal's own edge as the
trigger, so a core that takes thousands of cycles per token costs Python a
handful of wake-ups per token. Backpressure and idle gaps are optional and
come from seeded generators.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable, Iterator

from cocotb.triggers import Event, ReadOnly, RisingEdge, Timer
from cocotb.utils import get_sim_time


@dataclass
class Beat:
    data: int
    last: bool
    time_ns: float


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


class TokenSource:
    def __init__(self, clk, tdata, tvalid, tready, tlast, gaps: Iterator[int] | None = None) -> None:
        self.clk, self.tdata, self.tvalid, self.tready, self.tlast = clk, tdata, tvalid, tready, tlast
        self.gaps = gaps or idle_none()
        self.sent: list[Beat] = []
        tvalid.value = 0
        tlast.value = 0
        tdata.value = 0

    async def send(self, tokens: list[int], last: bool = True) -> None:
        """Send a prompt; TLAST on its final token (unless last=False)."""
        for i, tok in enumerate(tokens):
            for _ in range(next(self.gaps)):
                await RisingEdge(self.clk)
            self.tdata.value = tok & 0xFFFF
            self.tlast.value = int(last and i == len(tokens) - 1)
            self.tvalid.value = 1
            while True:
                await ReadOnly()
                if int(self.tready.value) == 1:
                    await RisingEdge(self.clk)           # the handshake happens at this edge
                    break
                await RisingEdge(self.tready)
            self.sent.append(Beat(tok, bool(int(self.tlast.value)), get_sim_time("ns")))
            self.tvalid.value = 0
            self.tlast.value = 0


@dataclass
class TokenSink:
    clk: object
    tdata: object
    tvalid: object
    tready: object
    tlast: object
    ready_pattern: Callable[[], bool] | None = None   # None: always ready
    received: list[Beat] = field(default_factory=list)
    on_beat: Callable[[Beat], None] | None = None
    stalls: Iterator[int] | None = None               # cycles of ready low before each beat (one wake per stall)
    period_ns: float = 10.0                           # clock period, for stalls

    def __post_init__(self) -> None:
        self.tready.value = 1 if self.ready_pattern is None and self.stalls is None else 0
        self._last_seen = Event()
        self._beat_seen = Event()
        self._consumed = 0
        self._next = 0

    async def run(self) -> None:
        """Forever: accept beats (with backpressure if a pattern is given)."""
        while True:
            await ReadOnly()
            if int(self.tvalid.value) != 1:
                await RisingEdge(self.tvalid)
                continue
            if self.stalls is not None:
                await self._stalled_beat(next(self.stalls))
                continue
            if self.ready_pattern is None:
                beat = Beat(int(self.tdata.value), bool(int(self.tlast.value)), get_sim_time("ns"))
                await RisingEdge(self.clk)
                self._take(beat)
                continue
            # Backpressure: decide ready for this cycle, hold data until accepted.
            await RisingEdge(self.clk)
            ready = self.ready_pattern()
            self.tready.value = int(ready)
            await ReadOnly()
            if ready and int(self.tvalid.value) == 1:
                beat = Beat(int(self.tdata.value), bool(int(self.tlast.value)), get_sim_time("ns"))
                await RisingEdge(self.clk)
                self.tready.value = 0
                self._take(beat)

    async def _stalled_beat(self, stall: int) -> None:
        """TVALID is high: keep TREADY low for `stall` cycles (a single timer), then accept one beat."""
        await RisingEdge(self.clk)
        if stall > 1:
            await Timer((stall - 1.5) * self.period_ns, unit="ns")
            await RisingEdge(self.clk)
        self.tready.value = 1
        await ReadOnly()
        if int(self.tvalid.value) != 1:              # withdrawn only by a reset
            await RisingEdge(self.clk)
            self.tready.value = 0
            return
        beat = Beat(int(self.tdata.value), bool(int(self.tlast.value)), get_sim_time("ns"))
        await RisingEdge(self.clk)
        self.tready.value = 0
        self._take(beat)

    def _take(self, beat: Beat) -> None:
        self.received.append(beat)
        if self.on_beat:
            self.on_beat(beat)
        self._beat_seen.set()
        if beat.last:
            self._last_seen.set()

    async def next_beat(self) -> Beat:
        """The next beat not yet returned by next_beat (waits for it)."""
        while self._next >= len(self.received):
            self._beat_seen.clear()
            await self._beat_seen.wait()
        self._next += 1
        return self.received[self._next - 1]

    async def response(self) -> list[Beat]:
        """The beats of the next response: up to and including the next TLAST beat."""
        while not any(b.last for b in self.received[self._consumed:]):
            self._last_seen.clear()
            await self._last_seen.wait()
        end = next(i for i in range(self._consumed, len(self.received)) if self.received[i].last) + 1
        beats, self._consumed = self.received[self._consumed:end], end
        return beats
