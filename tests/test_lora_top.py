"""The chip with adapter hardware (tb/unit/test_rf_lora_top.py) on both simulators: the embedded model
with the shipped KJV adapter (rank 8 on q and v), a GQA random model with a random integer adapter
on every matrix (rank 4), and an MHA random model with rank 16 on k, o, up and down (LORA_FULL=1). Load over AXI4-Lite, checksum, readback, every token and cycle count against
the golden model and the schedule, writes refused while busy."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sim_models.checkpoint import random_checkpoint, write_checkpoint
from sim_models.lora import CORE_ORDER, adapter_manifest, compile_adapter, random_adapter
from tb.runner import BUILD, ROOT, SIMULATORS, check_results
from tb.sim import model_build, run_adapter_top
from tests.conftest import SHAPES

SHIPPED = ROOT / "models" / "adapters" / "kjv_qv_r8"


def embedded_case() -> tuple[Path, Path, str, int, int]:
    build = model_build(ROOT / "models" / "austen_byte.bin", 32)
    out = BUILD / "adapters" / "kjv_qv_r8-L32"
    if not (out / "manifest.json").exists():
        compile_adapter(ROOT / "models" / "austen_byte.bin", SHIPPED, out, lanes=32, rank_max=8)
    return build, out, ",".join(str(b) for b in b"God"), 8, 5     # short: three turns on Icarus stay in minutes


def random_case(shape: str, rank: int, targets: tuple[str, ...], seed: int) -> tuple[Path, Path, str, int, int]:
    cfg = SHAPES[shape]
    path = BUILD / "random_models" / f"{shape}-lora.bin"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        write_checkpoint(random_checkpoint(cfg, seed=seed), path)
    build = model_build(path, 8)
    ia = random_adapter(cfg, 8, rank, targets, seed=seed + 1)
    img = ia.image()
    out = BUILD / "adapters" / f"{shape}-r{rank}-L8"
    out.mkdir(parents=True, exist_ok=True)
    (out / "adapter.hex").write_text("".join(f"{int(w):08x}\n" for w in img))
    (out / "manifest.json").write_text(json.dumps(adapter_manifest(ia, img, {"random": f"seed {seed + 1}"},
                                                                   rank, 2.0 * rank)))
    return build, out, "1,5,9,2", rank, 6


CASES = {"embedded-kjv-qv-r8": embedded_case,
         "gqa-random-all-r4": lambda: random_case("gqa", 4, CORE_ORDER, 21),
         "mha-random-kow3w2-r16": lambda: random_case("mha", 16, ("wk", "wo", "w3", "w2"), 31)}


# `make test`: the embedded model on Verilator, the GQA random model on Icarus (CI time);
# LORA_FULL=1 runs both on both simulators.
FULL = os.environ.get("LORA_FULL") == "1"
CI_SIM = {"embedded-kjv-qv-r8": "verilator", "gqa-random-all-r4": "icarus", "mha-random-kow3w2-r16": "none"}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("sim", SIMULATORS)
def test_lora_top(sim: str, case: str) -> None:
    if not FULL and CI_SIM[case] != sim:
        pytest.skip("LORA_FULL=1 runs this case on the other simulator too")
    if case.startswith("embedded") and not (SHIPPED / "adapter_model.safetensors").exists():
        pytest.fail(f"{SHIPPED}: the shipped adapter is missing")
    build, adapter, prompt, rank, n = CASES[case]()
    check_results(run_adapter_top(sim=sim, build=build, adapter=adapter, prompt=[int(t) for t in prompt.split(",")],
                                  n=n, name=f"lora-top-{case}"))
