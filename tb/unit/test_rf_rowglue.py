"""rf_rowglue against sim_models: each destination's row stream (random rows with random gaps, the
matvec's done pulse after the last one) and every write checked in its exact cycle:
  QKV:  QKV_BITS-wide q/k pairs (8, or 12 for --act mx) rotated by golden.rope with the COS/SIN of the pair rope_pair points at (a
        table answered combinationally here, as rf_rope_gen's), written 1 cycle after the odd
        row; v rows written as they arrive, and kv_v (the value row the K/V cache takes) every
        cycle equal to the value buffer v_flat with the arriving v row in place;
  GATE: golden.swiglu_gate(SILU[layer][h1], h3, M_g, S_g, G_BITS), written PIPELINE["glue"] cycles after
        the h3 row, at h3_row / 2;
  RES:  intops.sat(x[row] + y, 16), written 1 cycle after the row;
and `fin` GLUE_LAT[phase] cycles after done (the phase's last write), `early` EARLY cycles before
W13's fin. The wrapper
(tests/test_rtl_core_units.py) writes the SILU ROM image (random int16) and passes its path in RF_SILU_FILE.
"""
from __future__ import annotations

import os
import random
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

from sim_models.golden import rope, swiglu_gate
from sim_models.intops import sat
from sim_models.schedule import GLUE_LAT, PIPELINE
from tb.unit.common import hold_reset

SWIGLU_LAT = PIPELINE["glue"]   # rf_rowglue's longest path
DST_LOGITS, DST_QKV, DST_GATE, DST_RES = range(4)
ROPE_LAT, RES_LAT = 1, 1       # hdl/rf_rope.v (products registered), the residual's register stage


def signed16(v: int) -> int:
    return ((v & 0xFFFF) ^ 0x8000) - 0x8000


class Glue:
    def __init__(self, dut, rng: random.Random) -> None:
        self.dut, self.rng = dut, rng
        self.cycle = 0
        self.writes: list[tuple[int, str, int, int]] = []   # (cycle, port, index, value)
        self.fins: list[int] = []
        self.kv_errors: list[int] = []                      # cycles where kv_v was wrong
        self.earlies: list[int] = []
        self.early = int(dut.EARLY.value)
        self.half = int(dut.HEAD_SIZE.value) // 2
        self.cos = [rng.randrange(-11585, 11586) for _ in range(self.half)]
        self.sin = [rng.randrange(-11585, 11586) for _ in range(self.half)]
        self.qb = int(dut.QKV_BITS.value)

    async def clock(self) -> None:
        """Per cycle: answer the RoPE table read, then record the write ports."""
        dut = self.dut
        while True:
            await FallingEdge(dut.clk)
            f = int(dut.rope_pair.value)
            dut.cos_sin.value = (self.cos[f] & 0xFFFF) | (self.sin[f] & 0xFFFF) << 16
            await ReadOnly()
            for port, idx, data, _width in (("qk", "qk_row", "qk_data", 16), ("v", "v_idx", "v_data", 8),
                                           ("g", "g_idx", "g_data", 8), ("res", "res_idx", "res_data", 16)):
                if int(getattr(dut, f"{port}_we").value):
                    raw = int(getattr(dut, data).value)
                    self.writes.append((self.cycle, port, int(getattr(dut, idx).value), raw))
            if int(dut.fin.value):
                self.fins.append(self.cycle)
            if int(dut.early.value):
                self.earlies.append(self.cycle)
            v_flat, kv_v, qb = int(dut.v_flat.value), int(dut.kv_v.value), self.qb
            if int(dut.v_we.value):
                i = int(dut.v_idx.value)
                v_flat = v_flat & ~(((1 << qb) - 1) << qb * i) | int(dut.v_data.value) << qb * i
            if kv_v != v_flat:
                self.kv_errors.append(self.cycle)
            await RisingEdge(dut.clk)
            self.cycle += 1

    async def stream(self, dst: int, rows: list[tuple[int, int]]) -> tuple[list[int], int]:
        """Phase entry (clear, dst), then the rows with random gaps, then done: the cycle of each
        row and of done."""
        dut = self.dut
        await FallingEdge(dut.clk)
        dut.dst.value, dut.clear.value = dst, 1
        await FallingEdge(dut.clk)
        dut.clear.value = 0
        at = []
        for row, value in rows:
            for _ in range(self.rng.choice((0, 0, 0, 1, 2))):
                dut.y_valid.value = 0
                await FallingEdge(dut.clk)
            dut.y_valid.value, dut.y_row.value, dut.y_data.value = 1, row, value
            at.append(self.cycle)
            await FallingEdge(dut.clk)
        dut.y_valid.value, dut.y_done.value = 0, 1
        done = self.cycle
        await FallingEdge(dut.clk)
        dut.y_done.value = 0
        for _ in range(SWIGLU_LAT + 2):
            await FallingEdge(dut.clk)
        return at, done


