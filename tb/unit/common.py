"""Shared pieces of the block-level cocotb benches."""
from __future__ import annotations

from collections.abc import Callable, Iterable

from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge


async def hold_reset(dut, inputs: Iterable[str], cycles: int = 3) -> None:
    """Drive `inputs` to 0 and rst_n low for `cycles` rising edges, then release rst_n
    (synchronous active-low reset, the project's one reset policy)."""
    for name in inputs:
        getattr(dut, name).value = 0
    dut.rst_n.value = 0
    for _ in range(cycles):
        await RisingEdge(dut.clk)
    dut.rst_n.value = 1


async def check_pipelined(dut, drive: Callable[[int], None], read: Callable[[], object],
                          want: Callable[[int], object], n: int, latency: int,
                          describe: Callable[[int], str]) -> None:
    """Stream n operand sets into a pipelined datapath unit, one per clock (drive(i) sets the
    inputs before edge i), and check after every edge that the output equals want(i - latency +
    1): the unit registers its operands at the edge that samples them and the result is valid
    `latency - 1` edges later, read after ReadOnly."""
    for i in range(n + latency - 1):
        if i < n:
            drive(i)
        await RisingEdge(dut.clk)
        await ReadOnly()
        j = i - latency + 1
        if j >= 0:
            got = read()
            assert got == want(j), f"{describe(j)}: rtl {got} != golden {want(j)}"
        await FallingEdge(dut.clk)
