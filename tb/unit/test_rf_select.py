"""rf_select against sim_models.sampler.Sampler: greedy and top-k sampling, seeded.

Random logit streams (back-to-back and with gaps, start together with the first
logit or before it), greedy and sampled tokens, top_k in {0, 1, 5, K_MAX, > K_MAX,
random}, several inv_temp (0 = greedy), many ties, seed reloads between tokens,
together with finish and while a selection runs. Every token is compared with
the Sampler (one instance, so the PRNG sequences must agree) and the latency
from finish to done is checked exactly.
"""
from __future__ import annotations

import os
import random

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

from sim_models.sampler import Sampler, effective_top_k
from sim_models.schedule import PIPELINE
from sim_models.tables import exp2_table
from tb.unit.common import hold_reset

SEL_PIPE = PIPELINE["select"]      # greedy: finish -> done (hdl/rf_select.v)
SAMPLE_PIPE = PIPELINE["sample"]   # sampled: finish -> done is 2 * k + SAMPLE_PIPE


class Bench:
    def __init__(self, dut) -> None:
        self.dut = dut
        self.vocab = int(dut.VOCAB.value)
        self.k_max = int(dut.K_MAX.value)
        self.mult = int(os.environ["RF_LOGIT_MULT"])
        self.shift = int(os.environ["RF_LOGIT_SHIFT"])
        dut.logit_mult.value = self.mult      # constant inputs (from the layer ROM in the core)
        dut.logit_shift.value = self.shift
        self.ref = Sampler(self.mult, self.shift, exp2_table(), k_max=self.k_max)
        self.rng = random.Random(cocotb.RANDOM_SEED)
        self.tokens = 0

    def idle_inputs(self) -> None:
        d = self.dut
        d.start.value = 0
        d.l_valid.value = 0
        d.finish.value = 0
        d.seed_load.value = 0

    async def reset(self) -> None:
        d = self.dut
        cocotb.start_soon(Clock(d.clk, 10, unit="ns").start())
        self.idle_inputs()
        await hold_reset(d, ("seed", "mode_sample", "inv_temp", "top_k", "l_index", "l_value"))
        self.ref.seed(0)   # reset state == seed 0

    async def seed_between(self) -> None:
        """One cycle with a seed_load pulse (the edge after the drive loads it)."""
        d = self.dut
        value = self.rng.choice([0, 1, 0xFFFFFFFF, self.rng.getrandbits(32)])
        await RisingEdge(d.clk)
        self.idle_inputs()
        d.seed.value = value
        d.seed_load.value = 1
        self.ref.seed(value)

    async def token(self, logits: np.ndarray, sample: int, inv_temp: int, top_k: int,
                    gap_prob: float, seed_mode: str = "none", stray_finish: bool = False) -> None:
        d, rng = self.dut, self.rng
        # start, optionally together with the first logit
        await RisingEdge(d.clk)
        self.idle_inputs()
        d.start.value = 1
        d.mode_sample.value = sample
        d.inv_temp.value = inv_temp
        d.top_k.value = top_k
        first = 0
        if rng.random() < 0.3:
            d.l_valid.value, d.l_index.value, d.l_value.value = 1, 0, int(logits[0])
            first = 1
        else:
            for _ in range(rng.randrange(0, 3)):
                await RisingEdge(d.clk)
                self.idle_inputs()
        for i in range(first, len(logits)):
            while rng.random() < gap_prob:
                await RisingEdge(d.clk)
                self.idle_inputs()
                d.mode_sample.value = rng.getrandbits(1)   # only sampled at start
                d.inv_temp.value = rng.getrandbits(16)
                d.top_k.value = rng.getrandbits(8)
            await RisingEdge(d.clk)
            self.idle_inputs()
            d.l_valid.value, d.l_index.value, d.l_value.value = 1, i, int(logits[i])
        for _ in range(rng.choice([0, 0, 1, 3])):
            await RisingEdge(d.clk)
            self.idle_inputs()
        # finish (optionally with a seed load in the same cycle: the seed is applied first)
        await RisingEdge(d.clk)
        self.idle_inputs()
        d.finish.value = 1
        if seed_mode == "with_finish":
            value = rng.getrandbits(32)
            d.seed.value, d.seed_load.value = value, 1
            self.ref.seed(value)
        sampled = sample != 0 and inv_temp != 0
        self.ref.inv_temp, self.ref.top_k = (inv_temp if sampled else 0), top_k
        want = self.ref.pick(logits)
        latency = (2 * effective_top_k(top_k, len(logits), self.k_max) + SAMPLE_PIPE) if sampled else SEL_PIPE
        seed_at = rng.randrange(1, latency - 1) if seed_mode == "during" and latency > 3 else -1
        # a stray finish sampled at any edge of a running selection before the one that raises
        # done (issue or pipeline drain): ignored, no second done
        stray_at = rng.randrange(1, latency - 2) if stray_finish and latency > 3 else -1
        await RisingEdge(d.clk)   # cycle 0: finish sampled
        self.idle_inputs()
        m = 0
        while True:
            await ReadOnly()
            if int(d.done.value):
                break
            assert m < latency + 8, f"no done within {latency + 8} cycles"
            await RisingEdge(d.clk)
            self.idle_inputs()
            m += 1
            if m == stray_at:
                d.finish.value = 1
            if m == seed_at:   # a seed load while the selection runs: affects the next token only
                value = rng.getrandbits(32)
                d.seed.value, d.seed_load.value = value, 1
                self.ref.seed(value)
        got = d.token.value.to_unsigned()
        assert m + 1 == latency, (f"token {self.tokens}: latency {m + 1} != {latency} "
                                  f"(sampled={sampled}, top_k={top_k})")
        assert got == want, (f"token {self.tokens}: rtl {got} != sampler {want} (sampled={sampled}, "
                             f"inv_temp={inv_temp}, top_k={top_k}, logits={list(map(int, logits))})")
        await RisingEdge(d.clk)
        self.idle_inputs()
        await ReadOnly()
        assert int(d.done.value) == 0, "done high for more than one cycle"
        assert d.token.value.to_unsigned() == want, "token changed after done"
        if stray_finish:   # the stray finish started nothing: no done and the same token for a while
            for _ in range(latency + 2):
                await RisingEdge(d.clk)
                await ReadOnly()
                assert int(d.done.value) == 0, f"token {self.tokens}: a finish during the selection gave a done"
                assert d.token.value.to_unsigned() == want, "token changed after done"
        self.tokens += 1

    def logits(self, kind: str) -> np.ndarray:
        n, rng = self.vocab, self.rng
        if kind == "wide":
            v = [rng.randrange(-32768, 32768) for _ in range(n)]
        elif kind == "normal":
            v = [max(-32768, min(32767, int(rng.gauss(0, 1500)))) for _ in range(n)]
        elif kind == "near":       # a few candidates close to the top, the rest far below
            v = [rng.randrange(-32768, -20000) for _ in range(n)]
            for i in rng.sample(range(n), min(n, 8)):
                v[i] = 20000 + rng.randrange(-400, 400)
        elif kind == "ties":
            v = [rng.randrange(-3, 4) for _ in range(n)]
        elif kind == "flat":
            c = rng.randrange(-32768, 32768)
            v = [c] * n
        else:                      # extremes: exercises the full 16-bit difference
            v = [rng.choice([-32768, 32767, 0]) for _ in range(n)]
        return np.array(v, dtype=np.int64)


