"""scripts/bench.py: a full run rewrites docs/results.md but keeps the hand-maintained sections."""
from __future__ import annotations

import importlib.util

from conftest import ROOT

spec = importlib.util.spec_from_file_location("bench", ROOT / "scripts" / "bench.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def test_full_bench_keeps_hand_sections() -> None:
    old = "\n".join(["# Results", "", "## Quality: float vs integer", "old quality", "",
                     "## Verification regression (sign-off)", "621 runs", "", bench.FORMATS_BEGIN,
                     "## Weight formats (issue 9)", "old formats", bench.FORMATS_END, "",
                     "## Synthesis (issue 11)", "LUT4 table", ""])
    new = "\n".join(["# Results", "", "## Quality: float vs integer (teacher-forced)", "new quality", "",
                     bench.FORMATS_BEGIN, "## Weight formats (issue 9)", "new formats", bench.FORMATS_END, ""])
    out = bench.keep_hand_sections(old, new)
    assert out.startswith(new.rstrip("\n"))
    assert "old quality" not in out and "old formats" not in out          # generated: replaced
    assert out.count(bench.FORMATS_BEGIN) == 1 and out.count("## Weight formats") == 1
    assert out.index("621 runs") < out.index("LUT4 table")                  # hand sections, in order
    assert "## Verification regression (sign-off)" in out and "## Synthesis (issue 11)" in out
    assert bench.keep_hand_sections(new, new) == new
