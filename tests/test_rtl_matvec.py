"""rf_matvec (with rf_rom and rf_requant) on both simulators: static activations at LANES 8 and 32,
mx activations (ACT_FMT 1, docs/arithmetic.md 3b) at LANES 8 .. 64 with blocks of 16 and 32 (LANES
below, equal to and above the block: one shifter at the tree's root, or ACT_BLOCK-lane subtrees).

The ROM images are generated here with numpy and the compiler's hex helpers,
laid out as the compiler lays out weights.hex / requant.hex: several matrices
back to back, each row padded with zero lanes to whole words, one requant entry
per row. The matrices themselves go to an .npz next to the images, from which
the cocotb test (tb/unit/test_rf_matvec.py) computes the expected results with
sim_models.golden.matvec and sim_models.intops.requant.
"""
from __future__ import annotations

import math
import random
from pathlib import Path

import numpy as np
import pytest

from conftest import verilator_variant
from sim_models.compiler import hex_lines, lane_hex, lane_words
from sim_models.mx import MX_BLOCKS, Mx
from sim_models.schedule import words
from tb.runner import BUILD, ROOT, SIMULATORS, check_results, run
from tb.unit.mx_stimulus import wide_vector

# (rows, cols): cols not multiples of LANES (27, 172, 200, 5, 1), one wpr == 1 at
# LANES 32 (27), single-row and single-column matrices, and rows longer than 255 words
# at LANES 8 (2100 columns: 263 words, which an 8-bit word counter would truncate).
SHAPES = [(13, 27), (9, 64), (24, 172), (1, 5), (6, 1), (17, 200), (3, 2100)]
STATIC_RMS = 74.0      # RMS of a uniform int8 activation (or weight)
SOURCES = [ROOT / "hdl" / "rf_requant.v", ROOT / "hdl" / "rf_rsr.v", ROOT / "hdl" / "rf_sat.v", ROOT / "hdl" / "rf_rom.v", ROOT / "hdl" / "rf_dot.v", ROOT / "hdl" / "rf_delay.v", ROOT / "hdl" / "rf_matvec.v",
           ROOT / "tb" / "unit" / "rf_matvec_tb.v"]


def requant_shifts(rng: np.random.Generator, rows: int, cols: int, mult: np.ndarray,
                   act_rms: float = STATIC_RMS) -> np.ndarray:
    """S in [1, 40 + x] around the scale of a random dot product of int8 weights and activations of
    RMS act_rms (x: its bits above int8's), so that 8-bit and 16-bit outputs are sometimes in range,
    sometimes saturated, sometimes ~0."""
    extra = max(0, round(math.log2(act_rms / STATIC_RMS)))
    typical = math.sqrt(cols) * STATIC_RMS * act_rms    # std of sum of cols weight * activation (uniform)
    center = np.round(np.log2(typical * mult.astype(np.float64))).astype(np.int64) - 10
    shift = np.clip(center + rng.integers(-7, 8, rows), 1, 40 + extra)
    pick = rng.random(rows)
    shift = np.where(pick < 0.1, rng.integers(1, 4, rows), shift)      # saturates even at 16 bits
    shift = np.where(pick > 0.9, rng.integers(36, 41, rows) + extra, shift)    # rounds to 0 / -0
    return shift


def mx_rms(block: int) -> float:
    """RMS of the mx benches' wide activations (tb.unit.mx_stimulus), from a sample."""
    sample = wide_vector(random.Random(0), np.random.default_rng(0), 1 << 14, block, Mx.wide_bits)
    return float(np.sqrt(np.mean(sample.astype(np.float64) ** 2)))


