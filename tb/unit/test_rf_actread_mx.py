"""rf_actread with MX = 1 (--act mx): port A's word carries its block exponents, checked with == against
sim_models.mx.block_exponents every cycle.

Buffers 0 and 1 (the RMSNorm and attention output registers in rf_core) change at random cycles and are
held for random stretches; their exponent units take the whole buffer every cycle, so the exponents read
at an edge are those of the buffer as it was a cycle before it. Buffer 2 (the SwiGLU output) is written
one element at a time by g_we / g_idx / g_data, vectors of N2 elements in index order with random idle
cycles (the buffer, driven here, takes each write at its edge as rf_actbuf does); each block's exponent
is written with the block's last element (or the vector's last, a short block), and a read at that edge
still sees the previous one. The values are tb.unit.mx_stimulus's (edge values of the exponent rule).
Sources and word indices random every cycle, words past a buffer read 0 (with their block's exponent, or
0 past the exponent buffer); port B (the adapter's) gives each element's low 8 bits.
"""
from __future__ import annotations

import random

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge, Timer

from sim_models.mx import block_exponents
from tb.unit.common import hold_reset
from tb.unit.mx_stimulus import pack_lanes, wide_vector


class Source:
    """One buffer of `words` words and its exponent unit's entries (rf_mx_exp: NE entries for n inputs)."""

    def __init__(self, words: int, lanes: int, block: int, n: int) -> None:
        self.words, self.lanes, self.block = words, lanes, block
        self.re = max(1, lanes // block)
        self.entries = max(-(-n // lanes) * self.re, -(-n // block))
        self.vals = np.zeros(words * lanes, np.int64)      # the buffer as the DUT sees it this cycle
        self.exps = np.zeros(self.entries, np.int64)       # the exponent buffer this cycle

    def whole_exps(self) -> np.ndarray:
        """The exponents of the whole buffer (its zero padding up to the entries' blocks)."""
        padded = np.zeros(max(self.vals.size, self.entries * self.block), np.int64)
        padded[:self.vals.size] = self.vals
        return block_exponents(padded, self.block)[:self.entries]

    def word(self, idx: int) -> tuple[np.ndarray, list[int]]:
        """Word idx's elements (zeros past the buffer) and the entries of its blocks (0 past the exponent
        buffer; a word past the vector in a block of it reads that block's exponent, its elements 0)."""
        first = idx * self.re if self.lanes > self.block else idx * self.lanes // self.block
        exps = [int(self.exps[k]) if k < self.entries else 0 for k in range(first, first + self.re)]
        if idx >= self.words:
            return np.zeros(self.lanes, np.int64), exps
        return self.vals[idx * self.lanes:(idx + 1) * self.lanes], exps


@cocotb.test()
async def actread_mx(dut) -> None:
    rng, np_rng = random.Random(cocotb.RANDOM_SEED), np.random.default_rng(cocotb.RANDOM_SEED)
    lanes, idx_bits, ew = int(dut.LANES.value), int(dut.IDX_BITS.value), int(dut.EW.value)
    block, exp_bits, n2 = int(dut.B.value), int(dut.EXP_BITS.value), int(dut.N2.value)
    sizes = [int(dut.W0.value), int(dut.W1.value), int(dut.W2.value)]
    srcs = [Source(w, lanes, block, n) for w, n in zip(sizes, (sizes[0] * lanes, sizes[1] * lanes, n2))]
    re = srcs[0].re
    Clock(dut.clk, 10, unit="ns").start()
    await hold_reset(dut, ("src", "buf0", "buf1", "buf2", "g_we", "g_idx", "g_data", "idx_a", "idx_b"))

    gate = wide_vector(rng, np_rng, n2, block, ew)
    g_next, or_blk = 0, 0                     # the next gate element to write; its block's running OR
    blocks_written = 0
    for cycle in range(800):
        await FallingEdge(dut.clk)
        # buffers 0 and 1: new contents now and then
        for s in (0, 1):
            if rng.random() < 0.25:
                srcs[s].vals = wide_vector(rng, np_rng, sizes[s] * lanes, block, ew)
        # buffer 2: the next gate element, or an idle cycle; a new vector after the last
        we = rng.random() < 0.6
        idx = g_next
        dut.g_we.value, dut.g_idx.value = int(we), idx
        dut.g_data.value = int(gate[idx]) & ((1 << ew) - 1)
        for s, name in enumerate(("buf0", "buf1", "buf2")):
            getattr(dut, name).value = pack_lanes(srcs[s].vals, ew)
        src, ia, ib = rng.randrange(4), rng.randrange(4 * -(-max(sizes) // 4)), rng.randrange(1 << idx_bits)
        dut.src.value, dut.idx_a.value, dut.idx_b.value = src, ia, ib
        await Timer(1, unit="ns")
        sel = srcs[src if src in (1, 2) else 0]
        elems, _ = sel.word(ib)
        want_b = pack_lanes(elems & 0xFF, 8) if ib < sel.words else 0
        assert int(dut.word_b.value) == want_b, f"cycle {cycle}: port B src {src} word {ib}"
        elems, exps = sel.word(ia)
        want = pack_lanes(elems, ew) | (pack_lanes(np.array(exps), exp_bits) << (ew * lanes))
        await RisingEdge(dut.clk)
        await ReadOnly()
        got = int(dut.word_a.value)
        assert got == want, (f"cycle {cycle}: port A src {src} word {ia}: exponents "
                             f"{[(got >> (ew * lanes + exp_bits * r)) & 7 for r in range(re)]} want {exps}")
        # this edge's updates, seen from the next cycle: buffers 0/1's exponents follow their contents
        # a cycle late; buffer 2 takes the write and, at a block's end, its exponent
        for s in (0, 1):
            srcs[s].exps = srcs[s].whole_exps()
        if we:
            m = int(gate[idx]) if gate[idx] >= 0 else ~int(gate[idx])
            or_blk |= m
            srcs[2].vals[idx] = gate[idx]
            if idx % block == block - 1 or idx == n2 - 1:
                ent = idx // block
                if ent < srcs[2].entries:
                    srcs[2].exps[ent] = max(0, or_blk.bit_length() - 7)
                or_blk, blocks_written = 0, blocks_written + 1
            g_next = idx + 1
            if g_next == n2:
                g_next, gate = 0, wide_vector(rng, np_rng, n2, block, ew)
    assert blocks_written >= 2 * -(-n2 // block), f"only {blocks_written} gate blocks written"
    dut._log.info("rf_actread mx: 800 cycles match, %d gate blocks", blocks_written)
