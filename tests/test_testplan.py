"""docs/testplan.hjson names only tests that exist, and covers every pyuvm test."""
from __future__ import annotations

import ast
from pathlib import Path

import hjson
import pytest

from tb.coverage_goals import planned_goals
from tb.uvm.coverage import PLANNABLE, ROOT as COV_ROOT
from test_uvm import UVM_TESTS

ROOT = Path(__file__).resolve().parents[1]
PLAN = hjson.loads((ROOT / "docs" / "testplan.hjson").read_text())


def is_cocotb_test(node: ast.AST) -> bool:
    """A @cocotb.test() function or a pyuvm @test() class."""
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return False
    for dec in node.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name == "test":
            return True
    return False


def defined_tests(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    if path.relative_to(ROOT).parts[0] == "tests":
        return {n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")}
    return {n.name for n in tree.body if is_cocotb_test(n)}


def plan_tests() -> list[str]:
    return sorted({t for f in PLAN["features"] for t in f["tests"]})


@pytest.mark.parametrize("ref", plan_tests())
def test_planned_test_exists(ref: str) -> None:
    path, _, name = ref.partition("::")
    assert path.startswith(("tb/", "tests/")), f"{ref}: tests live in tb/ (cocotb) or tests/ (pytest)"
    file = ROOT / path
    assert file.exists(), f"{ref}: no file {path}"
    assert name in defined_tests(file), f"{ref}: {path} defines no test {name}"


def test_every_feature_has_tests() -> None:
    empty = [f["name"] for f in PLAN["features"] if not f["tests"]]
    assert not empty, f"features without tests: {empty}"


def test_every_uvm_test_is_planned_and_exists() -> None:
    planned = {t.partition("::")[2] for t in plan_tests() if t.startswith("tb/uvm/")}
    defined = defined_tests(ROOT / "tb" / "uvm" / "test_romformer.py")
    assert set(UVM_TESTS) <= defined, f"UVM_TESTS not in tb/uvm/test_romformer.py: {set(UVM_TESTS) - defined}"
    assert set(UVM_TESTS) <= planned, f"pyuvm tests missing from the testplan: {set(UVM_TESTS) - planned}"


@pytest.mark.parametrize("point", sorted({c for f in PLAN["features"] for c in f["coverage"]}))
def test_planned_coverage_exists(point: str) -> None:
    name, _, bin_ = point.partition("/")
    short = name.removeprefix(COV_ROOT + ".")
    assert name.startswith(COV_ROOT + ".") and short in PLANNABLE, f"{point}: no such cover point"
    if bin_:
        assert bin_ in (PLANNABLE[short] or ()), f"{point}: no bin {bin_!r} (bins: {PLANNABLE[short]})"


def test_every_goal_names_a_cover_point() -> None:
    unknown = [p for p in planned_goals() if p.removeprefix(COV_ROOT + ".") not in PLANNABLE]
    assert not unknown, f"coverage_goals name no cover point of tb/uvm/coverage.py: {unknown}"


@pytest.mark.parametrize("ex", PLAN["coverage_goals"].get("exclude", []), ids=lambda e: f"{e['point']}/{e['bin']}")
def test_exclusion_names_a_bin_and_a_reason(ex: dict) -> None:
    """An excluded bin exists (enumerable points: checked here; the others by the gate against the reports),
    its point has a goal, and the exclusion says why."""
    short = ex["point"].removeprefix(COV_ROOT + ".")
    assert ex["point"] in planned_goals(), f"exclusion of {ex['point']}: the point has no goal"
    if PLANNABLE.get(short):
        assert ex["bin"] in PLANNABLE[short], f"exclusion of {ex['point']}: no bin {ex['bin']!r}"
    assert len(str(ex.get("reason", "")).split()) >= 5, f"exclusion of {ex['point']}/{ex['bin']}: no reason"
