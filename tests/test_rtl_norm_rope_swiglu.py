"""Block-level RTL tests of rf_rmsnorm, rf_rope, rf_rope_gen and rf_swiglu on both simulators."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import verilator_variant
from sim_models.compiler import hex_lines, lane_hex, lane_words
from sim_models.mx import make_act_format
from sim_models.tables import ROPE_FRAC, ROPE_LO, rope_base, rsqrt_table
from tb.runner import BUILD, SIMULATORS, check_results, run

DATA = BUILD / "unit_data" / "norm"

# make test runs the --act mx cases on Icarus and the static ones on Verilator (tests/conftest.py
# verilator_variant; the mx widths lint clean on Verilator in tests/test_lint.py); make regression both.

# name -> (LANES, DIM, NORMS, EPS, activation format); DIM 20 with 8 lanes leaves a partial last word.
# The format sets OUT_BITS (its wide_bits: 8 static, 15 mx).
NORM_CONFIGS = {
    "l8_d20": (8, 20, 3, 1, "static"),
    "l32_d64": (32, 64, 5, 5_000_000_000, "static"),   # eps above 2^32 exercises the 48-bit input
    "l8_d20_mx": (8, 20, 3, 1, "mx"),
}


def write_norm_images(name: str, lanes: int, dim: int, norms: int, seed: int) -> tuple[str, str]:
    """Random int16 gains (full range, zero padding) as norm.hex, plus rsqrt.hex."""
    rng = np.random.default_rng(seed)
    gains = rng.integers(-32768, 32768, (norms, dim))
    gains[0, :4] = (-32768, 32767, 0, 1)
    DATA.mkdir(parents=True, exist_ok=True)
    norm_file = DATA / f"{name}_norm.hex"
    rsqrt_file = DATA / "rsqrt.hex"
    norm_file.write_text(lane_hex(lane_words(gains, lanes), 16))
    rsqrt_file.write_text(hex_lines(rsqrt_table(), 16))
    return str(norm_file), str(rsqrt_file)


@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("cfg", sorted(NORM_CONFIGS))
def test_rmsnorm(sim: str, cfg: str) -> None:
    lanes, dim, norms, eps, act = NORM_CONFIGS[cfg]
    verilator_variant(sim, cfg == "l8_d20")
    words = -(-dim // lanes)
    out_bits = make_act_format(act).wide_bits
    norm_file, rsqrt_file = write_norm_images(cfg, lanes, dim, norms, seed=dim * 131 + lanes)
    params = {"LANES": lanes, "WORDS": words, "NORMS": norms, "OUT_BITS": out_bits,
              "NORM_FILE": f'"{norm_file}"', "RSQRT_FILE": f'"{rsqrt_file}"'}
    env = {"RF_LANES": str(lanes), "RF_WORDS": str(words), "RF_NORMS": str(norms), "RF_DIM": str(dim),
           "RF_EPS": str(eps), "RF_NORM_FILE": norm_file, "RF_RSQRT_FILE": rsqrt_file, "RF_OUT_BITS": str(out_bits)}
    check_results(run(sim=sim, toplevel="rf_rmsnorm", sources=["rf_rmsnorm", "rf_lzc", "rf_rom", "rf_sat"],
                      test_module="tb.unit.test_rf_rmsnorm",
                      parameters=params, name=f"rf_rmsnorm_{cfg}", extra_env=env))


@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("act", ["static", "mx"])
def test_rope(sim: str, act: str) -> None:
    """BITS is the format's qkv_bits (8 static, 12 mx)."""
    verilator_variant(sim, act == "static")
    check_results(run(sim=sim, toplevel="rf_rope", sources=["rf_rope", "rf_rsr", "rf_sat"], test_module="tb.unit.test_rf_rope",
                      parameters={"BITS": make_act_format(act).qkv_bits},
                      name="rf_rope" if act == "static" else f"rf_rope_{act}"))


# name -> (SEQ_LEN, HEAD_SIZE, table): the embedded model's RoPE ROM, stories260K's shape, and a
# short context with 3 pairs (not a power of two) and random entries.
ROPE_CONFIGS = {"s256_h16": (256, 16, "rope"), "s512_h8": (512, 8, "rope"), "s40_h6_random": (40, 6, "random")}


@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("cfg", sorted(ROPE_CONFIGS))
def test_rope_gen(sim: str, cfg: str) -> None:
    verilator_variant(sim, cfg == "s256_h16")
    seq_len, head_size, table = ROPE_CONFIGS[cfg]
    cos_b, sin_b = rope_base(seq_len, head_size)
    if table == "random":
        # any entries with |c|, |s| <= 2^14 / sqrt(2) (no overflow); positions 17 and 18 (LO rows 1
        # and 2 with HI row 1) hit rounding ties of both signs in every pair
        rng = np.random.default_rng(seq_len)
        cos_b, sin_b = rng.integers(-11585, 11586, (2,) + cos_b.shape)
        cos_b[1], sin_b[1], cos_b[2], sin_b[2] = 1, 1, -1, -1
        cos_b[ROPE_LO + 1], sin_b[ROPE_LO + 1] = 1 << (ROPE_FRAC - 1), 0
    DATA.mkdir(parents=True, exist_ok=True)
    rope_file = DATA / f"rope_{cfg}.hex"
    rope_file.write_text(hex_lines((cos_b & 0xFFFF | (sin_b & 0xFFFF) << 16).reshape(-1), 32))
    depth = cos_b.size
    params = {"HALF": head_size // 2, "DEPTH": depth, "ADDR_BITS": max(1, (depth - 1).bit_length()),
              "FILE": f'"{rope_file}"'}
    assert cos_b.shape[0] == ROPE_LO + -(-seq_len // ROPE_LO)
    env = {"RF_HALF": str(head_size // 2), "RF_SEQ_LEN": str(seq_len), "RF_ROPE_FILE": str(rope_file)}
    check_results(run(sim=sim, toplevel="rf_rope_gen", sources=["rf_rope_gen", "rf_rom"], test_module="tb.unit.test_rf_rope_gen",
                      parameters=params, name=f"rf_rope_gen_{cfg}", extra_env=env))


@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("act", ["static", "mx"])
def test_swiglu(sim: str, act: str) -> None:
    """OUT_BITS is the format's wide_bits (8 static, 15 mx)."""
    verilator_variant(sim, act == "static")
    static = act == "static"
    check_results(run(sim=sim, toplevel="rf_swiglu", sources=["rf_swiglu", "rf_requant", "rf_rsr", "rf_sat"],
                      test_module="tb.unit.test_rf_swiglu", parameters={"OUT_BITS": make_act_format(act).wide_bits},
                      name="rf_swiglu" if static else f"rf_swiglu_{act}"))
