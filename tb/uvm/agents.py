"""Agents of the romformer environment: prompt stream in, token stream out, AXI4-Lite, reset.

Drivers are cocotbext-axi bus models (tb/streams.py, tb/axil.py) paced by seeded generators.
Monitors are passive (tb/monitors.py, sampling after ReadOnly) and are the only source of
transactions for the scoreboard and the coverage. The clock is cocotb's Clock (tb/top/harness.py).
"""
from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator

import cocotb
from cocotb.triggers import Event, First, ReadOnly, RisingEdge, Timer
from pyuvm import ConfigDB, uvm_agent, uvm_analysis_port, uvm_component, uvm_driver, uvm_monitor, uvm_sequencer, uvm_subscriber

from sim_models.lora import image_layout
from sim_models.regmap import OKAY, strobe_mask
from tb.axil import RegisterBus
from tb.handshake import value_of
from tb.monitors import RegTxn, StreamBeat
from tb.streams import Pacer, PromptSource, TokenSink, idle_long, idle_none, idle_random
from tb.top.harness import CLOCK_NS, Harness
from tb.uvm.items import AdapterTxn, PromptItem, RegItem, reg_name

IDLE_PATTERNS = ("none", "random", "long")
# cycle (output only): the stalls of CYCLE_STALLS in turn, exactly (ExactPacer: 0 keeps TREADY high), so
# every response of len(CYCLE_STALLS) tokens sees a beat with no stall, a short and a long one
READY_PATTERNS = ("none", "random", "long", "cycle")
CYCLE_STALLS = (0, 8, 40)


def gap_generator(pattern: str, rng: random.Random) -> Iterator[int]:
    """Idle gaps (source) or ready-low stretches (sink), in cycles, from a seeded generator."""
    if pattern == "none":
        return idle_none()
    if pattern == "random":
        return idle_random(rng, p_gap=0.5, max_gap=6)
    if pattern == "long":
        return idle_long(rng, p_stall=0.5, lo=50, hi=400)
    if pattern == "cycle":
        return itertools.cycle(CYCLE_STALLS)
    raise ValueError(f"pattern must be one of {READY_PATTERNS}, got {pattern!r}")


class ExactPacer(Pacer):
    """A Pacer whose stall of 0 is no stall: the stall of the next beat is drawn at each handshake (and at
    the start); 0 leaves TREADY high, so that beat is taken the cycle its TVALID rises. (Pacer pauses at
    every handshake, so its 0 still costs the cycle the sink needs to raise TREADY again.)"""

    async def _run(self) -> None:
        n = next(self.cycles)
        self.bfm.pause = n > 0
        while True:
            await ReadOnly()
            valid, ready = value_of(self.valid), value_of(self.ready)
            if valid == 1 and ready == 1:                 # a handshake at the next edge: the next beat's stall
                n = next(self.cycles)
                self.bfm.pause = n > 0
                await RisingEdge(self.clk)
                continue
            if valid == 1 and self.bfm.pause:
                await RisingEdge(self.clk)
                await self._release_after(n)
                continue
            await First(self.valid.value_change, self.ready.value_change)


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
    """Sends each PromptItem (cocotbext-axi AxiStreamSource, idle gaps); a reset aborts it.
    The item's `timeout_ns` bounds the wait for the core to accept the prompt."""

    def build_phase(self) -> None:
        self.dut = ConfigDB().get(self, "", "DUT")
        self.pattern = str(cfg_get(self, "IDLE_PATTERN", "none"))
        seed = int(cfg_get(self, "SEED", 0))
        d = self.dut
        gaps = None if self.pattern == "none" else gap_generator(self.pattern, random.Random(seed ^ 0x1D1E))
        self.source = PromptSource(d, d.clk, d.rst_n, gaps=gaps)
        self.reset_seen = Event()

    def connect_phase(self) -> None:
        rst: ResetDriver = ConfigDB().get(self, "", "RESET")
        rst.subscribe(self._on_reset)

    def _on_reset(self, asserted: bool) -> None:
        if asserted:
            self.source.flush()
            self.reset_seen.set()

    async def run_phase(self) -> None:
        while True:
            item: PromptItem = await self.seq_item_port.get_next_item()
            self.reset_seen.clear()
            task = cocotb.start_soon(self.source.send(item.tokens, item.timeout_ns, f"prompt {item}"))
            await First(task.complete, self.reset_seen.wait())
            if not task.done():
                task.cancel()
                item.aborted = True
            else:
                task.result()           # re-raise a timeout: the core never took the prompt
            self.seq_item_port.item_done()


