"""What every top-level run attaches to the chip: cocotb's Clock, the passive monitors of the
three interfaces and the protocol checkers on them (tb/checkers.py), and after every reset, at the
first clock edge with rst_n high, a look at every output of the chip: no X/Z (outputs_known; on
Icarus, a register without reset would show here). Violations fail the test.

    h = Harness(dut).start()        # clock running, monitors and checkers attached
    ...
    h.finish()                      # raises on any protocol violation (one response per request...)
"""
from __future__ import annotations

import logging

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge
from cocotb.utils import get_sim_time

from tb.checkers import TOP_OUTPUTS, AxiLiteResponses, ProtocolLog, Violation, attach_axil_checker, attach_stream_checker, outputs_known
from tb.handshake import value_of
from tb.monitors import AxiLiteMonitor, StreamMonitor, stream_bus

CLOCK_NS = 10.0


class Harness:
    def __init__(self, dut: object, clock_ns: float = CLOCK_NS) -> None:
        self.dut, self.clock_ns = dut, clock_ns
        self.clk, self.rst_n = dut.clk, dut.rst_n
        self.inp = StreamMonitor("s_axis", dut.clk, dut.rst_n, stream_bus(dut, "s_axis"), clock_ns)
        self.out = StreamMonitor("m_axis", dut.clk, dut.rst_n, stream_bus(dut, "m_axis"), clock_ns)
        self.regs = AxiLiteMonitor(dut.clk, dut.rst_n, dut)
        self.protocol = ProtocolLog()
        self.protocol.listeners.append(self._log)
        attach_stream_checker(self.inp.tap, self.protocol)
        attach_stream_checker(self.out.tap, self.protocol)
        self.axil_rules: AxiLiteResponses = attach_axil_checker(self.regs.taps, self.protocol)

    @staticmethod
    def _log(v: Violation) -> None:
        cocotb.log.error(str(v))

    def start(self) -> Harness:
        for prefix in ("s_axis", "m_axis", "s_axil"):     # cocotbext-axi logs every frame at INFO
            logging.getLogger(f"cocotb.{self.dut._name}.{prefix}").setLevel(logging.WARNING)
        self.dut.clk.value = 0
        Clock(self.dut.clk, self.clock_ns, unit="ns").start()
        for m in (self.inp, self.out, self.regs):
            m.start()
        self.resets_checked = 0
        cocotb.start_soon(self._outputs_after_reset())
        return self

    async def _outputs_after_reset(self) -> None:
        names = [n for ctrl, payload in TOP_OUTPUTS.items() for n in (ctrl, *payload)]
        while True:
            await RisingEdge(self.rst_n)
            await RisingEdge(self.clk)
            await ReadOnly()
            if value_of(self.rst_n) == 1:
                outputs_known({n: value_of(getattr(self.dut, n)) for n in names}, get_sim_time("ns"), self.protocol)
                self.resets_checked += 1

    def wakeups(self) -> int:
        """Python wake-ups of all monitors so far (the testbench cost of observing)."""
        return self.inp.tap.wakeups + self.out.tap.wakeups + sum(t.wakeups for t in self.regs.taps.values())

    def finish(self) -> None:
        self.axil_rules.final(get_sim_time("ns"))
        assert self.resets_checked, "the outputs were never checked after a reset (no reset was released)"
        assert not self.protocol.violations, f"{len(self.protocol.violations)} protocol violations, first: " \
                                             f"{self.protocol.violations[0]}"
