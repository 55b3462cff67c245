"""Job results, wherever they ran, into the files the regression report reads (scripts/regression.py):
one JUnit XML per seed (build/reports/regression/seed-<seed>.xml, every failure annotated with the
cocotb failures it names and a `check` property), the coverage reports of each seed
(build/reports/regression/coverage/seed-<seed>/<sim>/) and the scoreboard summaries.

A run's results are also kept as an artifact: one JSON line per job in
build/reports/regression/results/<run>.jsonl, after a header line naming the commit, the shard and
every job key of the shard; `make regression-merge` merges such files from several shards (or
machines) into the same report, and refuses a set with a shard missing or run at another commit.

A job that returned no JUnit report stands for its tests: an infrastructure error (check
"infrastructure": the worker was lost, pytest did not start) or, when the job's time bound killed it,
an error with check "timeout".
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from scripts.regress.jobs import JobResult

COCOTB_RESULTS_CHECK = "cocotb results"


@dataclass
class Merged:
    seed_xml: list[tuple[int, Path]] = field(default_factory=list)
    scoreboards: list[dict] = field(default_factory=list)
    coverage_files: list[Path] = field(default_factory=list)
    durations: dict[str, float] = field(default_factory=dict)
    infra: list[JobResult] = field(default_factory=list)


def node_of(case: ET.Element) -> str:
    """JUnit classname 'tests.test_x' + name 'test_y[p]' -> 'tests/test_x.py::test_y[p]'."""
    parts = case.get("classname", "").split(".")
    mod = [p for p in parts if not p[:1].isupper()]
    klass = [p for p in parts if p[:1].isupper()]
    return "/".join(mod) + ".py::" + "::".join(klass + [case.get("name", "")])


def synthetic_case(node: str, kind: str, message: str, text: str) -> ET.Element:
    """A testcase for a node a job did not report: an <error> with `message` and a `check` property."""
    path, _, name = node.partition("::")
    parts = name.split("::")
    case = ET.Element("testcase", classname=".".join([path.removesuffix(".py").replace("/", "."), *parts[:-1]]),
                      name=parts[-1], time="0")
    err = ET.SubElement(case, "error", message=message)
    err.text = text
    props = ET.SubElement(case, "properties")
    ET.SubElement(props, "property", name="check", value=kind)
    return case


def annotate(case: ET.Element, cocotb: dict[str, str], failure_text: Callable[[ET.Element], str],
             check_of: Callable[[str], str]) -> None:
    """Append the failures of the cocotb results this failed case names (shipped with the job) and a
    `check` property naming the check that fired."""
    text = failure_text(case)
    if not text:
        return
    extra = []
    for name, xml in cocotb.items():
        if name.split("/", 1)[1] in text or name.rsplit("/", 1)[-1] in text:
            try:
                cases = ET.fromstring(xml).iter("testcase")
            except ET.ParseError:
                continue
            extra += [f"cocotb {c.get('name')}: {failure_text(c).strip()}" for c in cases if failure_text(c)]
    extra_text = "\n".join(extra)
    if extra_text:
        el = case.find("failure") if case.find("failure") is not None else case.find("error")
        el.text = f"{el.text or ''}\n--- cocotb results:\n{extra_text}"
    props = case.find("properties")
    if props is None:
        props = ET.SubElement(case, "properties")
    if not any(p.get("name") == "check" for p in props):
        ET.SubElement(props, "property", name="check", value=check_of(f"{extra_text}\n{text}" if extra_text else text))


def cases_of(r: JobResult, failure_text, check_of) -> list[ET.Element]:
    """The job's testcases (annotated), plus a synthetic error for every node it did not report."""
    cases: list[ET.Element] = []
    if r.junit:
        try:
            cases = list(ET.fromstring(r.junit).iter("testcase"))
        except ET.ParseError as exc:
            r.infra = r.infra or f"infrastructure: unreadable JUnit report ({exc})"
    for c in cases:
        annotate(c, r.cocotb, failure_text, check_of)
    reported = {node_of(c) for c in cases}
    for node in r.nodes:
        if node in reported or any(n.startswith(node) for n in reported):
            continue
        if r.timed_out:
            cases.append(synthetic_case(node, "timeout", f"job {r.key} exceeded its time bound",
                                        f"timeout after the job's bound (host {r.host})\n{r.log_tail}"))
        else:
            why = r.infra or f"infrastructure: the job did not report this test (exit {r.returncode})"
            cases.append(synthetic_case(node, "infrastructure", why, f"{why} (host {r.host or '?'})\n{r.log_tail}"))
    return cases


