"""Block-level RTL tests of rf_core's units (docs/rtl.md "Structure of the core"): the embedding,
the row glue, the activation buffers and their read port, the counters and the token protocol,
each on both simulators against the sim_models functions the golden model uses."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import verilator_variant
from sim_models.compiler import hex_lines
from sim_models.mx import make_act_format
from tb.runner import BUILD, ROOT, SIMULATORS, check_results, run

DATA = BUILD / "unit_data" / "core"

# name -> (LANES, GROUP, GROUPS, WBITS, WORDS, tokens): int8 operands in groups of 8 of 16 lanes, the row's
# first 5 of 6 groups (rf_core at LANES > 8: NORM_LANES = 8 elements a cycle, the NORM_ELEMS of a lane-padded
# row); the 12-bit operands of scaled formats, a group per word (LANES <= 8)
EMBED_CONFIGS = {"l16_g8_w8": (16, 8, 5, 8, 3, 16), "l8_g8_w12": (8, 8, 2, 12, 2, 5)}


def write_rq_image(name: str, n: int, seed: int) -> str:
    """Random requant entries ([15:0] M, [21:16] S) as a ROM image; entry 0 saturates."""
    rng = np.random.default_rng(seed)
    mult, shift = rng.integers(0, 1 << 16, n), rng.integers(0, 41, n)
    mult[0], shift[0] = (1 << 16) - 1, 0
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"{name}_rq.hex"
    path.write_text(hex_lines(mult | shift << 16, 24))
    return str(path)


@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("cfg", sorted(EMBED_CONFIGS))
def test_embed(sim: str, cfg: str) -> None:
    verilator_variant(sim, cfg == "l16_g8_w8")
    lanes, group, groups, wbits, words, tokens = EMBED_CONFIGS[cfg]
    rq_file = write_rq_image(f"embed_{cfg}", tokens, seed=lanes)
    params = {"LANES": lanes, "GROUP": group, "GROUPS": groups, "WBITS": wbits, "WORDS": words, "ADDR_BITS": 10,
              "BASE": 17, "RQ_DEPTH": tokens, "RQ_BITS": max(1, (tokens - 1).bit_length()), "RQ_FILE": f'"{rq_file}"',
              "CW": (groups + 7).bit_length()}
    env = {"RF_EMB_RQ_FILE": rq_file, "RF_EMB_SEED": str(lanes * 7)}
    check_results(run(sim=sim, toplevel="rf_embed", sources=["rf_embed", "rf_rom", "rf_requant", "rf_rsr", "rf_sat"],
                      test_module="tb.unit.test_rf_embed", parameters=params, name=f"rf_embed_{cfg}",
                      extra_env=env))


# the row glue on a small shape: head size 8, DIM 16, KV_DIM 8, HIDDEN 6, 2 layers, residual padded to 20
GLUE_SHAPE = {"head": 8, "dim": 16, "kv_dim": 8, "hidden": 6, "layers": 2, "res": 20}


@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("act", ["static", "mx"])
def test_rowglue(sim: str, act: str) -> None:
    """At the activation format's widths: q/k/v ACT_QKV_BITS, the gate ACT_WIDE_BITS."""
    verilator_variant(sim, act == "static")
    fmt = make_act_format(act)
    g = GLUE_SHAPE
    rng = np.random.default_rng(3)
    silu = rng.integers(-32768, 32768, 256 * g["layers"])
    silu[:2] = (-32768, 32767)
    DATA.mkdir(parents=True, exist_ok=True)
    silu_file = DATA / "glue_silu.hex"
    silu_file.write_text(hex_lines(silu & 0xFFFF, 16))
    params = {"QK_ROWS": g["dim"] + g["kv_dim"], "V_ROWS": g["kv_dim"], "EARLY": 2, "HEAD_SIZE": g["head"], "RES_ELEMS": g["res"],
              "PAIR_BITS": (g["head"] // 2 - 1).bit_length(), "SILU_DEPTH": silu.size,
              "SILU_BITS": (silu.size - 1).bit_length(), "SILU_FILE": f'"{silu_file}"', "QKV_BITS": fmt.qkv_bits,
              "G_BITS": fmt.wide_bits}
    env = {"RF_SILU_FILE": str(silu_file), "RF_KV_DIM": str(g["kv_dim"]), "RF_HIDDEN": str(g["hidden"]),
           "RF_LAYERS": str(g["layers"])}
    check_results(run(sim=sim, toplevel="rf_rowglue",
                      sources=["rf_rowglue", "rf_delay", "rf_rope", "rf_swiglu", "rf_requant", "rf_rsr", "rf_sat",
                               "rf_rom"],
                      test_module="tb.unit.test_rf_rowglue", parameters=params, extra_env=env, name=f"rf_rowglue_{act}"))


# name -> (toplevel, sources, parameters): the buffers' shapes in the core (the residual's int16
# elements in groups, the int8 SwiGLU output), the read port with three buffers of different lengths
UNITS: dict[str, tuple[str, list[str], dict[str, object]]] = {
    "rf_actbuf_n20_e16_g4": ("rf_actbuf", ["rf_actbuf"], {"N": 20, "EW": 16, "G": 4}),
    "rf_actbuf_n6_e8": ("rf_actbuf", ["rf_actbuf"], {"N": 6, "EW": 8}),
    "rf_actread_l2": ("rf_actread", ["rf_actread", "rf_mx_exp", "rf_lzc"], {"LANES": 2, "W0": 5, "W1": 3, "W2": 9, "IDX_BITS": 4}),
    # IDX_BITS 2 (one read group, no group index: rf_actread's IDX_BITS <= AGB arm); l2 has three
    "rf_actread_l8": ("rf_actread", ["rf_actread", "rf_mx_exp", "rf_lzc"], {"LANES": 8, "W0": 2, "W1": 1, "W2": 2, "IDX_BITS": 2}),
    "rf_perf": ("rf_perf_tb", ["rf_perf", str(ROOT / "tb" / "unit" / "rf_perf_tb.v")], {}),   # presets: the wrapper
    "rf_proto": ("rf_proto", ["rf_proto"], {"VOCAB": 50, "SEQ_LEN": 12}),
}


# rf_actread with --act mx (tb/unit/test_rf_actread_mx.py): LANES below the block with a short last gate
# block, LANES above it (several exponents a word), and buffers shorter than one block
MX_ACTREAD = {"l8_b16": {"LANES": 8, "W0": 5, "W1": 3, "W2": 9, "IDX_BITS": 4, "B": 16, "N2": 67},
              "l32_b16": {"LANES": 32, "W0": 2, "W1": 1, "W2": 3, "IDX_BITS": 3, "B": 16, "N2": 70},
              "l2_b32": {"LANES": 2, "W0": 5, "W1": 3, "W2": 9, "IDX_BITS": 4, "B": 32, "N2": 17}}


@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("case", sorted(MX_ACTREAD))
def test_actread_mx(sim: str, case: str) -> None:
    verilator_variant(sim, case == "l8_b16")
    mx = make_act_format("mx", MX_ACTREAD[case]["B"])
    params = {**MX_ACTREAD[case], "EW": mx.wide_bits, "MX": mx.aid, "EXP_BITS": mx.exp_bits}
    check_results(run(sim=sim, toplevel="rf_actread", sources=["rf_actread", "rf_mx_exp", "rf_lzc"],
                      test_module="tb.unit.test_rf_actread_mx", parameters=params, name=f"rf_actread_mx_{case}"))


@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("unit", sorted(UNITS))
def test_unit(sim: str, unit: str) -> None:
    verilator_variant(sim, unit not in ("rf_actbuf_n6_e8", "rf_actread_l8"))
    toplevel, sources, params = UNITS[unit]
    check_results(run(sim=sim, toplevel=toplevel, sources=sources, test_module=f"tb.unit.test_{toplevel.removesuffix('_tb')}",
                      parameters=params, name=unit))
