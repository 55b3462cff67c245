"""rf_mx_exp (the mx block exponent unit) against sim_models.mx.block_exponents.

Random vectors of random length (1 .. N, with short last blocks) are written G elements a cycle in
index order, with random idle cycles between writes, `last` on the write that holds the vector's
last input, the lanes past it zero (the buffer's padding); the values are tb.unit.mx_stimulus's
(blocks at random scales with the edge values of the exponent rule: zeros, negative powers of two,
-2^(W-1) and 2^(W-1) - 1, +-2^(e+7) and their neighbours). Checked with ==: every block's exponent
on the read port the cycle after its last write (the block's word presented then), and every
word of the vector after it; the OR register clears between vectors (a vector of small values after
a large one). Reset clears the buffer; writes past the buffer change no entry and words past it
read 0.
"""
from __future__ import annotations

import random

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

from sim_models.mx import block_exponents
from tb.unit.common import hold_reset
from tb.unit.mx_stimulus import pack_lanes, wide_vector


class Bench:
    def __init__(self, dut) -> None:
        self.dut = dut
        self.w, self.b, self.g = int(dut.W.value), int(dut.B.value), int(dut.G.value)
        self.n_max, self.lanes = int(dut.N.value), int(dut.LANES.value)
        self.exp_bits = int(dut.EXP_BITS.value)
        self.re = max(1, self.lanes // self.b)       # exponents per word read
        self.rng = random.Random(cocotb.RANDOM_SEED)
        self.np_rng = np.random.default_rng(cocotb.RANDOM_SEED)
        self.checked = 0

    async def setup(self) -> None:
        Clock(self.dut.clk, 10, unit="ns").start()
        await hold_reset(self.dut, ("we", "widx", "wdata", "last", "rd_idx"))

    # ---------------------------------------------------------------- stimulus
    def vector(self, n: int, scale: int | None = None) -> np.ndarray:
        return wide_vector(self.rng, self.np_rng, n, self.b, self.w, scale)

    def lengths(self) -> list[int]:
        b, n = self.b, self.n_max
        fixed = [n, 1, b, b + 1, min(n, 2 * b - 1), min(n, 3 * b)]
        return fixed + [self.rng.randrange(1, n + 1) for _ in range(10)]

    def packed(self, vals: np.ndarray) -> int:
        return pack_lanes(vals, self.w)

    # ------------------------------------------------------------------ driving
    def read_word(self) -> list[int]:
        raw = int(self.dut.rd_exp.value)
        return [(raw >> (self.exp_bits * r)) & ((1 << self.exp_bits) - 1) for r in range(self.re)]

    def word_of_block(self, blk: int) -> tuple[int, int]:
        """(word index, exponent slot) that reads block blk."""
        if self.lanes > self.b:
            return blk // self.re, blk % self.re
        return blk * self.b // self.lanes, 0

    async def write_vector(self, v: np.ndarray, what: str) -> None:
        d, g, b = self.dut, self.g, self.b
        want = block_exponents(v, b)
        groups = -(-v.size // g)
        padded = np.zeros(groups * g, np.int64)
        padded[:v.size] = v
        for grp in range(groups):
            while self.rng.random() < 0.25:                   # an idle cycle
                d.we.value = 0
                await RisingEdge(d.clk)
            last = grp == groups - 1
            d.we.value, d.widx.value, d.last.value = 1, grp, int(last)
            d.wdata.value = self.packed(padded[grp * g:(grp + 1) * g])
            # the blocks this write completes: read the word of the first one in the next cycle
            hi = min((grp + 1) * g, v.size)
            done = [blk for blk in range(grp * g // b, -(-hi // b)) if last or (blk + 1) * b <= hi]
            word, slot = self.word_of_block(done[0]) if done else (0, 0)
            d.rd_idx.value = word
            await RisingEdge(d.clk)
            d.we.value = 0
            if done:
                await ReadOnly()
                got = self.read_word()[slot]
                assert got == want[done[0]], (f"{what}: block {done[0]} right after its last write (group {grp}): "
                                              f"rtl {got} != golden {want[done[0]]}")
                self.checked += 1
                await RisingEdge(d.clk)
        d.we.value, d.last.value = 0, 0
        await self.check_buffer(want, what)

    async def check_buffer(self, want: np.ndarray, what: str) -> None:
        """Every word of the vector reads its blocks' exponents."""
        words = -(-want.size * self.b // self.lanes)
        for word in range(words):
            self.dut.rd_idx.value = word
            await RisingEdge(self.dut.clk)
            await ReadOnly()
            got = self.read_word()
            for slot, e in enumerate(got):
                blk = word * self.re + slot if self.lanes > self.b else word * self.lanes // self.b
                if blk < want.size:
                    assert e == want[blk], f"{what}: word {word} slot {slot} (block {blk}): rtl {e} != golden {want[blk]}"
                    self.checked += 1
            await RisingEdge(self.dut.clk)


async def bench(dut) -> Bench:
    b = Bench(dut)
    await b.setup()
    return b


@cocotb.test()
async def random_vectors(dut) -> None:
    """Vectors of many lengths (short last blocks), blocks at random scales with edge values."""
    b = await bench(dut)
    for n, length in enumerate(b.lengths()):
        await b.write_vector(b.vector(length), f"vector {n} (n={length})")
    dut._log.info("rf_mx_exp W=%d B=%d G=%d LANES=%d: %d exponents match mx.block_exponents",
                  b.w, b.b, b.g, b.lanes, b.checked)


@cocotb.test()
async def every_exponent_and_or_cleared(dut) -> None:
    """Each exponent 0..W-8 from whole vectors at one scale, large and small vectors alternating
    (a block's OR must not carry into the next vector); all-zero vectors give 0."""
    b = await bench(dut)
    seen = set()
    for t in list(range(b.w - 7)) * 2:
        for scale in (t, 0):
            v = b.vector(b.rng.randrange(1, b.n_max + 1), scale)
            seen.update(int(e) for e in block_exponents(v, b.b))
            await b.write_vector(v, f"scale {scale}")
    await b.write_vector(np.zeros(b.n_max, np.int64), "zeros")
    assert seen == set(range(b.w - 7)), f"exponents reached: {sorted(seen)}"


@cocotb.test()
async def reset_clears(dut) -> None:
    """A vector of large values, then reset in the middle of the next one: the buffer reads 0,
    and a vector written after the reset is exact (the OR register was cleared too)."""
    b = await bench(dut)
    await b.write_vector(b.vector(b.n_max, b.w - 8), "before reset")
    d = dut
    d.we.value, d.widx.value, d.last.value = 1, 0, 0
    d.wdata.value = b.packed(np.full(b.g, (1 << (b.w - 1)) - 1))   # a pending OR of the largest value
    await RisingEdge(d.clk)
    await hold_reset(d, ("we", "widx", "wdata", "last", "rd_idx"))
    await b.check_buffer(np.zeros(-(-b.n_max // b.b), np.int64), "after reset")
    await b.write_vector(b.vector(b.n_max, 0), "after reset")


@cocotb.test()
async def past_the_buffer(dut) -> None:
    """Writes to groups past the buffer (up to widx 0xFFFF) change no entry; words past the buffer
    (up to the largest rd_idx) read 0; a vector written afterwards is exact."""
    b = await bench(dut)
    v = b.vector(b.n_max, b.w - 8)
    await b.write_vector(v, "before")
    d = dut
    groups = -(-b.n_max // b.g)
    entries = max(-(-b.n_max // b.b), -(-b.n_max // b.lanes) * b.re)
    sub = max(1, b.g // b.b)          # blocks per write: widx * sub would wrap to entry 0 in 16 bits
    first = max(groups, -(-entries * b.b // b.g))
    wraps = [(1 << 16) // sub] if sub > 1 else []
    for widx in [first, 0xFFFF, *wraps] + [b.rng.randrange(first, 1 << 16) for _ in range(20)]:
        d.we.value, d.widx.value, d.last.value = 1, widx, 1
        d.wdata.value = 0                 # exponent 0, where the vector's blocks have mostly W - 8
        await RisingEdge(d.clk)
    d.we.value, d.last.value = 0, 0
    await b.check_buffer(block_exponents(v, b.b), "after writes past the buffer")
    words = -(-entries * b.b // b.lanes) if b.lanes <= b.b else entries // b.re
    idx_bits = len(d.rd_idx.value)
    for word in [words, (1 << idx_bits) - 1] + [b.rng.randrange(words, 1 << idx_bits) for _ in range(20)]:
        d.rd_idx.value = word
        await RisingEdge(d.clk)
        await ReadOnly()
        assert b.read_word() == [0] * b.re, f"word {word} past the buffer reads {b.read_word()}"
        await RisingEdge(d.clk)
    await b.write_vector(b.vector(b.n_max), "after")
