"""rf_axis_skid driven against the AXI4-Stream rules, for the bound assertions (sva/) to catch.

`changed_while_stalled` fills the buffer until s_ready falls, then changes s_data while
s_valid is high and s_ready low: a protocol violation on the buffer's slave side. Built with
the bind files (Verilator, --assert), sva/rf_axis_skid_sva.sv's a_s_stable fails the run;
tests/test_assertions.py expects exactly that. Without assertions the bench itself passes: it
checks nothing but that it reached the violation.
"""
from __future__ import annotations

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge

from tb.unit.common import hold_reset


@cocotb.test()
async def changed_while_stalled(dut) -> None:
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    await hold_reset(dut, ("s_valid", "s_data", "m_ready"))
    dut.m_ready.value = 0            # the output stalls: two beats fill the buffer
    beat, taken = 0x11, 0
    for _ in range(10):              # drive between edges; s_ready is a register, stable there
        await FallingEdge(dut.clk)
        dut.s_valid.value = 1
        dut.s_data.value = beat
        if not int(dut.s_ready.value) and taken == 2:
            break                    # full, offered and refused: the beat must now hold
        if int(dut.s_ready.value):
            beat, taken = beat + 1, taken + 1   # taken at the next edge: offer the next one after it
    assert taken == 2 and not int(dut.s_ready.value), f"s_ready still high after {taken} beats with the output stalled"
    await FallingEdge(dut.clk)       # one edge with the beat offered and s_ready low...
    assert not int(dut.s_ready.value)
    dut.s_data.value = beat ^ 0xFF   # ...then it changes while still offered and not taken
    for _ in range(4):
        await RisingEdge(dut.clk)
