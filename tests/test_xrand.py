"""Seeded random initial values on Verilator (tb/runner.py verilator_xrand_plusargs): make regression
sets ROMFORMER_XRAND=1, the build is made with --x-initial unique, and each run gets
+verilator+rand+reset+2 with the cocotb seed; make test keeps zeros."""
from __future__ import annotations

import pytest

from tb.runner import verilator_xrand_plusargs


def test_off_unless_requested() -> None:
    assert verilator_xrand_plusargs({}) == []
    assert verilator_xrand_plusargs({"ROMFORMER_XRAND": "0", "COCOTB_RANDOM_SEED": "3"}) == []


@pytest.mark.parametrize("seed,verilator_seed", [("3", "3"), ("", "1"), ("2147483647", "1"), ("4294967295", "1"),
                                                 ("1795242427", "1795242427")])
def test_seeded_by_the_cocotb_seed(seed: str, verilator_seed: str) -> None:
    env = {"ROMFORMER_XRAND": "1", **({"COCOTB_RANDOM_SEED": seed} if seed else {})}
    assert verilator_xrand_plusargs(env) == ["+verilator+rand+reset+2", f"+verilator+seed+{verilator_seed}"]


def test_bad_seed_is_named() -> None:
    with pytest.raises(ValueError, match=r"ROMFORMER_XRAND=1 needs COCOTB_RANDOM_SEED .* got 'abc'"):
        verilator_xrand_plusargs({"ROMFORMER_XRAND": "1", "COCOTB_RANDOM_SEED": "abc"})


def test_regression_requests_it() -> None:
    from test_regression import regression

    assert verilator_xrand_plusargs(regression().session_env(7)) == ["+verilator+rand+reset+2", "+verilator+seed+7"]
