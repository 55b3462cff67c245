"""The chip with adapter hardware (tb/unit/test_rf_lora_top.py) on both simulators: the embedded model
with the shipped KJV adapter (rank 8 on q and v), with int8 weights and with 4-bit weights (int4, group 32:
the adapter path is independent of the base weight format), a GQA random model with a random integer adapter
on every matrix (rank 4), and an MHA random model with rank 16 on k, o, up and down (LORA_FULL=1); with
LORA_FULL=1 also the GQA random model in the other weight formats (ternary, mxfp4, nvfp4) with a rank-4
q/v adapter. Load over AXI4-Lite, checksum, readback, every token and cycle count against the golden
model and the schedule, writes refused while busy. Each run's coverage report must show its format with the
adapter off and on (romformer.cross.adapter_format; make regression closes the cross over all runs)."""
from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path

import pytest

from sim_models.checkpoint import random_checkpoint, write_checkpoint
from sim_models.formats import FORMAT_NAMES
from sim_models.lora import CORE_ORDER, adapter_manifest, compile_adapter, random_adapter
from tb.coverage_goals import merge, require_reports
from tb.runner import BUILD, ROOT, SIMULATORS, check_results
from tb.sim import model_build, run_adapter_top
from tests.conftest import SHAPES

SHIPPED = ROOT / "models" / "adapters" / "kjv_qv_r8"


def embedded_case(fmt: str = "int8") -> tuple[Path, Path, str, int, int]:
    """The embedded model compiled in `fmt` and the shipped adapter calibrated on that build."""
    base = ROOT / "models" / "austen_byte.bin"
    build = model_build(base, 32, fmt)
    out = BUILD / "adapters" / f"kjv_qv_r8-{build.name}"
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.parent / f".{out.name}.lock", "w") as lock:     # parallel workers compile it once
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "manifest.json").exists() or (out / "manifest.json").stat().st_mtime < max(
                base.stat().st_mtime, (SHIPPED / "adapter_model.safetensors").stat().st_mtime):
            compile_adapter(base, SHIPPED, out, lanes=32, rank_max=8, fmt=fmt)
    return build, out, ",".join(str(b) for b in b"God"), 8, 5     # short: three turns on Icarus stay in minutes


def random_case(shape: str, rank: int, targets: tuple[str, ...], seed: int,
                fmt: str = "int8") -> tuple[Path, Path, str, int, int]:
    cfg = SHAPES[shape]
    path = BUILD / "random_models" / f"{shape}-lora.bin"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / f".{path.name}.lock", "w") as lock:     # parallel workers write it once
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            write_checkpoint(random_checkpoint(cfg, seed=seed), path)
    build = model_build(path, 8, fmt)
    ia = random_adapter(cfg, 8, rank, targets, seed=seed + 1)
    img = ia.image()
    out = BUILD / "adapters" / f"{shape}-r{rank}-{'-'.join(targets)}-{fmt}-L8"
    out.mkdir(parents=True, exist_ok=True)
    (out / "adapter.hex").write_text("".join(f"{int(w):08x}\n" for w in img))
    (out / "manifest.json").write_text(json.dumps(adapter_manifest(ia, img, {"random": f"seed {seed + 1}"},
                                                                   rank, 2.0 * rank)))
    return build, out, "1,5,9,2", rank, 6


CASES = {"embedded-kjv-qv-r8": embedded_case,
         "embedded-int4-kjv-qv-r8": lambda: embedded_case("int4"),
         "gqa-random-all-r4": lambda: random_case("gqa", 4, CORE_ORDER, 21),
         "mha-random-kow3w2-r16": lambda: random_case("mha", 16, ("wk", "wo", "w3", "w2"), 31),
         # the other weight formats (int8 and int4 run on the embedded model above)
         **{f"gqa-{f}-qv-r4": (lambda f=f: random_case("gqa", 4, ("wq", "wv"), 21, f))
            for f in FORMAT_NAMES if f not in ("int8", "int4")}}
FORMAT_OF = {c: next((f for f in FORMAT_NAMES if f"-{f}-" in c), "int8") for c in CASES}


# `make test`: the embedded model (int8) on Verilator, the GQA random model on Icarus (CI time);
# LORA_FULL=1 runs every case on both simulators.
FULL = os.environ.get("LORA_FULL") == "1"
CI_SIM = {"embedded-kjv-qv-r8": "verilator", "embedded-int4-kjv-qv-r8": "none", "gqa-random-all-r4": "icarus",
          "mha-random-kow3w2-r16": "none", **{c: "none" for c in CASES if c.startswith("gqa-") and "-qv-" in c}}


@pytest.mark.long
@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("sim", SIMULATORS)
def test_lora_top(sim: str, case: str) -> None:
    if not FULL and CI_SIM[case] != sim:
        pytest.skip("LORA_FULL=1 runs this case on the other simulator too")
    if case.startswith("embedded") and not (SHIPPED / "adapter_model.safetensors").exists():
        pytest.fail(f"{SHIPPED}: the shipped adapter is missing")
    build, adapter, prompt, rank, n = CASES[case]()
    started = time.time()
    check_results(run_adapter_top(sim=sim, build=build, adapter=adapter, prompt=[int(t) for t in prompt.split(",")],
                                  n=n, name=f"lora-top-{case}"))
    bins = merge(require_reports(sim, [f"lora-top-{case}"], since=started)).get("romformer.cross.adapter_format", {})
    fmt = FORMAT_OF[case]
    hit = {b: h for b, h in bins.items() if b.startswith(f"('{fmt}',")}
    assert len(hit) == 2 and all(hit.values()), f"{case}: the coverage of {fmt} with the adapter off and on: {hit}"
