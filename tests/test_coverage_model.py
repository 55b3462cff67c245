"""tb/uvm/coverage.py's crosses outside a simulation: the bins a cross reports are the ones the plan
spells (cross_bins), a sample lands in exactly one tuple bin, a value outside an axis hits nothing,
cross_holes (what a directed test checks with expect_covered) names what was missed, and the
classifiers put the edges in the right bins."""
from __future__ import annotations

from pathlib import Path

import pytest
from cocotb_coverage.coverage import coverage_db

from tb.coverage_goals import bins_of
from tb.uvm.coverage import (
    CROSSES,
    ROOT,
    clear_database,
    cross_bins,
    cross_holes,
    cross_name,
    gen_mode,
    make_cross,
    prompt_class,
    stretch_class,
)


@pytest.fixture
def fresh_db():
    clear_database()
    yield
    clear_database()


@pytest.mark.parametrize("cross", sorted(CROSSES))
def test_reported_bins_are_the_planned_labels(cross: str, fresh_db: None, tmp_path: Path) -> None:
    make_cross(cross)
    coverage_db.export_to_xml(filename=str(tmp_path / "c.xml"))
    reported = bins_of(tmp_path / "c.xml")[cross_name(cross)]
    assert list(reported) == cross_bins(cross) and not any(reported.values())


def test_a_sample_hits_one_tuple_bin_and_holes_are_named(fresh_db: None) -> None:
    sample = make_cross("error_state")
    sample("TOKEN_RANGE", "generating")
    sample("RESET", "prompt")
    sample("RESET", "asleep")                       # outside the state axis: no bin
    hits = coverage_db[cross_name("error_state")].detailed_coverage
    assert {b for b, h in hits.items() if h} == {("TOKEN_RANGE", "generating"), ("RESET", "prompt")}
    assert cross_holes("error_state", [("TOKEN_RANGE", "generating"), ("TOKEN_RANGE", "idle")]) == [
        ("TOKEN_RANGE", "idle")]
    assert coverage_db[f"{ROOT}.cross_axes.error_state.state"].detailed_coverage["prompt"] == 1


def test_classifiers_edges() -> None:
    assert [stretch_class(c) for c in (0, 1, 20, 21)] == ["none", "short", "short", "long"]
    assert [prompt_class(n, 32) for n in (1, 2, 7, 8, 40)] == ["one", "short", "short", "long", "long"]
    assert [prompt_class(n, 8) for n in (1, 2, 3)] == ["one", "short", "long"]      # short model: 3 is long
    assert [gen_mode(False, 4), gen_mode(True, 0), gen_mode(True, 4)] == ["greedy", "sampled", "top_k"]
