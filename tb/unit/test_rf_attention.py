"""rf_attention against sim_models.golden.attention: seeded random KV caches and queries.

The KV cache is filled through the write ports; every run checks all DIM outputs with == and
the exact latency sim_models.schedule.attention_latency (done a one-cycle pulse, busy until then). As in
rf_core, a run writes the K row of its position with its start and the V row with its `resume`, a random
number of cycles later (0, around the end of the first pass 1 and gap, or beyond it: the first pass 2
waits); a resume while idle is ignored. The run inputs are scrambled right after start (they must have
been latched), start and resume are pulsed again while busy (ignored) and rows the run does not read are
rewritten while it is busy.

The widths are the unit's parameters: QKV_BITS (q, k, v and the cache), FRAC and OUT_BITS (the output's
fraction bits below V's static scale and its saturation), an activation format's qkv_bits, frac and
wide_bits (sim_models.mx; 8, 0, 8 for --act static, 12, 4, 15 for --act mx). The value ranges scale with
QKV_BITS and the exponent shifts with the 2^(2 (QKV_BITS - 8)) larger scores (the compiler folds it into
att_mult), so each scenario means the same at every width.
"""
from __future__ import annotations

import random

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

from sim_models.golden import attention
from sim_models.mx import ELEMENT_BITS
from sim_models.schedule import attention_latency
from sim_models.tables import exp2_table
from tb.unit.common import hold_reset


class Dut:
    def __init__(self, dut) -> None:
        self.dut = dut
        self.dim = int(dut.DIM.value)
        self.heads = int(dut.N_HEADS.value)
        self.kv_heads = int(dut.N_KV_HEADS.value)
        self.hs = int(dut.HEAD_SIZE.value)
        self.seq_len = int(dut.SEQ_LEN.value)
        self.layers = int(dut.N_LAYERS.value)
        self.back_ends = int(dut.N_BACK.value)
        self.qkv_bits = int(dut.QKV_BITS.value)
        self.frac = int(dut.FRAC.value)
        self.out_bits = int(dut.OUT_BITS.value)
        self.qkv_frac = self.qkv_bits - ELEMENT_BITS    # q, k, v's fraction bits below their static scales
        assert self.dim == self.heads * self.hs
        self.kv_dim = self.kv_heads * self.hs
        self.group = self.heads // self.kv_heads
        self.k = np.zeros((self.layers, self.seq_len, self.kv_heads, self.hs), np.int64)
        self.v = np.zeros_like(self.k)
        self.exp2 = exp2_table()


    def scaled(self, lo: int, hi: int) -> tuple[int, int]:
        """An int8 value range at QKV_BITS: the bounds keep their meaning (-128 the minimum, 127 the maximum,
        128 the exclusive end)."""
        def one(v: int) -> int:
            top = 1 << (self.qkv_bits - 1)
            return {-128: -top, 127: top - 1, 128: top}.get(v, v)
        return one(lo), one(hi)


def pack(values: np.ndarray, bits: int) -> int:
    word, mask = 0, (1 << bits) - 1
    for i, x in enumerate(np.ravel(values)):
        word |= (int(x) & mask) << (bits * i)
    return word


def unpack(word: int, n: int, bits: int) -> np.ndarray:
    raw = np.array([(word >> (bits * i)) & ((1 << bits) - 1) for i in range(n)], dtype=np.int64)
    return np.where(raw >= 1 << (bits - 1), raw - (1 << bits), raw)


async def reset(t: Dut) -> None:
    d = t.dut
    await hold_reset(d, ("k_we", "v_we", "kv_layer", "kv_pos", "k_row", "v_row", "start", "resume", "layer", "pos",
                         "q_flat", "att_mult", "att_shift"))
    await RisingEdge(d.clk)


def drive_kv(t: Dut, layer: int, pos: int, k: np.ndarray | None, v: np.ndarray | None) -> None:
    """Drive one write of a K row, a V row or both at one address (sampled at the next edge) and mirror
    it in the model."""
    d = t.dut
    d.k_we.value = int(k is not None)
    d.v_we.value = int(v is not None)
    d.kv_layer.value = layer
    d.kv_pos.value = pos
    if k is not None:
        d.k_row.value = pack(k, t.qkv_bits)
        t.k[layer, pos] = k.reshape(t.kv_heads, t.hs)
    if v is not None:
        d.v_row.value = pack(v, t.qkv_bits)
        t.v[layer, pos] = v.reshape(t.kv_heads, t.hs)


