"""The skip gate of `make test` (a pytest plugin; tests/conftest.py takes its hooks): every skip is
counted by reason in a section at the end of the run, and a reason that no pattern of the committed
allow-list (tests/skip_allowlist.txt) matches fails the run (exit status 1). Skips of the external
checkpoint (../shared/models absent) are printed loudly.

Skip reports reach the controller through pytest_runtest_logreport also under pytest-xdist (the
workers' reports are replayed there), so the gate sees every worker's skips; it judges them on the
controller only.

Allow-list format: one regular expression per line (re.search on the skip reason), then ` # ` and
why that skip is allowed; blank lines and lines starting with # are ignored. The environment variable
ROMFORMER_SKIP_ALLOWLIST points to another list (the gate's own tests use it).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ALLOWLIST = Path(__file__).resolve().parent / "skip_allowlist.txt"
EXTERNAL_REASON = re.compile(r"external checkpoint .* is absent")


@dataclass(frozen=True)
class Allowed:
    pattern: re.Pattern[str]
    why: str
    line: int


class AllowListError(ValueError):
    pass


def parse_allowlist(path: Path) -> list[Allowed]:
    """The patterns of an allow-list file; AllowListError names the file and line of a bad entry."""
    try:
        text = path.read_text()
    except OSError as e:
        raise AllowListError(f"{path}: cannot read the skip allow-list ({e.strerror})") from e
    out = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pattern, sep, why = line.partition(" # ")
        if not sep or not why.strip():
            raise AllowListError(f"{path}:{n}: the entry has no reason (write `<pattern> # <why it is allowed>`)")
        try:
            out.append(Allowed(re.compile(pattern.strip()), why.strip(), n))
        except re.error as e:
            raise AllowListError(f"{path}:{n}: bad pattern {pattern.strip()!r}: {e}") from e
    return out


def allowlist_path() -> Path:
    return Path(os.environ.get("ROMFORMER_SKIP_ALLOWLIST") or ALLOWLIST)


def skip_reason(report: pytest.TestReport) -> str:
    """The reason of a skip report (longrepr is (path, line, "Skipped: reason"), a list after xdist)."""
    lr = report.longrepr
    text = str(lr[2]) if isinstance(lr, (tuple, list)) and len(lr) == 3 else str(lr)
    return text.removeprefix("Skipped: ")


def allowed_by(reason: str, allowed: list[Allowed]) -> Allowed | None:
    return next((a for a in allowed if a.pattern.search(reason)), None)


class SkipGate:
    """The gate's state and hooks for one session (registered by pytest_configure)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.skips: dict[str, str] = {}          # node id -> reason

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.skipped and report.when in ("setup", "call") and not hasattr(report, "wasxfail"):
            self.skips[report.nodeid] = skip_reason(report)

    def judge(self) -> tuple[dict[str, list[str]], list[str], str | None]:
        """reason -> node ids; the reasons not allowed; an allow-list error (then every reason fails)."""
        by_reason: dict[str, list[str]] = {}
        for node, reason in self.skips.items():
            by_reason.setdefault(reason, []).append(node)
        try:
            allowed, error = parse_allowlist(allowlist_path()), None
        except AllowListError as e:
            allowed, error = [], str(e)
        return by_reason, [r for r in by_reason if allowed_by(r, allowed) is None], error

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        by_reason, bad, error = self.judge()
        if by_reason and (bad or error) and session.exitstatus in (pytest.ExitCode.OK,
                                                                    pytest.ExitCode.NO_TESTS_COLLECTED):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter) -> None:
        by_reason, bad, error = self.judge()
        if not by_reason:
            return
        tr = terminalreporter
        total = sum(map(len, by_reason.values()))
        tr.write_sep("=", f"skips by reason ({total} skipped; allow-list {allowlist_path()})")
        for reason, nodes in sorted(by_reason.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            flag = "NOT ALLOWED" if reason in bad else "allowed"
            tr.write_line(f"{len(nodes):5d}  {flag:<11}  {reason}")
            if reason in bad:
                for node in nodes[:10]:
                    tr.write_line(f"{'':20}{node}")
        external = sum(len(n) for r, n in by_reason.items() if EXTERNAL_REASON.search(r))
        if external:
            tr.write_sep("!", f"{external} tests did NOT run: the external checkpoint (../shared/models) is absent",
                         red=True, bold=True)
        if error:
            tr.write_sep("!", f"skip gate: {error}", red=True, bold=True)
        elif bad:
            tr.write_sep("!", f"skip gate: {len(bad)} skip reasons are not on the allow-list, the run fails (allow "
                              f"one in {allowlist_path()} with why, or make the test run)", red=True, bold=True)


def pytest_configure(config: pytest.Config) -> None:
    """Register the gate on the controller (an xdist worker only forwards its reports)."""
    if not hasattr(config, "workerinput") and not config.pluginmanager.has_plugin("romformer-skip-gate"):
        config.pluginmanager.register(SkipGate(config), "romformer-skip-gate")
