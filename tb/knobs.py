"""Environment variables that change what a pytest session runs, or how: `make regression` sets them
(scripts/regression.py session_env), its reproduce commands carry them, and every pytest session
prints the ones set in its header (tests/conftest.py), so a log shows what the run saw."""
from __future__ import annotations

import os

KNOBS: tuple[str, ...] = (
    "COCOTB_RANDOM_SEED",        # cocotb's seed (Python random in the benches)
    "UVM_FULL",                  # every pyuvm test on its own (tests/conftest.py)
    "ROMFORMER_FULL",            # top-level and --act mx unit cases on both simulators (tests/test_rtl_top.py, test_rtl_attention.py, ...)
    "LORA_FULL",                 # the adapter matrix on both simulators (tests/test_lora_*.py)
    "ROMFORMER_SOAK_VERILATOR",  # PromptSoak prompts per simulator (tb/uvm/test_romformer.py)
    "ROMFORMER_SOAK_ICARUS",
    "ROMFORMER_XRAND",           # Verilator: seeded random initial values (tb/runner.py)
    "ROMFORMER_CODECOV",         # Verilator: line/expression/toggle coverage per run (tb/runner.py, scripts/codecov.py)
    "FORMATS_MATRIX",            # the weight-format matrix on the RTL (tests/test_formats_rtl.py)
    "WAVES",                     # waves for every run (tb/runner.py)
    "ROMFORMER_WAVES_ON",
    "CI",                        # CI: an absent ../shared fails instead of skipping (tests/conftest.py)
)


def knobs_set(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The knobs set in `environ` (default os.environ), in KNOBS order."""
    env = os.environ if environ is None else environ
    return {k: env[k] for k in KNOBS if k in env}
