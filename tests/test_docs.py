"""The docs describe the project as it is: a README short enough to read, no diary in the docs
(history lives in git), and every command and link the README gives exists."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

README = ROOT / "README.md"
README_WORDS = 1500
DOCS = sorted([README, ROOT / "models" / "README.md", *(ROOT / "docs").glob("*.md")])
# a session or issue number is history: "the fourteenth session", "issue 11", "#9"
DIARY = re.compile(r"\bsessions?\b|\bissues?\s+#?\d+|(?<![\w&/])#\d+\b", re.IGNORECASE)


def diary_lines(text: str) -> list[str]:
    return [f"{n}: {line.strip()}" for n, line in enumerate(text.splitlines(), 1) if DIARY.search(line)]


def test_diary_pattern() -> None:
    assert diary_lines("the fourteenth session\nissue 11's resizing\nsee #9\nSessions")
    assert not diary_lines("an issue with Icarus\nsee docs/arithmetic.md section 3\n&#8212; header ## 2")


def test_readme_under_word_limit() -> None:
    words = len(README.read_text().split())                     # what `wc -w` counts
    assert words < README_WORDS, f"README.md has {words} words; keep it under {README_WORDS}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_session_or_issue_numbers(doc: Path) -> None:
    found = diary_lines(doc.read_text())
    assert not found, f"{doc.relative_to(ROOT)} narrates history (session / issue numbers):\n" + "\n".join(found)


def test_readme_links_exist() -> None:
    links = re.findall(r"\]\(([^)#\s]+)", README.read_text())
    assert links
    missing = [link for link in links if not link.startswith("http") and not (ROOT / link).exists()]
    assert not missing, f"README.md links to missing files: {missing}"


def test_readme_make_targets_exist() -> None:
    targets = set(re.findall(r"^([a-z][\w-]*):", (ROOT / "Makefile").read_text(), re.MULTILINE))
    used = set(re.findall(r"\bmake ([a-z][\w-]*)", README.read_text()))
    assert used and not used - targets, f"README.md names make targets the Makefile lacks: {sorted(used - targets)}"


def test_readme_sim_models_subcommands_exist() -> None:
    used = set(re.findall(r"python -m sim_models ([a-z][\w-]*)", README.read_text()))
    out = subprocess.run([sys.executable, "-m", "sim_models", "--help"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    choices = set(re.search(r"\{([\w,-]+)\}", out).group(1).split(","))
    assert not used - choices, f"README.md names sim_models subcommands that do not exist: {sorted(used - choices)}"
