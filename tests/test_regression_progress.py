"""scripts/regression.py run_counting_tests: output and exit status unchanged, tests counted from
pytest's progress characters only."""
from __future__ import annotations

import importlib.util
import sys

from conftest import ROOT
from sim_models import progress

_spec = importlib.util.spec_from_file_location("regression", ROOT / "scripts" / "regression.py")
regression = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(regression)

FAKE_PYTEST = ("import sys, time\n"
               "print('bringing up nodes...')\n"
               "sys.stdout.write('..F'); sys.stdout.flush(); time.sleep(0.05)\n"
               "print('s.  [100%]')\n"
               "print('FAILED tests/x.py::y - assert 1 == 2.')\n"
               "print('1 failed, 3 passed, 1 skipped in 0.1s')\n"
               "sys.exit(1)\n")


class Counter:
    def __init__(self, **kwargs) -> None:
        self.kwargs, self.n = kwargs, 0

    def update(self, k: int) -> None:
        self.n += k

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass


def test_counts_result_characters_and_keeps_the_output(monkeypatch):
    made = []
    monkeypatch.setattr(progress, "bar", lambda **kw: made.append(Counter(**kw)) or made[-1])
    code, out = regression.run_counting_tests([sys.executable, "-c", FAKE_PYTEST], {}, 5, "seed 1")
    assert code == 1
    assert out.splitlines() == ["bringing up nodes...", "..Fs.  [100%]", "FAILED tests/x.py::y - assert 1 == 2.",
                                "1 failed, 3 passed, 1 skipped in 0.1s"]
    assert made[0].n == 5 and made[0].kwargs["total"] == 5