def no_kv(t: Dut) -> None:
    t.dut.k_we.value = 0
    t.dut.v_we.value = 0


async def fill_kv(t: Dut, rng: np.random.Generator, lo: int, hi: int) -> None:
    for layer in range(t.layers):
        for pos in range(t.seq_len):
            drive_kv(t, layer, pos, rng.integers(lo, hi + 1, t.kv_dim), rng.integers(lo, hi + 1, t.kv_dim))
            await RisingEdge(t.dut.clk)
    no_kv(t)


def golden(t: Dut, layer: int, pos: int, q: np.ndarray, mult: int, shift: int) -> np.ndarray:
    keys = np.repeat(t.k[layer, :pos + 1], t.group, axis=1)
    values = np.repeat(t.v[layer, :pos + 1], t.group, axis=1)
    out = attention(q.reshape(1, t.heads, t.hs), keys, values, pos, mult, shift, t.exp2,
                    t.frac - t.qkv_frac, t.out_bits)
    return out.reshape(t.dim)


def resume_lead(rng: np.random.Generator, pos: int) -> int:
    """Cycles from a run's start to its resume: 0, at the end of the first pass 1 and gap (pos + 4, where
    the first pass 2 would start), or anywhere up to well past it."""
    pick = rng.random()
    if pick < 0.15:
        return 0
    if pick < 0.4:
        return pos + 4 + int(rng.integers(-1, 3))
    return int(rng.integers(0, 2 * pos + 12))


async def run_once(t: Dut, rng: np.random.Generator, layer: int, pos: int, q: np.ndarray, mult: int,
                   shift: int, lo: int, hi: int, v_range: tuple[int, int] | None = None) -> None:
    """One run at (layer, pos); lo..hi the K and V values written during it (v_range: V's, if other)."""
    d = t.dut
    if rng.random() < 0.3:                                   # a resume while idle: ignored
        d.resume.value = 1
        await RisingEdge(d.clk)
    lead = resume_lead(rng, pos)
    latency = attention_latency(t.hs, pos, t.kv_heads, t.back_ends, resume=lead)   # docs/rtl.md, hdl/rf_attention.v
    # the position's K row is written with the start, its V row with the resume (rf_core)
    v_lo, v_hi = v_range or (lo, hi)
    k_new, v_new = rng.integers(lo, hi + 1, t.kv_dim), rng.integers(v_lo, v_hi + 1, t.kv_dim)
    drive_kv(t, layer, pos, k_new, v_new if lead == 0 else None)
    d.resume.value = int(lead == 0)
    d.start.value = 1
    d.layer.value = layer
    d.pos.value = pos
    d.q_flat.value = pack(q, t.qkv_bits)
    d.att_mult.value = mult
    d.att_shift.value = shift
    await RisingEdge(d.clk)                                  # edge 0: start sampled
    if lead:
        t.v[layer, pos] = v_new.reshape(t.kv_heads, t.hs)    # written at the resume, before pass 2 reads it
    want = golden(t, layer, pos, q, mult, shift)             # before any other write during the run
    # rows this run never reads may be rewritten while it is busy
    spare = [(l, p) for l in range(t.layers) for p in range(t.seq_len) if l != layer or p > pos]
    poke = int(rng.integers(0, latency))                     # a start pulse while busy: ignored
    repoke = int(rng.integers(lead, latency))                # a second resume pulse: ignored

    def scramble(cycle: int) -> None:
        """Inputs for the next edge: junk run inputs, the resume (with the V row), maybe a start or resume
        pulse or a KV write."""
        running = cycle < latency
        d.start.value = 1 if cycle == poke else 0
        d.resume.value = 1 if cycle + 1 == lead or cycle == repoke else 0
        d.layer.value = int(rng.integers(0, t.layers))       # the run latched its own inputs
        d.pos.value = int(rng.integers(0, t.seq_len))
        d.q_flat.value = pack(rng.integers(*t.scaled(-128, 128), t.dim), t.qkv_bits)
        d.att_mult.value = int(rng.integers(0, 1 << 16))
        d.att_shift.value = int(rng.integers(0, 64))
        if cycle + 1 == lead:
            drive_kv(t, layer, pos, None, v_new)
        elif running and spare and rng.random() < 0.3:
            l, p = spare[int(rng.integers(len(spare)))]
            drive_kv(t, l, p, rng.integers(lo, hi + 1, t.kv_dim), rng.integers(lo, hi + 1, t.kv_dim))
        else:
            no_kv(t)

    scramble(0)
    for cycle in range(1, latency + 1):
        await RisingEdge(d.clk)                              # edge `cycle`
        scramble(cycle)
        await ReadOnly()
        done, busy = int(d.done.value), int(d.busy.value)
        assert done == (cycle == latency), f"layer {layer} pos {pos}: done={done} in cycle {cycle} (latency {latency})"
        assert busy == (cycle < latency), f"layer {layer} pos {pos}: busy={busy} in cycle {cycle}"
    got = unpack(d.out_flat.value.to_unsigned(), t.dim, t.out_bits)
    assert np.array_equal(got, want), (f"layer {layer} pos {pos} mult {mult} shift {shift}:\n"
                                       f"rtl    {got.tolist()}\ngolden {want.tolist()}")
    await RisingEdge(d.clk)
    d.start.value = 0
    await ReadOnly()
    assert int(d.done.value) == 0, "done must be a single-cycle pulse"
    assert np.array_equal(unpack(d.out_flat.value.to_unsigned(), t.dim, t.out_bits), want), "out_flat changed after done"
    await RisingEdge(d.clk)


