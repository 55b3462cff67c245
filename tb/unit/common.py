"""Shared pieces of the block-level cocotb benches."""
from __future__ import annotations

from typing import Iterable

from cocotb.triggers import RisingEdge


async def hold_reset(dut, inputs: Iterable[str], cycles: int = 3) -> None:
    """Drive `inputs` to 0 and rst_n low for `cycles` rising edges, then release rst_n
    (synchronous active-low reset, the project's one reset policy)."""
    for name in inputs:
        getattr(dut, name).value = 0
    dut.rst_n.value = 0
    for _ in range(cycles):
        await RisingEdge(dut.clk)
    dut.rst_n.value = 1