@cocotb.test()
async def glue_random(dut) -> None:
    rng = random.Random(cocotb.RANDOM_SEED)
    qk_rows, head, res_elems = int(dut.QK_ROWS.value), int(dut.HEAD_SIZE.value), int(dut.RES_ELEMS.value)
    qb, gb = int(dut.QKV_BITS.value), int(dut.G_BITS.value)
    qmask, gmask = (1 << qb) - 1, (1 << gb) - 1
    kv_dim = int(os.environ["RF_KV_DIM"])
    hidden, layers = int(os.environ["RF_HIDDEN"]), int(os.environ["RF_LAYERS"])
    silu = np.array([signed16(int(v, 16)) for v in Path(os.environ["RF_SILU_FILE"]).read_text().split()])
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    x = [rng.randrange(-32768, 32768) for _ in range(res_elems)]
    x[:2] = (32767, -32768)                       # saturation both ways
    dut.x_flat.value = sum((v & 0xFFFF) << (16 * i) for i, v in enumerate(x))
    dut.v_flat.value = rng.getrandbits(qb * kv_dim)
    await hold_reset(dut, ["dst", "clear", "layer", "gate_mult", "gate_shift", "y_valid", "y_row", "y_data",
                           "y_done", "cos_sin"])
    glue = Glue(dut, rng)
    cocotb.start_soon(glue.clock())

    for rep in range(3):
        # ---- QKV: q/k rows in pairs, then v rows
        vals = [rng.randrange(-(1 << (qb - 1)), 1 << (qb - 1)) for _ in range(qk_rows + kv_dim)]
        at, done = await glue.stream(DST_QKV, list(enumerate(vals)))
        want = []
        for r in range(1, qk_rows, 2):
            f = (r % head) // 2
            pair = rope(np.array([[[vals[r - 1], vals[r]]]]), np.array([[glue.cos[f]]]), np.array([[glue.sin[f]]]), qb)
            a2, b2 = (int(v) & qmask for v in pair[0, 0])
            want.append((at[r] + ROPE_LAT, "qk", r, a2 | b2 << qb))
        want += [(at[r], "v", r - qk_rows, vals[r] & qmask) for r in range(qk_rows, qk_rows + kv_dim)]
        check(glue, want, done, f"QKV {rep}", GLUE_LAT["qkv"])

        # ---- W13: h1 (even) and h3 (odd) rows, a random layer and gate multiplier
        layer, mult, shift = rng.randrange(layers), rng.randrange(1 << 16), rng.randrange(8, 30)
        dut.layer.value, dut.gate_mult.value, dut.gate_shift.value = layer, mult, shift
        vals = [rng.randrange(-128, 128) for _ in range(2 * hidden)]
        at, done = await glue.stream(DST_GATE, list(enumerate(vals)))
        want = [(at[r] + SWIGLU_LAT, "g", r // 2,
                 int(swiglu_gate(silu[layer * 256 + vals[r - 1] + 128], vals[r], mult, shift, gb)) & gmask)
                for r in range(1, 2 * hidden, 2)]
        check(glue, want, done, f"W13 {rep}", GLUE_LAT["w13"])

        # ---- WO/W2: residual rows (int16 values), any order of rows
        rows = rng.sample(range(res_elems), res_elems)
        vals = [rng.randrange(-32768, 32768) for _ in rows]
        at, done = await glue.stream(DST_RES, list(zip(rows, vals)))
        want = [(at[i], "res", r, int(sat(x[r] + v, 16)) & 0xFFFF) for i, (r, v) in enumerate(zip(rows, vals))]
        want = [(c + RES_LAT, p, i, v) for c, p, i, v in want]
        check(glue, want, done, f"residual {rep}", GLUE_LAT["wo"])
        assert GLUE_LAT["w2"] == GLUE_LAT["wo"], "WO and W2 share the residual glue"

        # ---- CLS: the logits go to rf_select; nothing is written here
        at, done = await glue.stream(DST_LOGITS, [(r, rng.randrange(-32768, 32768)) for r in range(8)])
        check(glue, [], done, f"CLS {rep}", GLUE_LAT["cls"])
    dut._log.info("rf_rowglue: every write of 3 x 4 phases matches golden.rope / intops")


def check(glue: Glue, want: list[tuple[int, str, int, int]], done: int, what: str, lat: int) -> None:
    got, glue.writes = glue.writes, []
    assert sorted(got) == sorted(want), f"{what}: writes differ: rtl-only {sorted(set(got) - set(want))[:4]}, " \
                                        f"golden-only {sorted(set(want) - set(got))[:4]}"
    fins, glue.fins = glue.fins, []
    earlies, glue.earlies = glue.earlies, []
    assert earlies == [done + SWIGLU_LAT - glue.early], f"{what}: early at {earlies}, done at {done}"
    assert fins == [done + lat], f"{what}: fin at {fins}, done at {done}, want {lat} cycles after"
    assert not glue.kv_errors, f"{what}: kv_v is not v_flat with the arriving v row in cycles {glue.kv_errors[:4]}"