# scenario -> (value range of q/k/v as int8 (Dut.scaled), att_shift range at 8 bits, runs)
SCENARIOS = {
    "full_range": ((-128, 127), (14, 26), 30),   # typical: a spread of p values
    "ties": ((-1, 1), (4, 16), 24),              # tiny values: many equal scores (and maxima)
    "sparse": ((-128, 127), (1, 10), 24),        # big multiplier: most p are zero
    "flat": ((-128, 127), (40, 62), 6),          # tiny multiplier: u ~ 0, uniform p
}


@cocotb.test()
async def attention_vs_golden(dut) -> None:
    Clock(dut.clk, 10, unit="ns").start()
    t = Dut(dut)
    rng = np.random.default_rng(cocotb.RANDOM_SEED)
    order = random.Random(cocotb.RANDOM_SEED)
    await reset(t)
    runs = 0
    wider = 2 * t.qkv_frac                       # scores 2^(2 qkv_frac) larger: att_shift that much more
    for name, (int8_range, (s_lo, s_hi), n_runs) in SCENARIOS.items():
        lo, hi = t.scaled(*int8_range)
        await fill_kv(t, rng, lo, hi)
        points = [(layer, p) for layer in range(t.layers) for p in (0, t.seq_len - 1)]
        points += [(int(rng.integers(0, t.layers)), int(rng.integers(0, t.seq_len))) for _ in range(n_runs)]
        order.shuffle(points)
        for layer, pos in points:
            q = rng.integers(lo, hi + 1, t.dim)
            mult = int(rng.integers(1 << 14, (1 << 15) + 1))
            shift = int(rng.integers(s_lo + wider, min(s_hi + wider, 62) + 1))
            await run_once(t, rng, layer, pos, q, mult, shift, lo, hi)
            runs += 1
        dut._log.info("scenario %s: %d runs ok", name, len(points))

    # extremes: all operands at the bounds (largest scores, saturating outputs)
    lo, hi = t.scaled(-128, 127)
    for qv, kv, vv in ((lo, lo, lo), (lo, lo, hi), (hi, lo, lo), (lo, hi, hi)):
        for layer in range(t.layers):
            for pos in range(t.seq_len):
                drive_kv(t, layer, pos, np.full(t.kv_dim, kv), np.full(t.kv_dim, vv))
                await RisingEdge(dut.clk)
        no_kv(t)
        for layer, pos in ((0, 0), (t.layers - 1, t.seq_len - 1)):
            await run_once(t, rng, layer, pos, np.full(t.dim, qv), 1 << 15, 20 + wider, kv, kv, (vv, vv))
            runs += 1
    dut._log.info("%d attention runs match the golden model", runs)