KINDS = ["wide", "normal", "near", "ties", "flat", "extremes"]


def top_k_choices(b: Bench) -> list[int]:
    return [0, 1, 5, b.k_max, min(255, b.k_max + 1), 255, b.rng.randrange(0, 256)]


INV_TEMPS = [0, 1, 16, 128, 256, 400, 1024, 65535]


@cocotb.test()
async def random_streams(dut) -> None:
    b = Bench(dut)
    await b.reset()
    for _ in range(250):
        sample = 1 if b.rng.random() < 0.75 else 0
        inv_temp = b.rng.choice(INV_TEMPS + [b.rng.randrange(1, 1 << 16)])
        top_k = b.rng.choice(top_k_choices(b))
        gap = b.rng.choice([0.0, 0.0, 0.2, 0.6])
        seed_mode = b.rng.choice(["none", "none", "none", "with_finish", "during"])
        if b.rng.random() < 0.1:
            await b.seed_between()
        await b.token(b.logits(b.rng.choice(KINDS)), sample, inv_temp, top_k, gap, seed_mode)


@cocotb.test()
async def every_top_k_and_temperature(dut) -> None:
    """Each top_k choice with each inv_temp, on tie-heavy and spread logits, back-to-back."""
    b = Bench(dut)
    await b.reset()
    await b.seed_between()
    for top_k in top_k_choices(b):
        for inv_temp in INV_TEMPS:
            await b.token(b.logits(b.rng.choice(["ties", "normal", "near"])), 1, inv_temp, top_k, 0.0)