def make_data(lanes: int, out: Path, seed: int, act_rms: float = STATIC_RMS) -> dict[str, object]:
    """Write weights.hex, requant.hex and matrices.npz; return the wrapper's parameters."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    blocks, rq, arrays = [], [], {}
    bases, rq_bases, base, rq_base = [], [], 0, 0
    for n, (rows, cols) in enumerate(SHAPES):
        w = rng.integers(-128, 128, (rows, cols))
        if n == 2:
            w[0] = -128                                   # extreme row: -128 * -128 products
            w[1] = 127
        mult = rng.integers(1 << 14, (1 << 15) + 1, rows)
        shift = requant_shifts(rng, rows, cols, mult, act_rms)
        lw = lane_words(w, lanes)
        assert lw.shape[0] == rows * words(cols, lanes)
        blocks.append(lw)
        rq.append(mult | (shift << 16))
        arrays[f"w{n}"], arrays[f"m{n}"], arrays[f"s{n}"] = w, mult, shift
        bases.append(base)
        rq_bases.append(rq_base)
        base += lw.shape[0]
        rq_base += rows
    weights = np.concatenate(blocks)
    (out / "weights.hex").write_text(lane_hex(weights, 8))
    (out / "requant.hex").write_text(hex_lines(np.concatenate(rq), 24))
    maxw = max(words(cols, lanes) for _, cols in SHAPES) + 2     # + 2 junk words past every row
    np.savez(out / "matrices.npz", lanes=lanes, maxw=maxw, count=len(SHAPES), bases=np.array(bases),
             rq_bases=np.array(rq_bases), **arrays)
    w_depth, rq_depth = weights.shape[0], rq_base
    # LANES 8: one spare address bit (addresses beyond the image); LANES 32: exact width
    spare = 1 if lanes == 8 else 0
    return {"LANES": lanes, "MAXW": maxw, "WPR_BITS": maxw.bit_length(), "W_DEPTH": w_depth, "RQ_DEPTH": rq_depth,
            "ADDR_BITS": max(1, (w_depth - 1).bit_length()) + spare,
            "RQ_ADDR_BITS": max(1, (rq_depth - 1).bit_length()) + spare,
            "W_FILE": f'"{out / "weights.hex"}"', "RQ_FILE": f'"{out / "requant.hex"}"'}


@pytest.mark.parametrize("lanes", (8, 32))
@pytest.mark.parametrize("sim", SIMULATORS)
def test_rf_matvec(sim: str, lanes: int) -> None:
    verilator_variant(sim, lanes == 8)
    data = BUILD / "unit_data" / "matvec" / f"L{lanes}"
    params = make_data(lanes, data, seed=1000 + lanes)
    check_results(run(sim=sim, toplevel="rf_matvec_tb", sources=SOURCES, test_module="tb.unit.test_rf_matvec",
                      parameters=params, name=f"rf_matvec_L{lanes}",
                      extra_env={"RF_MATVEC_DATA": str(data / "matrices.npz")}))


# mx: (LANES, block) -- below the block (one shifter at the root), equal, and above it (LANES / block
# subtrees: 2 and 4); LANES 16 and 64 with the word registered by the caller (ACT_REG 0, rf_core's form). make test
# runs every case on Icarus (a few seconds each) and L64_B16 on Verilator (tests/conftest.py verilator_variant).
MX_CASES = [(lanes, block) for block in MX_BLOCKS for lanes in (8, 16, 32, 64)]


@pytest.mark.parametrize("lanes,block", MX_CASES, ids=[f"L{n}_B{b}" for n, b in MX_CASES])
@pytest.mark.parametrize("sim", SIMULATORS)
def test_rf_matvec_mx(sim: str, lanes: int, block: int) -> None:
    verilator_variant(sim, (lanes, block) == (64, 16))
    data = BUILD / "unit_data" / "matvec" / f"L{lanes}_mx{block}"
    params = make_data(lanes, data, seed=2000 + lanes + block, act_rms=mx_rms(block))
    params.update({"ACT_FMT": Mx.aid, "ACT_BLOCK": block, "ACT_WIDE_BITS": Mx.wide_bits, "ACT_EXP_BITS": Mx.exp_bits,
                   "QKV_BITS": Mx(block).qkv_bits, "ACT_REG": 0 if lanes in (16, 64) else 1})
    check_results(run(sim=sim, toplevel="rf_matvec_tb", sources=SOURCES, test_module="tb.unit.test_rf_matvec",
                      parameters=params, name=f"rf_matvec_L{lanes}_mx{block}",
                      extra_env={"RF_MATVEC_DATA": str(data / "matrices.npz")}))
