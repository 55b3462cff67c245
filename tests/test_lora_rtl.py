"""rf_lora unit bench (tb/unit/test_rf_lora.py) on both simulators: the embedded model's shape with a
rank-8 q/v build, a GQA random shape with every matrix targeted (rank 4), and an MHA shape with rank 16
on k, o, up and down (w2's hidden-wide A rows)."""
from __future__ import annotations

import json
import os

import pytest

from sim_models.checkpoint import Config
from sim_models.lora import CORE_ORDER, a_stride, random_adapter
from sim_models.schedule import words
from tb.runner import BUILD, ROOT, SIMULATORS, check_results, codecov_requested, run
from tests.conftest import SHAPES

SOURCES = [ROOT / "hdl" / "rf_requant.v", ROOT / "hdl" / "rf_rsr.v", ROOT / "hdl" / "rf_sat.v", ROOT / "hdl" / "rf_dot.v", ROOT / "hdl" / "rf_delay.v", ROOT / "hdl" / "rf_lora.v", ROOT / "tb" / "unit" / "rf_lora_tb.v"]
EMBEDDED = Config(dim=64, hidden_dim=172, n_layers=4, n_heads=4, n_kv_heads=2, vocab_size=256, seq_len=256)
CASES = {
    "embedded-qv-r8-L32": (EMBEDDED, 32, 8, ("wq", "wv")),
    "gqa-all-r4-L8": (SHAPES["gqa"], 8, 4, CORE_ORDER),
    "mha-kow3w2-r16-L4": (SHAPES["mha"], 4, 16, ("wk", "wo", "w3", "w2")),
}


# `make test` runs every case on Icarus and the every-target GQA case on Verilator (CI time);
# LORA_FULL=1 runs the whole matrix.
FULL = os.environ.get("LORA_FULL") == "1"


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("sim", SIMULATORS)
def test_rf_lora(sim: str, case: str) -> None:
    if not (FULL or codecov_requested()) and sim == "verilator" and not case.startswith("gqa"):
        pytest.skip("LORA_FULL=1 (or ROMFORMER_CODECOV=1, for code coverage) runs this case on Verilator too")
    cfg, lanes, rank, targets = CASES[case]
    ia = random_adapter(cfg, lanes, rank, targets, seed=sum(map(ord, case)))
    data = BUILD / "unit_data" / "lora" / f"{case}.json"
    data.parent.mkdir(parents=True, exist_ok=True)
    data.write_text(json.dumps({"config": {k: getattr(cfg, k) for k in ("dim", "hidden_dim", "n_layers", "n_heads",
                                                                         "n_kv_heads", "vocab_size", "seq_len")},
                                "lanes": lanes, "rank_max": rank, "targets": list(targets),
                                "image": ia.image().tolist()}))
    wd, wh = words(cfg.dim, lanes), words(cfg.hidden_dim, lanes)
    maxw = max(wd, wh, a_stride(cfg, lanes, targets)) + 2
    params = {"LANES": lanes, "DIM": cfg.dim, "KV_DIM": cfg.kv_dim, "HIDDEN": cfg.hidden_dim,
              "N_LAYERS": cfg.n_layers, "WORDS_DIM": wd, "WORDS_HIDDEN": wh, "WPR_BITS": (maxw + 2).bit_length(),
              "RANK": rank, "TARGETS": sum(1 << CORE_ORDER.index(m) for m in targets), "MAXW": maxw}
    check_results(run(sim=sim, toplevel="rf_lora_tb", sources=SOURCES, test_module="tb.unit.test_rf_lora",
                      parameters=params, name=f"rf_lora_{case}", extra_env={"RF_LORA_DATA": str(data)}))
