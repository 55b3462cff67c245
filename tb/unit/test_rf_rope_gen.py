"""rf_rope_gen against sim_models.tables.rope_at: every pair of random positions, exact
generation time (sim_models.schedule.rope_gen_cycles), restarts at any cycle and idle gaps.

The pytest wrapper (tests/test_rtl_norm_rope_swiglu.py) writes the RoPE ROM image and passes
RF_HALF, RF_SEQ_LEN and RF_ROPE_FILE in the environment; expected values are computed from
that same image read back.
"""
from __future__ import annotations

import os
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge, Timer

from sim_models.schedule import rope_gen_cycles
from sim_models.tables import rope_at
from tb.unit.common import hold_reset


def rom_tables() -> tuple[np.ndarray, np.ndarray, int, int]:
    half, seq_len = int(os.environ["RF_HALF"]), int(os.environ["RF_SEQ_LEN"])
    words = np.array([int(v, 16) for v in Path(os.environ["RF_ROPE_FILE"]).read_text().split()], np.int64)
    signed = lambda v: ((v & 0xFFFF) ^ 0x8000) - 0x8000  # noqa: E731
    return signed(words).reshape(-1, half), signed(words >> 16).reshape(-1, half), half, seq_len


async def start(dut, pos: int) -> None:
    dut.start.value, dut.pos.value = 1, pos
    await RisingEdge(dut.clk)
    dut.start.value = 0


async def check_table(dut, cos_b: np.ndarray, sin_b: np.ndarray, half: int, pos: int) -> None:
    """Read every pair (the table is registered: stable through the cycle) and compare."""
    want_c, want_s = rope_at(cos_b, sin_b, np.int64(pos))
    for f in range(half):
        await Timer(1, unit="ns")
        dut.pair.value = f
        await Timer(1, unit="ns")
        word = int(dut.cos_sin.value)
        got = (((word & 0xFFFF) ^ 0x8000) - 0x8000, ((word >> 16) ^ 0x8000) - 0x8000)
        assert got == (int(want_c[f]), int(want_s[f])), f"pos {pos} pair {f}: rtl {got} != golden {(want_c[f], want_s[f])}"
    await RisingEdge(dut.clk)


@cocotb.test()
async def rope_gen_positions(dut) -> None:
    """Each position's pairs equal tables.rope_at after exactly rope_gen_cycles - 1 edges."""
    cos_b, sin_b, half, seq_len = rom_tables()
    rng = np.random.default_rng(cocotb.RANDOM_SEED)
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    await hold_reset(dut, ["start", "pos", "pair"])
    gen = rope_gen_cycles(2 * half)
    edge = sorted({0, 1, 15, 16, 17, 18, seq_len - 1} & set(range(seq_len)))
    positions = edge + [int(p) for p in rng.integers(0, seq_len, 40)]
    for pos in positions:
        await start(dut, pos)                                   # edge 0 took the start
        for n in range(1, gen):
            await RisingEdge(dut.clk)
            await ReadOnly()
            busy = int(dut.busy.value)
            assert busy == (n < gen - 1), f"pos {pos}: busy {busy} after edge {n} (table ready after edge {gen - 1})"
        await check_table(dut, cos_b, sin_b, half, pos)
        for _ in range(int(rng.integers(0, 3))):
            await RisingEdge(dut.clk)
    dut._log.info("rf_rope_gen: %d positions x %d pairs match tables.rope_at", len(positions), half)


@cocotb.test()
async def rope_gen_restart(dut) -> None:
    """A start while busy (at any cycle of a generation) restarts it for the new position."""
    cos_b, sin_b, half, seq_len = rom_tables()
    rng = np.random.default_rng(cocotb.RANDOM_SEED + 1)
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    await hold_reset(dut, ["start", "pos", "pair"])
    gen = rope_gen_cycles(2 * half)
    for cut in range(gen):
        first, second = (int(p) for p in rng.integers(0, seq_len, 2))
        await start(dut, first)
        for _ in range(cut):
            await RisingEdge(dut.clk)
        await start(dut, second)
        for _ in range(gen - 1):
            await RisingEdge(dut.clk)
        await ReadOnly()
        assert int(dut.busy.value) == 0, f"restart after {cut} cycles: still busy"
        await check_table(dut, cos_b, sin_b, half, second)
    dut._log.info("rf_rope_gen: restart at each of %d cycles gives the second position's table", gen)
