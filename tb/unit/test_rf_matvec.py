"""rf_matvec (through tb/unit/rf_matvec_tb.v) against sim_models.golden.matvec + intops.requant.

The matrices live in the ROM images written by tests/test_rtl_matvec.py; their
numpy form comes from the .npz named by $RF_MATVEC_DATA. The activation format is the
wrapper's ACT_FMT / ACT_BLOCK (sim_models.mx): static activations are random int8, mx ones
random wide values (tb.unit.mx_stimulus) with their block exponents (mx.block_exponents) on
exp_flat, and the golden operand is the format's `operand` (mx: block_elements, block_operand),
the golden model's. Seeded from cocotb.RANDOM_SEED; zero in the padding lanes of the last word
and junk in the words past the row (mx: junk exponents there and in the padding blocks of the
last word too). Every run checks: done exactly rows * wpr + MV_PIPE cycles after the accepted
start (MV_PIPE is the schedule's matvec_pipe(format)), one y per row in row order with the
golden value, busy high from the start until done, nothing outside a run.
"""
from __future__ import annotations

import os
import random
from dataclasses import dataclass, field

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

from sim_models.golden import matvec
from sim_models.intops import requant, rsr
from sim_models.mx import ACT_FORMATS, ActFormat, Mx, block_exponents, expand_blocks, make_act_format
from sim_models.schedule import matvec_pipe, words
from tb.unit.common import hold_reset
from tb.unit.mx_stimulus import pack_lanes, wide_vector


@dataclass
class Matrix:
    w: np.ndarray
    mult: np.ndarray
    shift: np.ndarray
    base: int
    rq_base: int

    @property
    def rows(self) -> int:
        return self.w.shape[0]

    @property
    def cols(self) -> int:
        return self.w.shape[1]


@dataclass
class Job:
    mat: Matrix
    out16: bool
    act: np.ndarray          # (cols,) int8 (static) or wide (mx) values
    act_flat: int            # packed act_flat value (padding lanes 0, junk past the row)
    exp_flat: int            # packed exp_flat value (mx: each word's block exponents)
    rows: int                # cfg_rows (0 for an empty run)
    wpr: int
    pipe: int                # MV_PIPE
    start_edge: int = -1
    expected: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def latency(self) -> int:
        return self.rows * self.wpr + self.pipe


def load_matrices() -> tuple[int, int, list[Matrix]]:
    d = np.load(os.environ["RF_MATVEC_DATA"])
    mats = [Matrix(d[f"w{n}"], d[f"m{n}"], d[f"s{n}"], int(d["bases"][n]), int(d["rq_bases"][n]))
            for n in range(int(d["count"]))]
    return int(d["lanes"]), int(d["maxw"]), mats


def act_format(dut) -> ActFormat:
    """The wrapper's activation format (ACT_FMT is the format's aid, ACT_BLOCK mx's block)."""
    aid = int(dut.ACT_FMT.value)
    name = next(n for n, f in ACT_FORMATS.items() if f.aid == aid)
    return make_act_format(name, int(dut.ACT_BLOCK.value) if name == Mx.name else None)


