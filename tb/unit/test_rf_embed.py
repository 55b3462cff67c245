"""rf_embed against sim_models.intops.requant: random tokens of a random embedding table (a
weight ROM emulated here with rf_wmem's two-cycle latency), each group of GROUP elements checked on
the write port in its exact cycle (sim_models.schedule.EMBED_WRITE after its phase cycle), the
first GROUPS groups of the row, `first` and `last` in theirs (the phase is GROUPS + EMBED_OVERHEAD
cycles), the ROM address within the token's row through the whole phase (the last token's row ends
the weight ROM), idle gaps of random length between tokens.

The pytest wrapper (tests/test_rtl_core_units.py) writes the EMB_REQUANT ROM image and passes its
path and the table's seed in RF_EMB_RQ_FILE and RF_EMB_SEED.
"""
from __future__ import annotations

import os
import random
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly

from sim_models.intops import requant
from sim_models.schedule import EMBED_OVERHEAD, EMBED_WRITE
from tb.unit.common import hold_reset


def emb_table(seed: int, rows: int, elems: int, wbits: int) -> np.ndarray:
    """The random signed WBITS-bit embedding table (also the wrapper's; extremes in row 0)."""
    rng = np.random.default_rng(seed)
    lo, hi = -(1 << (wbits - 1)), (1 << (wbits - 1))
    table = rng.integers(lo, hi, (rows, elems))
    table[0, :2] = (lo, hi - 1)
    return table


@cocotb.test()
async def embed_random(dut) -> None:
    rng = random.Random(cocotb.RANDOM_SEED)
    lanes, wbits, words = int(dut.LANES.value), int(dut.WBITS.value), int(dut.WORDS.value)
    group, groups = int(dut.GROUP.value), int(dut.GROUPS.value)
    base, depth = int(dut.BASE.value), int(dut.RQ_DEPTH.value)
    elems = lanes * words
    rq = np.array([int(v, 16) for v in Path(os.environ["RF_EMB_RQ_FILE"]).read_text().split()], np.int64)
    mult, shift = rq & 0xFFFF, (rq >> 16) & 0x3F
    table = emb_table(int(os.environ["RF_EMB_SEED"]), depth, elems, wbits)
    mask = (1 << wbits) - 1

    def rom_word(addr: int) -> int:   # word `addr` of the weight ROM: lanes of an embedding row
        row, w = divmod(addr - base, words)
        if not (0 <= row < depth):
            return rng.getrandbits(wbits * lanes)      # other matrices: anything
        return sum((int(table[row, w * lanes + j]) & mask) << (wbits * j) for j in range(lanes))

    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    await hold_reset(dut, ["run", "tok", "w_data"])
    history: list[int] = []            # w_addr of every cycle since reset

    async def weight_rom() -> None:    # rf_wmem: the word at the address of two cycles ago
        while True:
            await FallingEdge(dut.clk)
            history.append(int(dut.w_addr.value))
            dut.w_data.value = rom_word(history[-3]) if len(history) >= 3 else 0

    cocotb.start_soon(weight_rom())
    tokens = [0, depth - 1] + [rng.randrange(depth) for _ in range(6)]
    for tok in tokens:
        want = requant(table[tok], mult[tok], shift[tok], 16)
        for cycle in range(-rng.randrange(1, 4), groups + EMBED_OVERHEAD):   # the phase, after a gap
            await FallingEdge(dut.clk)
            dut.run.value, dut.tok.value = int(cycle >= 0), tok
            await ReadOnly()
            g = cycle - EMBED_WRITE
            where = f"token {tok} cycle {cycle}"
            assert int(dut.first.value) == (cycle == 0), f"{where}: first"
            if cycle >= 1:              # w_addr is registered: the address of phase cycle `cycle - 1`
                row = base + tok * words
                assert row <= int(dut.w_addr.value) < row + words, f"{where}: address {int(dut.w_addr.value)} " \
                    f"outside the row's words {row} .. {row + words - 1}"
            assert int(dut.last.value) == (cycle == groups + EMBED_OVERHEAD - 1), f"{where}: last"
            assert int(dut.wr_en.value) == (0 <= g < groups), f"{where}: wr_en"
            if 0 <= g < groups:
                assert int(dut.wr_grp.value) == g, f"{where}: group {int(dut.wr_grp.value)} != {g}"
                data = int(dut.wr_data.value)
                got = [(data >> (16 * j) & 0xFFFF) - ((data >> (16 * j) & 0x8000) << 1) for j in range(group)]
                exp = want[g * group:(g + 1) * group].tolist()
                assert got == exp, f"token {tok} elements {g * group}..: rtl {got} != golden {exp}"
        await FallingEdge(dut.clk)
        dut.run.value = 0
    dut._log.info("rf_embed: %d tokens of %d groups of %d elements match intops.requant", len(tokens), groups, group)