@cocotb.test()
async def stray_finish_while_selecting(dut) -> None:
    """A finish pulse at any cycle of a running selection, the pipeline drain included, is ignored."""
    b = Bench(dut)
    await b.reset()
    for n in range(40):
        sample = 1 if n % 4 else 0
        await b.token(b.logits(b.rng.choice(KINDS)), sample, b.rng.choice(INV_TEMPS[1:]),
                      b.rng.choice(top_k_choices(b)), 0.0, stray_finish=True)


@cocotb.test()
async def greedy_ties_lowest_index(dut) -> None:
    b = Bench(dut)
    await b.reset()
    for kind in KINDS * 4:
        await b.token(b.logits(kind), b.rng.getrandbits(1), 0, b.rng.randrange(256), 0.3)
        await b.token(b.logits(kind), 0, b.rng.randrange(1, 1 << 16), b.rng.randrange(256), 0.0)


def xorshift32_inverse(y: int) -> int:
    """The state x with xorshift32(x) == y (each xor-shift step is invertible)."""
    def undo_left(v: int, a: int) -> int:
        x = v
        for _ in range(32 // a + 1):
            x = v ^ ((x << a) & 0xFFFFFFFF)
        return x

    def undo_right(v: int, a: int) -> int:
        x = v
        for _ in range(32 // a + 1):
            x = v ^ (x >> a)
        return x

    return undo_left(undo_right(undo_left(y, 5), 17), 13)


@cocotb.test()
async def threshold_on_a_boundary(dut) -> None:
    """Seeds chosen so that thr equals a running sum exactly: that candidate must not be picked."""
    from sim_models.intops import exp2_neg, rsr
    from sim_models.sampler import xorshift32
    b = Bench(dut)
    await b.reset()
    for _ in range(24):
        logits = b.logits(b.rng.choice(["ties", "near", "normal"]))
        inv_temp, top_k = b.rng.choice([64, 256, 1024]), b.rng.choice([0, 5, b.k_max])
        # the candidate order and running sums, from the Sampler's own building blocks
        k = effective_top_k(top_k, len(logits), b.k_max)
        order = np.lexsort((np.arange(len(logits)), -logits))[:k]
        cand = logits[order]
        running = np.cumsum(exp2_neg(rsr((cand[0] - cand) * b.mult * inv_temp, b.shift), exp2_table()))
        c = b.rng.randrange(k)
        total = int(running[-1])
        r = -(-int(running[c]) << 32) // total    # smallest r with (r * P) >> 32 == running[c]
        if int(running[c]) >= total or r >= 1 << 32 or (r * total) >> 32 != int(running[c]):
            continue
        seed = xorshift32_inverse(r)
        assert xorshift32(seed) == r
        if seed == 0:
            continue
        await RisingEdge(dut.clk)
        b.idle_inputs()
        dut.seed.value, dut.seed_load.value = seed, 1
        b.ref.seed(seed)
        await b.token(logits, 1, inv_temp, top_k, 0.0)
