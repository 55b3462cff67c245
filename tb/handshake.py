"""Event-driven observation of one valid/ready channel (AXI4-Stream or one AXI4-Lite channel).

A `HandshakeTap` samples the channel after `await ReadOnly()` (settled values) and wakes only
when something can happen: on a change of valid (and, while valid is high, of ready and the
payload), on the clock edge that completes a handshake, and on reset. A core that holds ready
low for thousands of cycles costs a handful of wake-ups per beat, not one per clock.

Listeners get every `Sample` (protocol checkers, tb/checkers.py) and every handshake
(monitors, tb/monitors.py). The tap never drives anything.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import cocotb
from cocotb.handle import LogicArrayObject, LogicObject
from cocotb.triggers import First, ReadOnly, RisingEdge
from cocotb.utils import get_sim_time

Signal = LogicObject | LogicArrayObject


def value_of(sig: Signal) -> int | None:
    """The signal's unsigned value, None if any bit is X or Z."""
    v = sig.value
    if not v.is_resolvable:
        return None
    return int(v) if isinstance(sig, LogicObject) else v.to_unsigned()


@dataclass(frozen=True)
class Sample:
    """Settled values of a channel in one cycle (or after a change within it)."""
    valid: int | None              # None: X or Z
    ready: int | None
    payload: tuple[int | None, ...]
    in_reset: bool
    time_ns: float


@dataclass(frozen=True)
class Handshake:
    """A transfer: the payload accepted at the rising edge at time_ns."""
    payload: Mapping[str, int | None]
    time_ns: float
    valid_since_ns: float          # when valid rose for this transfer (stall = time_ns - valid_since_ns)


class HandshakeTap:
    def __init__(self, name: str, clk: Signal, rst_n: Signal, valid: Signal, ready: Signal,
                 payload: Mapping[str, Signal]) -> None:
        self.name, self.clk, self.rst_n, self.valid, self.ready = name, clk, rst_n, valid, ready
        self.payload = dict(payload)
        self.sample_listeners: list[Callable[[Sample], None]] = []
        self.handshake_listeners: list[Callable[[Handshake], None]] = []
        self.reset_listeners: list[Callable[[], None]] = []
        self.task: cocotb.task.Task | None = None
        self.wakeups = 0

    def start(self) -> HandshakeTap:
        if self.task is None:
            self.task = cocotb.start_soon(self._run())
        return self

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.task = None

    def _sample(self) -> Sample:
        return Sample(value_of(self.valid), value_of(self.ready), tuple(value_of(s) for s in self.payload.values()),
                      value_of(self.rst_n) != 1, get_sim_time("ns"))

    async def _run(self) -> None:
        valid_since: float | None = None
        was_reset = False
        while True:
            await ReadOnly()
            self.wakeups += 1
            s = self._sample()
            for f in self.sample_listeners:
                f(s)
            if s.in_reset:
                if not was_reset:
                    for g in self.reset_listeners:
                        g()
                was_reset, valid_since = True, None
                await RisingEdge(self.rst_n)
                continue
            was_reset = False
            if s.valid == 1 and valid_since is None:
                valid_since = s.time_ns
            elif s.valid != 1:
                valid_since = None
            if s.valid == 1 and s.ready == 1:
                await RisingEdge(self.clk)
                if value_of(self.rst_n) == 1:       # a transfer unless the edge was a reset
                    hs = Handshake(dict(zip(self.payload, s.payload)), get_sim_time("ns"), valid_since or s.time_ns)
                    for h in self.handshake_listeners:
                        h(hs)
                valid_since = None
                continue
            triggers = [self.valid.value_change, self.rst_n.value_change]
            if s.valid == 1:
                triggers += [self.ready.value_change] + [sig.value_change for sig in self.payload.values()]
            await First(*triggers)


def hold_in_reset(rst_n: Signal, *bfms: object) -> None:
    """Keep cocotbext-axi models in reset until rst_n is first seen high. They only react to
    edges of rst_n; one constructed while rst_n is X (time 0, Icarus) or already low would run
    and sample X. assert_reset(True) stops them at once; they start on rst_n's release."""
    if value_of(rst_n) == 1:
        return
    for b in bfms:
        b.assert_reset(True)

    async def release() -> None:
        while value_of(rst_n) != 1:
            await rst_n.value_change
        for b in bfms:
            b.assert_reset(False)

    cocotb.start_soon(release())
