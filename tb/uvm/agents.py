"""Agents of the romformer environment: prompt stream in, token stream out, AXI4-Lite, reset.

Every agent wraps the project's bus models (tb/streams.py, tb/axil.py), so Python wakes
per handshake, never per clock (the clock lives in tb/top/tb_romformer.v).
"""
from __future__ import annotations

import random
from typing import Callable, Iterator

import cocotb
from cocotb.triggers import Event, First, RisingEdge, Timer
from pyuvm import ConfigDB, uvm_agent, uvm_analysis_port, uvm_component, uvm_driver, uvm_monitor, uvm_sequencer

from tb.axil import AxiLiteMaster
from tb.streams import Beat, TokenSink, TokenSource, idle_long, idle_none, idle_random
from tb.uvm.items import OutBeat, PromptItem, RegItem

CLOCK_NS = 10.0
IDLE_PATTERNS = ("none", "random", "long")
READY_PATTERNS = ("none", "random", "long")


def gap_generator(pattern: str, rng: random.Random) -> Iterator[int]:
    """Idle gaps (source) or ready-low stretches (sink), in cycles, from a seeded generator."""
    if pattern == "none":
        return idle_none()
    if pattern == "random":
        return idle_random(rng, p_gap=0.5, max_gap=6)
    if pattern == "long":
        return idle_long(rng, p_stall=0.3, lo=50, hi=400)
    raise ValueError(f"pattern must be one of {IDLE_PATTERNS}, got {pattern!r}")


def cfg_get(comp: uvm_component, key: str, default: object = None) -> object:
    try:
        return ConfigDB().get(comp, "", key)
    except Exception:   # pyuvm raises UVMConfigItemNotFound
        return default


class ResetDriver(uvm_component):
    """Drives rst_n (an input of the chip). `pulse` may start at any time, not aligned to the
    clock or to the test flow; listeners hear about the start and the end of every reset."""

    def build_phase(self) -> None:
        self.dut = ConfigDB().get(self, "", "DUT")
        self.listeners: list[Callable[[bool], None]] = []   # f(True) at assertion, f(False) at release
        self.in_reset = False
        self.released = Event()
        self.count = 0

    def subscribe(self, listener: Callable[[bool], None]) -> None:
        self.listeners.append(listener)

    async def pulse(self, cycles: int = 4, offset_ns: float = 0.0) -> None:
        if offset_ns:
            await Timer(offset_ns, unit="ns")
        self.in_reset, self.count = True, self.count + 1
        self.released.clear()
        self.dut.rst_n.value = 0
        for f in self.listeners:
            f(True)
        await Timer(cycles * CLOCK_NS, unit="ns")
        await RisingEdge(self.dut.clk)
        self.dut.rst_n.value = 1
        await RisingEdge(self.dut.clk)
        self.in_reset = False
        for f in self.listeners:
            f(False)
        self.released.set()


# ------------------------------------------------------------------ input stream
class PromptDriver(uvm_driver):
    """Sends each PromptItem with idle gaps between tokens; a reset aborts the prompt in flight."""

    def build_phase(self) -> None:
        self.dut = ConfigDB().get(self, "", "DUT")
        self.pattern = str(cfg_get(self, "IDLE_PATTERN", "none"))
        seed = int(cfg_get(self, "SEED", 0))
        self.ap = uvm_analysis_port("ap", self)
        d = self.dut
        self.source = TokenSource(d.clk, d.s_axis_tdata, d.s_axis_tvalid, d.s_axis_tready, d.s_axis_tlast,
                                  gaps=gap_generator(self.pattern, random.Random(seed ^ 0x1D1E)))
        self.reset_seen = Event()

    def connect_phase(self) -> None:
        rst: ResetDriver = ConfigDB().get(self, "", "RESET")
        rst.subscribe(lambda asserted: self.reset_seen.set() if asserted else None)

    async def run_phase(self) -> None:
        while True:
            item: PromptItem = await self.seq_item_port.get_next_item()
            self.ap.write(item)           # the predictor sees the prompt before the chip answers it
            self.reset_seen.clear()
            task = cocotb.start_soon(self.source.send(item.tokens))
            await First(task.complete, self.reset_seen.wait())
            if not task.done():
                task.cancel()
                item.aborted = True
                self.source.tvalid.value = 0
                self.source.tlast.value = 0
            self.seq_item_port.item_done()


class PromptAgent(uvm_agent):
    def build_phase(self) -> None:
        self.seqr = uvm_sequencer("seqr", self)
        self.driver = PromptDriver("driver", self)

    def connect_phase(self) -> None:
        self.driver.seq_item_port.connect(self.seqr.seq_item_export)
        self.ap = self.driver.ap


# ------------------------------------------------------------------ output stream
class TokenMonitor(uvm_monitor):
    """Accepts generated tokens with a ready pattern (none / random / long low stretches) and
    publishes every beat at its handshake."""

    def build_phase(self) -> None:
        self.dut = ConfigDB().get(self, "", "DUT")
        self.pattern = str(cfg_get(self, "READY_PATTERN", "none"))
        seed = int(cfg_get(self, "SEED", 0))
        self.ap = uvm_analysis_port("ap", self)
        d = self.dut
        stalls = None if self.pattern == "none" else gap_generator(self.pattern, random.Random(seed ^ 0x0BEA7))
        self.sink = TokenSink(d.clk, d.m_axis_tdata, d.m_axis_tvalid, d.m_axis_tready, d.m_axis_tlast,
                              stalls=stalls, period_ns=CLOCK_NS)
        self.sink.on_beat = self._publish
        self.beats = 0
        self.beat_seen = Event()

    def _publish(self, beat: Beat) -> None:
        self.beats += 1
        self.ap.write(OutBeat(beat.data, beat.last, beat.time_ns))
        self.beat_seen.set()

    async def run_phase(self) -> None:
        await ConfigDB().get(self, "", "RESET").released.wait()    # outputs are X before the first reset
        await self.sink.run()


class TokenAgent(uvm_agent):
    def build_phase(self) -> None:
        self.monitor = TokenMonitor("monitor", self)

    def connect_phase(self) -> None:
        self.ap = self.monitor.ap


# ------------------------------------------------------------------ AXI4-Lite
class AxiLiteDriver(uvm_driver):
    """Runs RegItems on tb/axil.py's master (random delays from a seeded generator)."""

    def build_phase(self) -> None:
        self.dut = ConfigDB().get(self, "", "DUT")
        seed = int(cfg_get(self, "SEED", 0))
        self.master = AxiLiteMaster(self.dut, self.dut.clk, rng=random.Random(seed ^ 0xA1), max_delay=2)
        self.ap = uvm_analysis_port("ap", self)

    async def run_phase(self) -> None:
        while True:
            item: RegItem = await self.seq_item_port.get_next_item()
            if item.op == "write":
                item.resp = await self.master.write(item.addr, item.data, item.strb)
            else:
                item.data, item.resp = await self.master.read(item.addr)
            self.ap.write(item)
            self.seq_item_port.item_done()


class AxiLiteAgent(uvm_agent):
    def build_phase(self) -> None:
        self.seqr = uvm_sequencer("seqr", self)
        self.driver = AxiLiteDriver("driver", self)

    def connect_phase(self) -> None:
        self.driver.seq_item_port.connect(self.seqr.seq_item_export)
        self.ap = self.driver.ap
