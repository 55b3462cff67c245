"""rf_rmsnorm against sim_models.golden.rmsnorm, with exact latency WORDS + NORM_PIPE.

Each vector is first written through the unit's sum-of-squares port the way rf_core writes the
residual: words in random order, each as one write of all lanes or split into single-element and
partial writes (disabled lanes carry garbage), with idle gaps, sometimes after a `sq_clear` or after
garbage that a clear discards; then the start comes 0 to NORM_SUM_LAT + 2 cycles after the last
write (earlier than NORM_SUM_LAT it is held until the last write's squares are in the sum). A start
consumes the sum: a run whose vector is not written again normalizes by eps.

The pytest wrapper (tests/test_rtl_norm_rope_swiglu.py) writes the gain and RSQRT ROM
images and passes the configuration in the environment:
RF_LANES, RF_WORDS, RF_NORMS, RF_DIM, RF_EPS, RF_NORM_FILE, RF_RSQRT_FILE, RF_OUT_BITS (the unit's
OUT_BITS: an activation format's wide_bits, 8 for --act static, 15 for --act mx).
Expected values read those same images back (compiler.read_lanes), so the RTL and the
golden model see identical gains and tables.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

from sim_models.compiler import read_lanes
from sim_models.golden import rmsnorm
from sim_models.intops import rsqrt_index
from sim_models.quantize import QNorm
from sim_models.schedule import NORM_SUM_LAT, PIPELINE
from sim_models.tables import rsqrt_table
from tb.unit.common import hold_reset

NORM_PIPE = PIPELINE["rmsnorm"]   # hdl/rf_rmsnorm.v NORM_PIPE
MAX_TOTAL_SHIFT = 62   # the golden model's rsr is int64: keep nshift + sh/2 <= 62


@dataclass
class Cfg:
    lanes: int
    words: int
    norms: int
    dim: int
    eps: int
    gains: np.ndarray      # (norms, dim)
    rsqrt: np.ndarray
    out_bits: int          # y's width (sim_models.mx ActFormat.wide_bits)

    @property
    def latency(self) -> int:
        return self.words + NORM_PIPE

    @property
    def n(self) -> int:
        return self.lanes * self.words


def config() -> Cfg:
    env = os.environ
    lanes, words, norms, dim = (int(env[k]) for k in ("RF_LANES", "RF_WORDS", "RF_NORMS", "RF_DIM"))
    gains = read_lanes(Path(env["RF_NORM_FILE"]), lanes, 16).reshape(norms, words * lanes)
    assert np.all(gains[:, dim:] == 0), "gain padding must be zero"
    table = np.array([int(v, 16) for v in Path(env["RF_RSQRT_FILE"]).read_text().split()], dtype=np.int64)
    assert np.array_equal(table, rsqrt_table()), "RSQRT image differs from tables.rsqrt_table()"
    return Cfg(lanes, words, norms, dim, int(env["RF_EPS"]), gains[:, :dim], table, int(env["RF_OUT_BITS"]))


def pack(values: np.ndarray, bits: int) -> int:
    mask = (1 << bits) - 1
    return sum((int(v) & mask) << (bits * i) for i, v in enumerate(values))


def unpack(word: int, bits: int, n: int) -> np.ndarray:
    mask, half = (1 << bits) - 1, 1 << (bits - 1)
    vals = [(word >> (bits * i)) & mask for i in range(n)]
    return np.array([v - (1 << bits) if v >= half else v for v in vals], dtype=np.int64)


def squares(x: np.ndarray) -> int:
    return int(np.sum(x * x))


def expected(cfg: Cfg, x: np.ndarray, nidx: int, nshift: int, written: int | None = None) -> np.ndarray:
    """golden.rmsnorm of x_flat's first dim elements (padding elements are expected to be 0), with
    v = `written` (the sum of squares of the elements written since the last clear or start;
    default: x's own) + eps: the golden model's v = sum x^2 + eps, given eps + written - sum x^2."""
    d = cfg.dim
    eps = cfg.eps + (squares(x[:d]) if written is None else written) - squares(x[:d])
    y = np.zeros(cfg.n, dtype=np.int64)
    y[:d] = rmsnorm(x[None, :d], QNorm(cfg.gains[nidx], nshift - 15), eps, cfg.rsqrt, cfg.out_bits)[0]
    return y


def pick_nshift(cfg: Cfg, x: np.ndarray, rng: np.random.Generator, written: int | None = None) -> int:
    _, sh = rsqrt_index((squares(x[:cfg.dim]) if written is None else written) + cfg.eps)
    top = min(63, MAX_TOTAL_SHIFT - int(sh) // 2)
    if rng.random() < 0.7:   # y ~ (x / rms) * G * 2^(15 - nshift): mostly unsaturated here at any width
        return int(min(top, rng.integers(20, 31) - (cfg.out_bits - 8)))
    return int(rng.integers(0, top + 1))


def stimuli(cfg: Cfg, rng: np.random.Generator) -> list[np.ndarray]:
    d = cfg.dim
    out: list[np.ndarray] = []

    def vec(v: np.ndarray) -> None:
        x = np.zeros(cfg.n, dtype=np.int64)
        x[:d] = v
        out.append(x)

    vec(np.zeros(d, dtype=np.int64))                                   # v = EPS
    vec(np.full(d, -32768, dtype=np.int64))
    vec(np.full(d, 32767, dtype=np.int64))
    for _ in range(150):
        vec(rng.integers(-32768, 32768, d))                            # full range
    for _ in range(60):
        vec(rng.integers(-8, 8, d))                                    # small values
    for _ in range(150):
        vec(rng.integers(-32768, 32768, d) >> int(rng.integers(0, 16)))  # mixed magnitudes
    for _ in range(20):                                                # sparse
        vec(rng.integers(-32768, 32768, d) * (rng.random(d) < 0.1))
    for value in (-32768, 32767, 1, -1, 2, 300):                        # a single nonzero
        x = np.zeros(d, dtype=np.int64)
        x[int(rng.integers(0, d))] = value
        vec(x)
    x = np.zeros(d, dtype=np.int64)
    x[d - 1] = -12345                                                   # last (partial-word) element
    vec(x)
    return out


async def reset(dut) -> None:
    dut.eps.value = config().eps      # constant input (from the layer ROM in the core): the sum after reset
    await hold_reset(dut, ("start", "norm_idx", "nshift", "x_flat", "sq_clear", "sq_we", "sq_x"))
    await RisingEdge(dut.clk)


def write_plan(cfg: Cfg, rng: np.random.Generator) -> list[tuple[int, int]]:
    """(word, lane mask) of each write of one vector: every element once, words in random order,
    a word as one write of all its lanes or split into random lane subsets, in random order."""
    plan: list[tuple[int, int]] = []
    for w in rng.permutation(cfg.words):
        r = rng.random()
        if r < 0.4:                                          # the whole word (the embedding's writes)
            part = np.zeros(cfg.lanes, dtype=np.int64)
        elif r < 0.7:                                        # one element at a time (the WO/W2 rows)
            part = np.arange(cfg.lanes)
        else:                                                # random lane subsets
            part = rng.integers(0, cfg.lanes, cfg.lanes)
        for p in rng.permutation(np.unique(part)):
            plan.append((int(w), sum(1 << j for j in range(cfg.lanes) if part[j] == p)))
    return plan


async def write_vector(dut, cfg: Cfg, rng: np.random.Generator, x: np.ndarray, clear: bool,
                       start_with_last: tuple[int, int] | None = None) -> None:
    """Call right after a RisingEdge. Drives the writes of x (write_plan) with idle gaps of 0-2 cycles,
    after a sq_clear when `clear` (sometimes with garbage written first, which the clear discards);
    returns right after the last write's edge. start_with_last = (norm_idx, nshift): the start comes
    in the last write's cycle (as rf_core starts a norm on the edge that ends WO, W2 or the embedding)."""
    if clear:
        if rng.random() < 0.5:               # garbage before the clear
            dut.sq_we.value = int(rng.integers(1, 1 << cfg.lanes))
            dut.sq_x.value = pack(rng.integers(-32768, 32768, cfg.lanes), 16)
            await RisingEdge(dut.clk)
            dut.sq_we.value = 0
            for _ in range(int(rng.integers(0, 6))):   # its squares still in flight at the clear, or not
                await RisingEdge(dut.clk)
        dut.sq_clear.value = 1
        await RisingEdge(dut.clk)
        dut.sq_clear.value = 0
    plan = write_plan(cfg, rng)
    for i, (w, mask) in enumerate(plan):
        for _ in range(int(rng.choice(3, p=(0.6, 0.3, 0.1)))):
            await RisingEdge(dut.clk)
        if start_with_last is not None and i == len(plan) - 1:
            dut.x_flat.value = pack(x, 16)
            dut.norm_idx.value, dut.nshift.value = start_with_last
            dut.start.value = 1
        lanes = x[w * cfg.lanes:(w + 1) * cfg.lanes]
        garbage = rng.integers(-32768, 32768, cfg.lanes)
        dut.sq_we.value = mask
        dut.sq_x.value = pack(np.where([(mask >> j) & 1 for j in range(cfg.lanes)], lanes, garbage), 16)
        await RisingEdge(dut.clk)
        dut.sq_we.value = 0
        dut.sq_x.value = pack(rng.integers(-32768, 32768, cfg.lanes), 16)


async def run_one(dut, cfg: Cfg, rng: np.random.Generator, x: np.ndarray, nidx: int, nshift: int,
                  clear: bool = True) -> None:
    """Call right after a RisingEdge. Writes x (write_vector), starts one normalization 0 to
    NORM_SUM_LAT + 2 cycles after the last write (a start before the last write's squares are in the
    sum is held until they are, with the norm_idx and nshift it came with), checks the hold, latency,
    pulse, result."""
    want = expected(cfg, x, nidx, nshift)
    n_lat = cfg.latency
    k = int(rng.integers(-1, NORM_SUM_LAT + 2))      # -1: the start in the last write's cycle
    await write_vector(dut, cfg, rng, x, clear, (nidx, nshift) if k < 0 else None)
    if k >= 0:
        for _ in range(k):
            await RisingEdge(dut.clk)
        dut.x_flat.value = pack(x, 16)
        dut.norm_idx.value = nidx
        dut.nshift.value = nshift
        dut.start.value = 1
        await RisingEdge(dut.clk)              # start sampled; held for NORM_SUM_LAT - 1 - k edges more
    for _ in range(max(0, NORM_SUM_LAT - 1 - k)):
        dut.start.value = int(rng.integers(0, 2))          # another start while one is held: ignored
        dut.norm_idx.value = int(rng.integers(0, cfg.norms))
        dut.nshift.value = int(rng.integers(0, 64))
        await ReadOnly()
        assert dut.busy.value == 0 and dut.done.value == 0, f"held start began early (start {k + 1} after the write)"
        await RisingEdge(dut.clk)
    await ReadOnly()
    assert dut.busy.value == 1 and dut.done.value == 0, "busy must rise right after start"
    for cycle in range(1, n_lat + 1):
        await RisingEdge(dut.clk)
        if cycle < n_lat:                      # start/config while busy must be ignored
            dut.start.value = int(rng.integers(0, 2))
            dut.norm_idx.value = int(rng.integers(0, cfg.norms))
            dut.nshift.value = int(rng.integers(0, 64))
        else:
            dut.start.value = 0
        await ReadOnly()
        done, busy = int(dut.done.value), int(dut.busy.value)
        if cycle < n_lat:
            assert done == 0, f"done early at cycle {cycle}, latency must be {n_lat}"
            assert busy == 1, f"busy dropped at cycle {cycle}"
    assert done == 1, f"done not high at cycle {n_lat} = WORDS + {NORM_PIPE}"
    assert busy == 0, "busy must fall with done"
    got = unpack(dut.y_flat.value.to_unsigned(), cfg.out_bits, cfg.n)
    assert np.array_equal(got, want), (
        f"norm {nidx} nshift {nshift}\n x    {x.tolist()}\n rtl  {got.tolist()}\n gold {want.tolist()}")
    await RisingEdge(dut.clk)                  # cycle N+1: done was a single pulse, result held
    dut.x_flat.value = pack(rng.integers(-32768, 32768, cfg.n), 16)
    await ReadOnly()
    assert dut.done.value == 0 and dut.busy.value == 0, "done must be a one-cycle pulse"
    assert np.array_equal(unpack(dut.y_flat.value.to_unsigned(), cfg.out_bits, cfg.n), want), "y_flat not held"
    await RisingEdge(dut.clk)


@cocotb.test()
async def random_norms(dut) -> None:
    cfg = config()
    rng = np.random.default_rng(cocotb.RANDOM_SEED)
    Clock(dut.clk, 10, unit="ns").start()
    await reset(dut)
    checked = 0
    for k, x in enumerate(stimuli(cfg, rng)):
        nidx = k % cfg.norms if k < 2 * cfg.norms else int(rng.integers(0, cfg.norms))
        await run_one(dut, cfg, rng, x, nidx, pick_nshift(cfg, x, rng), clear=bool(rng.random() < 0.3))
        checked += 1
    dut._log.info("rf_rmsnorm: %d vectors (dim %d, lanes %d, words %d) match golden.rmsnorm, latency %d",
                  checked, cfg.dim, cfg.lanes, cfg.words, cfg.latency)


@cocotb.test()
async def back_to_back(dut) -> None:
    """start held high: a new run begins the cycle after done, every N + 1 cycles. Only run 0's vector
    is written: each start consumes the sum, so the later runs normalize by eps alone."""
    cfg = config()
    rng = np.random.default_rng(cocotb.RANDOM_SEED + 1)
    Clock(dut.clk, 10, unit="ns").start()
    await reset(dut)
    runs = [(rng.integers(-32768, 32768, cfg.dim) >> int(rng.integers(0, 8)), int(rng.integers(0, cfg.norms)))
            for _ in range(6)]
    xs = []
    for i, (v, nidx) in enumerate(runs):
        x = np.zeros(cfg.n, dtype=np.int64)
        x[:cfg.dim] = v
        xs.append((x, nidx, pick_nshift(cfg, x, rng, None if i == 0 else 0)))

    def drive(i: int) -> None:
        x, nidx, nshift = xs[i]
        dut.x_flat.value = pack(x, 16)
        dut.norm_idx.value = nidx
        dut.nshift.value = nshift

    await write_vector(dut, cfg, rng, xs[0][0], clear=True)
    for _ in range(NORM_SUM_LAT - 1):
        await RisingEdge(dut.clk)
    drive(0)
    dut.start.value = 1
    await RisingEdge(dut.clk)                  # edge 0 of run 0
    for i, (x, nidx, nshift) in enumerate(xs):
        for cycle in range(1, cfg.latency + 1):
            await RisingEdge(dut.clk)
            if cycle == cfg.latency and i + 1 < len(xs):
                drive(i + 1)                   # the next run's inputs, sampled at the next edge
            elif cycle == cfg.latency:
                dut.start.value = 0
            await ReadOnly()
            assert int(dut.done.value) == (cycle == cfg.latency), f"run {i}: done wrong at cycle {cycle}"
        got = unpack(dut.y_flat.value.to_unsigned(), cfg.out_bits, cfg.n)
        want = expected(cfg, x, nidx, nshift, None if i == 0 else 0)
        assert np.array_equal(got, want), f"run {i} mismatch\n rtl  {got.tolist()}\n gold {want.tolist()}"
        await RisingEdge(dut.clk)              # edge 0 of the next run
        await ReadOnly()
        assert int(dut.busy.value) == (i + 1 < len(xs)), "start held high must restart right after done"


@cocotb.test()
async def reset_mid_run(dut) -> None:
    cfg = config()
    rng = np.random.default_rng(cocotb.RANDOM_SEED + 2)
    Clock(dut.clk, 10, unit="ns").start()
    await reset(dut)
    dut.x_flat.value = pack(rng.integers(-32768, 32768, cfg.n), 16)
    dut.start.value = 1
    await RisingEdge(dut.clk)
    dut.start.value = 0
    for _ in range(cfg.words + 2):
        await RisingEdge(dut.clk)
    dut.rst_n.value = 0
    await RisingEdge(dut.clk)
    dut.rst_n.value = 1
    await ReadOnly()
    assert dut.busy.value == 0 and dut.done.value == 0, "reset must abort the run"
    for _ in range(cfg.latency + 2):
        await RisingEdge(dut.clk)
        await ReadOnly()
        assert dut.done.value == 0, "no done after an aborted run"
    await RisingEdge(dut.clk)
    x = np.zeros(cfg.n, dtype=np.int64)
    x[:cfg.dim] = rng.integers(-32768, 32768, cfg.dim)
    await run_one(dut, cfg, rng, x, cfg.norms - 1, pick_nshift(cfg, x, rng), clear=False)   # reset: sum = eps