def merge_results(results: Iterable[JobResult], out_dir: Path, cov_dir: Path, failure_text, check_of) -> Merged:
    """Write one JUnit XML per seed under out_dir and the coverage reports under cov_dir; return them,
    the scoreboard summaries (with seed) and the measured duration of every node (longest over seeds)."""
    merged = Merged()
    by_seed: dict[int, list[ET.Element]] = {}
    for r in sorted(results, key=lambda r: (r.seed, r.key)):
        if r.infra:
            merged.infra.append(r)
        cases = cases_of(r, failure_text, check_of)
        if r.overrides:                        # what the job changed in its seed's environment
            for c in cases:
                props = c.find("properties")
                if props is None:
                    props = ET.SubElement(c, "properties")
                ET.SubElement(props, "property", name="env", value=json.dumps(r.overrides, sort_keys=True))
        by_seed.setdefault(r.seed, []).extend(cases)
        for c in cases:      # skipped ones too: measured at ~0 s, not planned at the default estimate
            if c.get("time"):
                node = node_of(c)
                merged.durations[node] = max(merged.durations.get(node, 0.0), float(c.get("time") or 0))
        for name, text in sorted(r.coverage.items()):
            f = cov_dir / f"seed-{r.seed}" / name
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text(text)
            merged.coverage_files.append(f)
        merged.scoreboards += [{**s, "seed": r.seed} for s in r.scoreboards]
    out_dir.mkdir(parents=True, exist_ok=True)
    for seed, cases in sorted(by_seed.items()):
        suite = ET.Element("testsuite", name=f"seed {seed}", tests=str(len(cases)))
        suite.extend(sorted(cases, key=lambda c: (c.get("classname", ""), c.get("name", ""))))
        path = out_dir / f"seed-{seed}.xml"
        root = ET.Element("testsuites")
        root.append(suite)
        ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
        merged.seed_xml.append((seed, path))
    return merged


def write_artifact(path: Path, results: list[JobResult], header: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        f.write(json.dumps({"header": header}, sort_keys=True) + "\n")
        for r in results:
            f.write(r.to_json() + "\n")


def read_artifacts(paths: list[Path]) -> tuple[list[dict], list[JobResult]]:
    """Headers and job results of artifact files; ValueError naming the file and line when unreadable."""
    headers: list[dict] = []
    results: list[JobResult] = []
    for p in paths:
        for i, line in enumerate(p.read_text().splitlines(), 1):
            try:
                data = json.loads(line)
                if i == 1:
                    headers.append({**data["header"], "file": str(p)})
                else:
                    results.append(JobResult(**data))
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise ValueError(f"{p}:{i}: not a regression result line ({exc})") from exc
    return headers, results


def check_complete(headers: list[dict], results: list[JobResult]) -> list[str]:
    """What is wrong with a set of shard artifacts: different commits or plans, a shard missing or
    twice, a job of a shard's list without a result. [] when the set is whole."""
    problems: list[str] = []
    commits = {h.get("commit") for h in headers}
    if len(commits) > 1:
        problems.append(f"results from different commits: {sorted(map(str, commits))}")
    totals = {h.get("shards", 1) for h in headers}
    if len(totals) > 1:
        problems.append(f"results of different shard counts: {sorted(totals)}")
    else:
        n = totals.pop() if totals else 1
        have = sorted(h.get("shard", 1) for h in headers)
        if have != list(range(1, n + 1)):
            problems.append(f"shards present {have}, expected 1..{n}")
    keys = {r.key for r in results}
    for h in headers:
        missing = [k for k in h.get("jobs", []) if k not in keys]
        if missing:
            problems.append(f"{h['file']}: {len(missing)} jobs without a result (e.g. {missing[0]})")
    return problems
