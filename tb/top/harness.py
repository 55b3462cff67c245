"""What every top-level run attaches to the chip: cocotb's Clock, the passive monitors of the
three interfaces and the protocol checkers on them (tb/checkers.py). Violations fail the test.

    h = Harness(dut).start()        # clock running, monitors and checkers attached
    ...
    h.finish()                      # raises on any protocol violation (one response per request...)
"""
from __future__ import annotations

import logging

import cocotb
from cocotb.clock import Clock
from cocotb.utils import get_sim_time

from tb.checkers import AxiLiteResponses, ProtocolLog, Violation, attach_axil_checker, attach_stream_checker
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

    def start(self) -> "Harness":
        for prefix in ("s_axis", "m_axis", "s_axil"):     # cocotbext-axi logs every frame at INFO
            logging.getLogger(f"cocotb.{self.dut._name}.{prefix}").setLevel(logging.WARNING)
        self.dut.clk.value = 0
        Clock(self.dut.clk, self.clock_ns, unit="ns").start()
        for m in (self.inp, self.out, self.regs):
            m.start()
        return self

    def wakeups(self) -> int:
        """Python wake-ups of all monitors so far (the testbench cost of observing)."""
        return self.inp.tap.wakeups + self.out.tap.wakeups + sum(t.wakeups for t in self.regs.taps.values())

    def finish(self) -> None:
        self.axil_rules.final(get_sim_time("ns"))
        assert not self.protocol.violations, f"{len(self.protocol.violations)} protocol violations, first: " \
                                             f"{self.protocol.violations[0]}"
