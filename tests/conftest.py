"""Shared fixtures: small random models of every shape family, and the external checkpoint; the
session header lists the environment knobs set (tb/knobs.py); the skip gate (tests/skip_gate.py)
prints the skips by reason and fails the run on a reason not on tests/skip_allowlist.txt."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from sim_models.checkpoint import Config, random_checkpoint
from sim_models.quantize import calibrate, quantize
from skip_gate import pytest_configure  # noqa: F401  (the skip gate's hooks)
from tb.knobs import knobs_set

ROOT = Path(__file__).resolve().parents[1]
EXTERNAL = ROOT.parent / "shared" / "models" / "stories260K.bin"
EMBEDDED = ROOT / "models" / "austen_byte.bin"

# name -> Config: GQA, MHA, unshared classifier, hidden not a multiple of any lane count.
SHAPES = {
    "gqa": Config(dim=32, hidden_dim=52, n_layers=2, n_heads=4, n_kv_heads=2, vocab_size=64, seq_len=32),
    "mha": Config(dim=24, hidden_dim=40, n_layers=2, n_heads=3, n_kv_heads=3, vocab_size=48, seq_len=24),
    "unshared": Config(dim=16, hidden_dim=36, n_layers=1, n_heads=2, n_kv_heads=1, vocab_size=40,
                       seq_len=20, shared_classifier=False),
    "odd_hidden": Config(dim=16, hidden_dim=27, n_layers=3, n_heads=4, n_kv_heads=1, vocab_size=32, seq_len=16),
}


def quantized(cfg: Config, seed: int = 0):
    ckpt = random_checkpoint(cfg, seed)
    rng = np.random.default_rng(seed + 100)
    windows = [rng.integers(0, cfg.vocab_size, cfg.seq_len) for _ in range(3)]
    return ckpt, quantize(ckpt, calibrate(ckpt, windows))


@pytest.fixture(params=sorted(SHAPES))
def shape(request) -> tuple[str, Config]:
    return request.param, SHAPES[request.param]


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def verilator_variant(sim: str, primary: bool) -> None:
    """make test builds one configuration of a unit on Verilator (`primary`: a Verilator build is about 20 s
    of C++ compile, the run a fraction of a second) and every configuration on Icarus; make regression
    (ROMFORMER_FULL=1) and make coverage (ROMFORMER_CODECOV=1) build every configuration on Verilator too."""
    from tb.runner import codecov_requested
    if sim == "verilator" and not primary and os.environ.get("ROMFORMER_FULL") != "1" and not codecov_requested():
        pytest.skip("one Verilator build per unit keeps make test short (Icarus runs every configuration; "
                    "ROMFORMER_FULL=1 and ROMFORMER_CODECOV=1 run every configuration on Verilator too)")


def needs_external() -> None:
    """Skip without ../shared/models (listed loudly by the skip gate); under CI=true, where shared/ is
    checked out beside the clone, its absence fails the test."""
    if not EXTERNAL.exists():
        why = f"external checkpoint {EXTERNAL} is absent (it lives in ../shared/models)"
        if in_ci():
            pytest.fail(f"{why}; CI=true expects ../shared beside the clone")
        pytest.skip(why)


def pytest_report_header(config) -> str:
    knobs = knobs_set()
    return "knobs: " + (" ".join(f"{k}={v}" for k, v in knobs.items()) if knobs else "(none set)")


def pytest_collection_modifyitems(config, items) -> None:
    """Every pyuvm test on its own (tests/test_uvm.py::test_uvm) belongs to `make regression`
    (UVM_FULL=1) and to waves runs (WAVES=1); `make test` runs them grouped (test_uvm_suite), which
    those runs deselect instead (the same tests twice)."""
    from tb.runner import waves_requested

    full = os.environ.get("UVM_FULL") == "1" or waves_requested()
    prefix = "tests/test_uvm.py::test_uvm_suite[" if full else "tests/test_uvm.py::test_uvm["
    individual = [it for it in items if it.nodeid.startswith(prefix)]
    if individual:
        config.hook.pytest_deselected(items=individual)
        items[:] = [it for it in items if it not in individual]
    # The `long` tests first (stable order otherwise): xdist hands tests out in collection order, so
    # a two-minute test collected near the end kept one worker busy after the other had finished.
    items.sort(key=lambda it: it.get_closest_marker("long") is None)
