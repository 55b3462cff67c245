"""The skip gate (tests/skip_gate.py): pytest runs in a subprocess on a crafted test file with the
gate loaded (-p skip_gate) and a crafted allow-list; with and without pytest-xdist."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import conftest
from skip_gate import ALLOWLIST, AllowListError, parse_allowlist

ROOT = Path(__file__).resolve().parents[1]
CRAFTED = '''
import pytest

def test_runs():
    pass

def test_allowed_skip():
    pytest.skip("optional tool frobnicate is absent")

@pytest.mark.skipif(True, reason="{other}")
def test_other_skip():
    pass

def test_external():
    pytest.skip("external checkpoint /x/shared/models/stories260K.bin is absent (it lives in ../shared/models)")
'''
ALLOW = ("^optional tool frobnicate # the crafted optional tool\n"
         "^external checkpoint .* is absent # a machine without ../shared\n")


def run_gate(tmp_path: Path, allow: str, other: str = "an unlisted reason", *args: str) -> subprocess.CompletedProcess:
    (tmp_path / "test_crafted.py").write_text(CRAFTED.replace("{other}", other))
    (tmp_path / "allow.txt").write_text(allow)
    drop = ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID", "PYTEST_CURRENT_TEST",
            "PYTEST_ADDOPTS")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(PYTHONPATH=os.pathsep.join([str(ROOT / "tests"), str(ROOT)]), ROMFORMER_SKIP_ALLOWLIST=str(tmp_path / "allow.txt"))
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "skip_gate", "-p", "no:cacheprovider", *args,
                           "test_crafted.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_allowed_skips_pass_and_are_listed_by_reason(tmp_path: Path) -> None:
    r = run_gate(tmp_path, ALLOW, "optional tool frobnicate is absent")
    assert r.returncode == 0, r.stdout[-3000:]
    assert "skips by reason (3 skipped" in r.stdout
    assert "    2  allowed      optional tool frobnicate is absent" in r.stdout
    assert "NOT ALLOWED" not in r.stdout


@pytest.mark.parametrize("xdist", [[], ["-n", "2"]], ids=["in-process", "xdist-2"])
def test_unlisted_skip_reason_fails_the_run(tmp_path: Path, xdist: list[str]) -> None:
    r = run_gate(tmp_path, ALLOW, "an unlisted reason", *xdist)
    assert r.returncode == 1, r.stdout[-3000:]
    assert "NOT ALLOWED  an unlisted reason" in r.stdout
    assert "test_crafted.py::test_other_skip" in r.stdout
    assert "skip gate: 1 skip reasons are not on the allow-list" in r.stdout
    assert "1 passed, 3 skipped" in r.stdout


def test_external_checkpoint_skip_is_loud(tmp_path: Path) -> None:
    r = run_gate(tmp_path, ALLOW + "^an unlisted # crafted\n")
    assert r.returncode == 0, r.stdout[-3000:]
    assert "1 tests did NOT run: the external checkpoint (../shared/models) is absent" in r.stdout


def test_bad_allowlist_fails_the_run_naming_file_and_line(tmp_path: Path) -> None:
    r = run_gate(tmp_path, ALLOW + "^an unlisted reason\n")
    assert r.returncode == 1, r.stdout[-3000:]
    assert f"{tmp_path / 'allow.txt'}:3: the entry has no reason" in r.stdout


@pytest.mark.parametrize("text,error", [
    ("^ok # fine\nno reason here\n", r"allow\.txt:2: the entry has no reason"),
    ("^ok #   \n", r"allow\.txt:1: the entry has no reason"),
    ("^(unclosed # why\n", r"allow\.txt:1: bad pattern '\^\(unclosed'"),
])
def test_parse_allowlist_names_file_and_line(tmp_path: Path, text: str, error: str) -> None:
    (tmp_path / "allow.txt").write_text(text)
    with pytest.raises(AllowListError, match=error):
        parse_allowlist(tmp_path / "allow.txt")


def test_missing_allowlist_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(AllowListError, match=r"nope\.txt: cannot read the skip allow-list"):
        parse_allowlist(tmp_path / "nope.txt")


def test_committed_allowlist_gives_a_reason_for_every_pattern() -> None:
    entries = parse_allowlist(ALLOWLIST)
    assert len(entries) >= 5 and all(len(e.why) > 10 for e in entries)


def test_external_checkpoint_fails_under_ci(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conftest, "EXTERNAL", tmp_path / "stories260K.bin")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="is absent"):
        conftest.needs_external()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true expects ../shared"):
        conftest.needs_external()