class Bench:
    def __init__(self, dut) -> None:
        self.dut = dut
        self.lanes, self.maxw, self.mats = load_matrices()
        self.act = act_format(dut)
        self.exp_bits = int(dut.ACT_EXP_BITS.value)
        self.pipe = matvec_pipe(self.act.name)
        self.rng = random.Random(cocotb.RANDOM_SEED)
        self.np_rng = np.random.default_rng(cocotb.RANDOM_SEED)
        self.edge = 0
        self.start_cur = 0        # value of start during the current cycle
        self.busy_cur = 0         # busy sampled in the current cycle
        self.started: list[int] = []   # edges at which a start was accepted
        self.y: list[tuple[int, int, int]] = []   # (edge, row, value)
        self.done: list[int] = []
        self.busy: dict[int, int] = {}
        self.sat_hits = {8: 0, 16: 0}
        self.elem_sat = 0          # mx: elements clamped to 127 (a positive value rounding up to 128)

    # -------------------------------------------------------------- clocking
    async def setup(self) -> None:
        d = self.dut
        Clock(d.clk, 10, unit="ns").start()
        await hold_reset(d, ("start", "cfg_base", "cfg_rows", "cfg_wpr", "cfg_rq_base", "cfg_out16", "act_flat",
                             "exp_flat"))
        await self.tick()

    async def tick(self, **drive: int) -> bool:
        """One rising edge; then drive the inputs for the next cycle and sample the outputs.

        Returns True if a start was accepted at this edge (start is dropped then).
        """
        await RisingEdge(self.dut.clk)
        self.edge += 1
        accepted = bool(self.start_cur and not self.busy_cur and int(self.dut.rst_n.value))
        if accepted:
            self.started.append(self.edge)
            self.dut.start.value = 0
            self.start_cur = 0
        for name, value in drive.items():
            getattr(self.dut, name).value = value
            if name == "start":
                self.start_cur = value
        await ReadOnly()
        d = self.dut
        self.busy_cur = int(d.busy.value)
        self.busy[self.edge] = self.busy_cur
        if int(d.y_valid.value):
            self.y.append((self.edge, int(d.y_row.value.to_unsigned()), int(d.y_data.value.to_signed())))
        if int(d.done.value):
            self.done.append(self.edge)
        return accepted

    # ------------------------------------------------------------------ jobs
    def job(self, mat: Matrix, out16: bool, empty: bool = False) -> Job:
        wpr, wide = words(mat.cols, self.lanes), self.act.wide_bits
        if self.act.block:
            act = wide_vector(self.rng, self.np_rng, mat.cols, self.act.block, wide)
            exps = expand_blocks(block_exponents(act, self.act.block), self.act.block, mat.cols)
            self.elem_sat += int(np.sum(rsr(act, exps) > 127))
        else:
            act = self.np_rng.integers(-128, 128, mat.cols)
        flat = np.zeros(self.maxw * self.lanes, np.int64)
        flat[:mat.cols] = act
        flat[wpr * self.lanes:] = self.np_rng.integers(-(1 << (wide - 1)), 1 << (wide - 1),
                                                       (self.maxw - wpr) * self.lanes)   # junk
        job = Job(mat, out16, act, pack_lanes(flat, wide), self.exp_flat(act, wpr), 0 if empty else mat.rows, wpr,
                  self.pipe)
        bits = 16 if out16 else 8
        acc = matvec(self.act.operand(act)[None, :], mat.w.T.astype(np.float64))[0]
        job.expected = requant(acc, mat.mult, mat.shift, bits)[:job.rows]
        self.sat_hits[bits] += int(np.sum(np.abs(job.expected * 2 + 1) >= (1 << bits) - 1))
        return job

    def exp_flat(self, act: np.ndarray, wpr: int) -> int:
        """mx: the block exponents of each word (one when LANES <= block, LANES / block otherwise),
        junk in the words past the row and for the padding blocks of its last word; static: 0."""
        block = self.act.block
        if not block:
            return 0
        per_word = max(1, self.lanes // block)
        ent = self.np_rng.integers(0, 1 << self.exp_bits, self.maxw * per_word)
        e = block_exponents(act, block)
        first = np.arange(self.maxw * per_word)
        blk = (first // per_word) * self.lanes // block + first % per_word   # the block of each entry
        real = (first // per_word < wpr) & (blk < e.size)
        ent[real] = e[blk[real]]
        return pack_lanes(ent, self.exp_bits)

    def drive_job(self, job: Job) -> dict[str, int]:
        return {"cfg_base": job.mat.base, "cfg_rows": job.rows, "cfg_wpr": job.wpr, "cfg_rq_base": job.mat.rq_base,
                "cfg_out16": int(job.out16), "act_flat": job.act_flat, "exp_flat": job.exp_flat, "start": 1}

    async def submit(self, job: Job, prev: Job | None) -> None:
        """Present job with start high (held while busy) until accepted."""
        n = len(self.started)
        await self.tick(**self.drive_job(job))
        limit = self.edge + (prev.latency if prev else 0) + 64
        while len(self.started) == n:
            assert self.edge < limit, f"start not accepted by edge {limit} (busy stuck?)"
            await self.tick()
        job.start_edge = self.started[-1]
        assert prev is None or job.start_edge > prev.start_edge + prev.latency, "start accepted while busy"

    async def wait_edge(self, edge: int) -> None:
        while self.edge < edge:
            await self.tick()

    async def run_jobs(self, jobs: list[Job], back_to_back: bool, poke_while_busy: bool = False) -> None:
        prev: Job | None = None
        for job in jobs:
            if prev is not None:
                # activations are read until edge start + rows*wpr; only then may they change
                await self.wait_edge(prev.start_edge + prev.rows * prev.wpr)
                if not back_to_back:
                    await self.wait_edge(prev.start_edge + prev.latency + self.rng.randrange(0, 4))
            await self.submit(job, prev)
            if poke_while_busy and job.rows * job.wpr > 2:
                # a start pulse with junk cfg (same activations) mid-run must be ignored
                await self.wait_edge(job.start_edge + self.rng.randrange(0, job.rows * job.wpr - 1))
                await self.tick(start=1, cfg_base=self.rng.randrange(0, 4), cfg_rows=self.rng.randrange(1, 9),
                                cfg_wpr=self.rng.randrange(1, 9), cfg_out16=int(not job.out16))
                accepted = await self.tick(start=0)
                assert not accepted, f"start accepted while busy at edge {self.edge}"
            prev = job
        if prev is not None:
            await self.wait_edge(prev.start_edge + prev.latency + 8)

    # ---------------------------------------------------------------- checks
    def check(self, jobs: list[Job]) -> None:
        assert self.started == [j.start_edge for j in jobs], f"accepted starts {self.started}"
        claimed = 0
        for n, job in enumerate(jobs):
            s, end = job.start_edge, job.start_edge + job.latency
            nxt = jobs[n + 1].start_edge if n + 1 < len(jobs) else self.edge   # window (s, nxt]
            what = (f"job {n} (rows={job.rows} cols={job.mat.cols} wpr={job.wpr} base={job.mat.base} "
                    f"out16={job.out16}, start edge {s})")
            dones = [e for e in self.done if s < e <= nxt]
            assert dones == [end], f"{what}: done at {[e - s for e in dones]} cycles, expected {job.latency}"
            busy = [self.busy[e] for e in range(s, end + 1)]
            assert busy == [1] * job.latency + [0], f"{what}: busy {busy}"
            late = [e - s for e, _, _ in self.y if end < e <= nxt]
            assert not late, f"{what}: y_valid after done, at {late} cycles"
            ys = [(row, val) for e, row, val in self.y if s < e <= end]
            claimed += len(ys)
            rows = [r for r, _ in ys]
            assert rows == list(range(job.rows)), f"{what}: rows {rows}"
            got = np.array([v for _, v in ys], dtype=np.int64)
            bad = np.nonzero(got != job.expected)[0]
            assert bad.size == 0, (f"{what}: {bad.size} rows differ, first row {bad[0]}: rtl {got[bad[0]]} != "
                                   f"golden {job.expected[bad[0]]} (M={job.mat.mult[bad[0]]}, "
                                   f"S={job.mat.shift[bad[0]]})")
        assert claimed == len(self.y), f"{len(self.y) - claimed} y_valid pulses outside any run"
        assert len(self.done) == len(jobs), f"{len(self.done)} done pulses for {len(jobs)} runs"


async def bench(dut) -> Bench:
    b = Bench(dut)
    await b.setup()
    return b


@cocotb.test()
async def every_matrix_both_widths(dut) -> None:
    """Each matrix of the image, 8- and 16-bit outputs, idle gaps (0..3 cycles) between runs."""
    b = await bench(dut)
    jobs = [b.job(m, out16) for m in b.mats for out16 in (False, True)]
    b.rng.shuffle(jobs)
    await b.run_jobs(jobs, back_to_back=False)
    b.check(jobs)
    dut._log.info("saturated outputs: %s, saturated elements: %d", b.sat_hits, b.elem_sat)
    assert b.sat_hits[8] > 0 and b.sat_hits[16] > 0, f"stimulus never saturates: {b.sat_hits}"
    assert b.elem_sat > 0 or not b.act.block, "mx stimulus never saturates an element"


@cocotb.test()
async def back_to_back(dut) -> None:
    """The next start is held high (with new cfg and activations) while the previous run
    drains, so it is accepted the cycle after done; random matrices and widths."""
    b = await bench(dut)
    jobs = [b.job(b.rng.choice(b.mats), b.rng.random() < 0.5) for _ in range(16)]
    await b.run_jobs(jobs, back_to_back=True)
    b.check(jobs)
    gaps = [j.start_edge - (p.start_edge + p.latency) for p, j in zip(jobs, jobs[1:])]
    assert gaps == [1] * len(gaps), f"start-to-done gaps {gaps}"


@cocotb.test()
async def start_ignored_while_busy(dut) -> None:
    """A start pulse with different cfg in the middle of a run changes nothing."""
    b = await bench(dut)
    jobs = [b.job(m, b.rng.random() < 0.5) for m in b.mats]
    await b.run_jobs(jobs, back_to_back=False, poke_while_busy=True)
    b.check(jobs)


@cocotb.test()
async def empty_run(dut) -> None:
    """cfg_rows = 0: no results, done after MV_PIPE cycles; then a normal run."""
    b = await bench(dut)
    jobs = [b.job(b.mats[0], False, empty=True), b.job(b.mats[1], True), b.job(b.mats[2], False, empty=True)]
    await b.run_jobs(jobs, back_to_back=True)
    b.check(jobs)


@cocotb.test()
async def reset_mid_run(dut) -> None:
    """Synchronous reset in the middle of a run: no results or done afterwards, idle; then a clean run."""
    b = await bench(dut)
    long = b.job(b.mats[2], True)
    await b.submit(long, None)
    await b.wait_edge(long.start_edge + b.rng.randrange(1, long.rows * long.wpr))
    await b.tick(rst_n=0)
    await b.tick()
    assert b.busy_cur == 0, "busy after reset"
    y_before, done_before = len(b.y), len(b.done)
    await b.tick(rst_n=1)
    await b.wait_edge(b.edge + long.latency + 4)
    assert len(b.y) == y_before and len(b.done) == done_before == 0, "results after reset"
    assert b.busy_cur == 0
    # a fresh bench view for the next run (the aborted job is not checked)
    b.started.clear()
    b.y.clear()
    b.done.clear()
    jobs = [b.job(b.mats[0], False), b.job(b.mats[5], True)]
    await b.run_jobs(jobs, back_to_back=True)
    b.check(jobs)
