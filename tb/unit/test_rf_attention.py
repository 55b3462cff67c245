"""rf_attention against sim_models.golden.attention: seeded random KV caches and queries.

The KV cache is filled through the write port; every run checks all DIM outputs with == and
the exact latency sim_models.schedule.attention_latency (done a one-cycle pulse, busy until then). The run
inputs are scrambled right after start (they must have been latched), start is pulsed again
while busy (it must be ignored) and rows the run does not read are rewritten while it is busy.
"""
from __future__ import annotations

import random

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

from sim_models.golden import attention
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
        assert self.dim == self.heads * self.hs
        self.kv_dim = self.kv_heads * self.hs
        self.group = self.heads // self.kv_heads
        self.k = np.zeros((self.layers, self.seq_len, self.kv_heads, self.hs), np.int64)
        self.v = np.zeros_like(self.k)
        self.exp2 = exp2_table()


def pack(values: np.ndarray) -> int:
    word = 0
    for i, x in enumerate(np.ravel(values)):
        word |= (int(x) & 0xFF) << (8 * i)
    return word


def unpack(word: int, n: int) -> np.ndarray:
    raw = np.array([(word >> (8 * i)) & 0xFF for i in range(n)], dtype=np.int64)
    return np.where(raw >= 128, raw - 256, raw)


async def reset(t: Dut) -> None:
    d = t.dut
    await hold_reset(d, ("kv_we", "kv_layer", "kv_pos", "k_row", "v_row", "start", "layer", "pos", "q_flat",
                         "att_mult", "att_shift"))
    await RisingEdge(d.clk)


def drive_kv(t: Dut, layer: int, pos: int, k: np.ndarray, v: np.ndarray) -> None:
    """Drive one KV write (sampled at the next edge) and mirror it in the model."""
    d = t.dut
    d.kv_we.value = 1
    d.kv_layer.value = layer
    d.kv_pos.value = pos
    d.k_row.value = pack(k)
    d.v_row.value = pack(v)
    t.k[layer, pos] = k.reshape(t.kv_heads, t.hs)
    t.v[layer, pos] = v.reshape(t.kv_heads, t.hs)


async def fill_kv(t: Dut, rng: np.random.Generator, lo: int, hi: int) -> None:
    for layer in range(t.layers):
        for pos in range(t.seq_len):
            drive_kv(t, layer, pos, rng.integers(lo, hi + 1, t.kv_dim), rng.integers(lo, hi + 1, t.kv_dim))
            await RisingEdge(t.dut.clk)
    t.dut.kv_we.value = 0


def golden(t: Dut, layer: int, pos: int, q: np.ndarray, mult: int, shift: int) -> np.ndarray:
    keys = np.repeat(t.k[layer, :pos + 1], t.group, axis=1)
    values = np.repeat(t.v[layer, :pos + 1], t.group, axis=1)
    out = attention(q.reshape(1, t.heads, t.hs), keys, values, pos, mult, shift, t.exp2)
    return out.reshape(t.dim)


async def run_once(t: Dut, rng: np.random.Generator, layer: int, pos: int, q: np.ndarray, mult: int,
                   shift: int, lo: int, hi: int) -> None:
    d = t.dut
    latency = attention_latency(t.hs, pos, t.kv_heads, t.back_ends)   # docs/rtl.md, hdl/rf_attention.v
    d.start.value = 1
    d.layer.value = layer
    d.pos.value = pos
    d.q_flat.value = pack(q)
    d.att_mult.value = mult
    d.att_shift.value = shift
    await RisingEdge(d.clk)                                  # edge 0: start sampled
    want = golden(t, layer, pos, q, mult, shift)             # before any write during the run
    # rows this run never reads may be rewritten while it is busy
    spare = [(l, p) for l in range(t.layers) for p in range(t.seq_len) if l != layer or p > pos]
    poke = int(rng.integers(0, latency))                     # a start pulse while busy: ignored

    def scramble(cycle: int) -> None:
        """Inputs for the next edge: junk run inputs, maybe a start pulse or a KV write."""
        running = cycle < latency
        d.start.value = 1 if cycle == poke else 0
        d.layer.value = int(rng.integers(0, t.layers))       # the run latched its own inputs
        d.pos.value = int(rng.integers(0, t.seq_len))
        d.q_flat.value = pack(rng.integers(-128, 128, t.dim))
        d.att_mult.value = int(rng.integers(0, 1 << 16))
        d.att_shift.value = int(rng.integers(0, 64))
        if running and spare and rng.random() < 0.3:
            l, p = spare[int(rng.integers(len(spare)))]
            drive_kv(t, l, p, rng.integers(lo, hi + 1, t.kv_dim), rng.integers(lo, hi + 1, t.kv_dim))
        else:
            d.kv_we.value = 0

    scramble(0)
    for cycle in range(1, latency + 1):
        await RisingEdge(d.clk)                              # edge `cycle`
        scramble(cycle)
        await ReadOnly()
        done, busy = int(d.done.value), int(d.busy.value)
        assert done == (cycle == latency), f"layer {layer} pos {pos}: done={done} in cycle {cycle} (latency {latency})"
        assert busy == (cycle < latency), f"layer {layer} pos {pos}: busy={busy} in cycle {cycle}"
    got = unpack(d.out_flat.value.to_unsigned(), t.dim)
    assert np.array_equal(got, want), (f"layer {layer} pos {pos} mult {mult} shift {shift}:\n"
                                       f"rtl    {got.tolist()}\ngolden {want.tolist()}")
    await RisingEdge(d.clk)
    d.start.value = 0
    await ReadOnly()
    assert int(d.done.value) == 0, "done must be a single-cycle pulse"
    assert np.array_equal(unpack(d.out_flat.value.to_unsigned(), t.dim), want), "out_flat changed after done"
    await RisingEdge(d.clk)


# scenario -> (value range of q/k/v, att_shift range, runs)
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
    for name, ((lo, hi), (s_lo, s_hi), n_runs) in SCENARIOS.items():
        await fill_kv(t, rng, lo, hi)
        points = [(layer, p) for layer in range(t.layers) for p in (0, t.seq_len - 1)]
        points += [(int(rng.integers(0, t.layers)), int(rng.integers(0, t.seq_len))) for _ in range(n_runs)]
        order.shuffle(points)
        for layer, pos in points:
            q = rng.integers(lo, hi + 1, t.dim)
            mult = int(rng.integers(1 << 14, (1 << 15) + 1))
            shift = int(rng.integers(s_lo, s_hi + 1))
            await run_once(t, rng, layer, pos, q, mult, shift, lo, hi)
            runs += 1
        dut._log.info("scenario %s: %d runs ok", name, len(points))

    # extremes: all operands at the int8 bounds (largest scores, saturating outputs)
    for qv, kv, vv in ((-128, -128, -128), (-128, -128, 127), (127, -128, -128), (-128, 127, 127)):
        for layer in range(t.layers):
            for pos in range(t.seq_len):
                drive_kv(t, layer, pos, np.full(t.kv_dim, kv), np.full(t.kv_dim, vv))
                await RisingEdge(dut.clk)
        dut.kv_we.value = 0
        for layer, pos in ((0, 0), (t.layers - 1, t.seq_len - 1)):
            await run_once(t, rng, layer, pos, np.full(t.dim, qv), 1 << 15, 20, kv, kv)
            runs += 1
    dut._log.info("%d attention runs match the golden model", runs)