class InputMonitor(uvm_monitor):
    """Passive: every s_axis beat; publishes an observed prompt (PromptItem) at each TLAST."""

    def build_phase(self) -> None:
        self.ap = uvm_analysis_port("ap", self)             # PromptItem as observed
        self.beat_ap = uvm_analysis_port("beat_ap", self)   # every StreamBeat
        self.harness: Harness = ConfigDB().get(self, "", "HARNESS")
        self.current: list[StreamBeat] = []
        self.harness.inp.listeners.append(self._on_beat)
        self.harness.inp.tap.reset_listeners.append(self.current.clear)

    def _on_beat(self, beat: StreamBeat) -> None:
        self.beat_ap.write(beat)
        self.current.append(beat)
        if beat.last:
            item = PromptItem("observed", [b.data for b in self.current])
            item.beats = list(self.current)
            self.current.clear()
            self.ap.write(item)


class PromptAgent(uvm_agent):
    def build_phase(self) -> None:
        self.seqr = uvm_sequencer("seqr", self)
        self.driver = PromptDriver("driver", self)
        self.monitor = InputMonitor("monitor", self)

    def connect_phase(self) -> None:
        self.driver.seq_item_port.connect(self.seqr.seq_item_export)
        self.ap = self.monitor.ap


# ------------------------------------------------------------------ output stream
class TokenResponder(uvm_component):
    """Active side of the output stream: cocotbext-axi AxiStreamSink with a ready pattern
    (none / random / long low stretches before each beat)."""

    def build_phase(self) -> None:
        d = ConfigDB().get(self, "", "DUT")
        self.pattern = str(cfg_get(self, "READY_PATTERN", "none"))
        seed = int(cfg_get(self, "SEED", 0))
        stalls = None if self.pattern == "none" else gap_generator(self.pattern, random.Random(seed ^ 0x0BEA7))
        self.sink = TokenSink(d, d.clk, d.rst_n, stalls=stalls)
        if self.pattern == "cycle":
            self.sink.pacer.stop()
            self.sink.pacer = ExactPacer(self.sink.bfm, stalls)


class TokenMonitor(uvm_monitor):
    """Passive: publishes every m_axis beat at its handshake (StreamBeat); `beats` counts them."""

    def build_phase(self) -> None:
        self.ap = uvm_analysis_port("ap", self)
        self.harness: Harness = ConfigDB().get(self, "", "HARNESS")
        self.beat_seen = Event()
        self.received: list[StreamBeat] = []
        self.harness.out.listeners.append(self._publish)

    @property
    def beats(self) -> int:
        return len(self.received)

    def _publish(self, beat: StreamBeat) -> None:
        self.received.append(beat)
        self.ap.write(beat)
        self.beat_seen.set()


class TokenAgent(uvm_agent):
    def build_phase(self) -> None:
        self.responder = TokenResponder("responder", self)
        self.monitor = TokenMonitor("monitor", self)

    def connect_phase(self) -> None:
        self.ap = self.monitor.ap


# ------------------------------------------------------------------ AXI4-Lite
class AxiLiteDriver(uvm_driver):
    """Runs RegItems on cocotbext-axi's AxiLiteMaster (tb/axil.py). The item gets the response
    for the sequence's own flow; the scoreboard uses the monitor's RegTxn."""

    def build_phase(self) -> None:
        d = ConfigDB().get(self, "", "DUT")
        self.bus = RegisterBus(d, d.clk, d.rst_n)

    async def run_phase(self) -> None:
        while True:
            item: RegItem = await self.seq_item_port.get_next_item()
            if item.op == "write":
                item.resp = await self.bus.write(item.addr, item.data, item.strb)
            else:
                item.data, item.resp = await self.bus.read(item.addr)
            self.seq_item_port.item_done()


class AxiLiteMonitorComp(uvm_monitor):
    """Passive: every completed AXI4-Lite access (RegTxn) from the pins."""

    def build_phase(self) -> None:
        self.ap = uvm_analysis_port("ap", self)
        harness: Harness = ConfigDB().get(self, "", "HARNESS")
        harness.regs.listeners.append(self.ap.write)


class AxiLiteAgent(uvm_agent):
    def build_phase(self) -> None:
        self.seqr = uvm_sequencer("seqr", self)
        self.driver = AxiLiteDriver("driver", self)
        self.monitor = AxiLiteMonitorComp("monitor", self)

    def connect_phase(self) -> None:
        self.driver.seq_item_port.connect(self.seqr.seq_item_export)
        self.ap = self.monitor.ap


