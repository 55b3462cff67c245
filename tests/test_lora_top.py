"""The chip with adapter hardware (tb/unit/test_rf_lora_top.py) on both simulators: the embedded model
with the shipped KJV adapter (rank 8 on q and v), and a GQA random model with a random integer adapter
on every matrix (rank 4). Load over AXI4-Lite, checksum, readback, every token and cycle count against
the golden model and the schedule, writes refused while busy."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sim_models.checkpoint import random_checkpoint, write_checkpoint
from sim_models.lora import CORE_ORDER, adapter_manifest, compile_adapter, random_adapter
from tb.runner import BUILD, HDL, ROOT, SIMULATORS, check_results, run
from tb.sim import TOP_SOURCES, model_build
from tests.conftest import SHAPES

SHIPPED = ROOT / "models" / "adapters" / "kjv_qv_r8"


def embedded_case() -> tuple[Path, Path, str, int, int]:
    build = model_build(ROOT / "models" / "austen_byte.bin", 32)
    out = BUILD / "adapters" / "kjv_qv_r8-L32"
    if not (out / "manifest.json").exists():
        compile_adapter(ROOT / "models" / "austen_byte.bin", SHIPPED, out, lanes=32, rank_max=8)
    return build, out, ",".join(str(b) for b in b"And God said"), 8, 8


def random_case() -> tuple[Path, Path, str, int, int]:
    cfg = SHAPES["gqa"]
    path = BUILD / "random_models" / "gqa-lora.bin"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        write_checkpoint(random_checkpoint(cfg, seed=21), path)
    build = model_build(path, 8)
    ia = random_adapter(cfg, 8, 4, CORE_ORDER, seed=22)
    img = ia.image()
    out = BUILD / "adapters" / "gqa-all-r4-L8"
    out.mkdir(parents=True, exist_ok=True)
    (out / "adapter.hex").write_text("".join(f"{int(w):08x}\n" for w in img))
    (out / "manifest.json").write_text(json.dumps(adapter_manifest(ia, img, {"random": "seed 22"}, 4, 8.0)))
    return build, out, "1,5,9,2", 4, 6


CASES = {"embedded-kjv-qv-r8": embedded_case, "gqa-random-all-r4": random_case}


# `make test`: the embedded model on Verilator, the GQA random model on Icarus (CI time);
# LORA_FULL=1 runs both on both simulators.
FULL = os.environ.get("LORA_FULL") == "1"
CI_SIM = {"embedded-kjv-qv-r8": "verilator", "gqa-random-all-r4": "icarus"}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("sim", SIMULATORS)
def test_lora_top(sim: str, case: str) -> None:
    if not FULL and CI_SIM[case] != sim:
        pytest.skip("LORA_FULL=1 runs this case on the other simulator too")
    if case.startswith("embedded") and not (SHIPPED / "adapter_model.safetensors").exists():
        pytest.fail(f"{SHIPPED}: the shipped adapter is missing")
    build, adapter, prompt, rank, n = CASES[case]()
    man = json.loads((adapter / "manifest.json").read_text())
    sources = [HDL / f"{s}.v" for s in TOP_SOURCES] + [HDL / "rf_lora.v"]
    check_results(run(sim=sim, toplevel="romformer_top", sources=sources, test_module="tb.unit.test_rf_lora_top",
                      includes=[build, HDL], defines={"ROM_DIR": f'"{build}"'},
                      parameters={"LORA_RANK": man["rank_max"], "LORA_TARGETS": man["targets_mask"]},
                      name=f"lora-top-{case}",
                      extra_env={"ROMFORMER_BUILD": str(build), "LORA_ADAPTER": str(adapter), "LORA_PROMPT": prompt,
                                 "LORA_N": str(n)}))