# ------------------------------------------------------------------ LoRA adapter (layered on AXI4-Lite)
def adapter_words(comp: uvm_component) -> int:
    """ADAPTER_WORDS of the build (ConfigDB LORA: (maximum rank, targets) or None; CHIP; LANES)."""
    lora = cfg_get(comp, "LORA", None)
    if not lora:
        return 0
    cfg = ConfigDB().get(comp, "", "CHIP").qm.cfg
    return image_layout(cfg, int(ConfigDB().get(comp, "", "LANES")), lora[0], lora[1])["total"]["words"]


class AdapterDriver(uvm_driver):
    """Runs AdapterItems (tb/uvm/items.py: load an image, read words back, enable / disable, raw
    accesses) as RegItems on the AXI4-Lite agent's sequencer: the adapter agent is a layer over it,
    with no bus driver of its own. The item gets every response, the read data and ADAPTER_SUM."""

    def build_phase(self) -> None:
        self.axil_seqr: uvm_sequencer | None = None     # the AXI4-Lite agent's sequencer (set by the env)

    async def run_phase(self) -> None:
        from tb.uvm.sequences import RegSeq
        while True:
            item = await self.seq_item_port.get_next_item()
            seq = RegSeq(f"adapter_{item.op}", item.reg_items())
            await seq.start(self.axil_seqr)
            item.collect(seq.items)
            self.seq_item_port.item_done()


class AdapterMonitor(uvm_monitor):
    """Passive: turns the AXI4-Lite monitor's accesses to the ADAPTER_* registers into AdapterTxns.
    It mirrors ADAPTER_ADDR from the observed accesses (set by an accepted ADAPTER_ADDR write, stepped by
    an accepted ADAPTER_DATA write and an in-range ADAPTER_DATA read; reset by rst_n) to tell which SRAM
    word each data access used, and ADAPTER_CTRL.ENABLE to tell an enable from a disable."""

    def build_phase(self) -> None:
        self.ap = uvm_analysis_port("ap", self)
        self.reg_export = uvm_subscriber.uvm_AnalysisImp("reg_export", self, self.write)
        self.words = adapter_words(self)
        self.addr = 0
        self.enabled = False
        self.txns: list[AdapterTxn] = []

    def connect_phase(self) -> None:
        ConfigDB().get(self, "", "RESET").subscribe(self._on_reset)

    def _on_reset(self, asserted: bool) -> None:
        if asserted:
            self.addr, self.enabled = 0, False

    def write(self, txn: RegTxn) -> None:
        name, ok, wr = reg_name(txn.addr), txn.resp == OKAY, txn.op == "write"
        if not name.startswith("ADAPTER_"):
            return
        kind, addr = "info_read", txn.data
        if name == "ADAPTER_DATA":
            kind, addr = ("data_write" if wr else "data_read"), self.addr
            if (wr and ok) or (not wr and self.addr < self.words):
                self.addr = (self.addr + 1) & 0xFFFF
        elif wr and name == "ADAPTER_ADDR":
            kind = "addr_write"
            if ok:
                bm = strobe_mask(txn.strb) & 0xFFFF
                self.addr = (self.addr & ~bm) | (txn.data & bm)
        elif wr and name == "ADAPTER_CTRL":
            kind = "enable" if txn.data & 1 and not self.enabled else "disable" if self.enabled and not txn.data & 1 \
                else "ctrl_write"
            if ok and txn.strb & 1:
                self.enabled = bool(txn.data & 1)
        elif wr:
            kind = "ro_write"
        elif name == "ADAPTER_SUM":
            kind = "sum_read"
        t = AdapterTxn(kind, addr, txn.data, txn.resp, self.words)
        self.txns.append(t)
        self.ap.write(t)


class AdapterAgent(uvm_agent):
    """The LoRA adapter agent: sequencer, AdapterDriver (layered on the AXI4-Lite agent), AdapterMonitor
    (fed by the AXI4-Lite monitor, connected by the env)."""

    def build_phase(self) -> None:
        self.seqr = uvm_sequencer("seqr", self)
        self.driver = AdapterDriver("driver", self)
        self.monitor = AdapterMonitor("monitor", self)

    def connect_phase(self) -> None:
        self.driver.seq_item_port.connect(self.seqr.seq_item_export)
        self.ap = self.monitor.ap


__all__ = ["IDLE_PATTERNS", "READY_PATTERNS", "RegTxn", "StreamBeat", "cfg_get"]
