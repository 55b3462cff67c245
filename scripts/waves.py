#!/usr/bin/env python3
"""Open a test's waves in GTKWave with the right layout (`make waves TEST=<name> SIM=<sim>`).

    python scripts/waves.py TEST [--sim icarus|verilator] [--layout NAME] [--png FILE] [--print]
    python scripts/waves.py --regen        # rewrite tb/waves/<layout>.gtkw from the reference dumps
    python scripts/waves.py --screenshot   # docs/img/gtkwave_top.png from a tiny-model top-level run

TEST is the run name given to tb.runner.run (the dump is build/waves/<sim>/<TEST>.fst, the
cocotb results build/reports/<sim>/<TEST>.xml), e.g. rf_matvec_L8, top-random-gqa, top (make sim).
When the dump is missing, the pytest test that made the run (recorded by tb.runner.run in
build/reports/<sim>/<TEST>.node, or the layout's reference test) is re-run with WAVES=1;
otherwise the command to make the dump is printed.

The layout is chosen by the dump's root scope (tb_romformer -> top, rf_matvec_tb -> matvec, ...);
a dump of any other block gets an ad-hoc layout of its root-scope signals. The .gtkw written
next to the dump (build/waves/<sim>/<TEST>.gtkw) has that dump's vector widths.

GTKWave needs a display: without DISPLAY this runs it under `xvfb-run -a` only for --png
(a screenshot); to look at waves on a headless machine copy the .fst and .gtkw to a desktop,
or use X forwarding (ssh -X).
"""
from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tb.runner import BUILD, SIMULATORS, waves_path  # noqa: E402
from tb.waves.gtkw import LAYOUTS, committed_gtkw, display_command, dump_widths, expected_traces, find_gtkwave, gtkw_text, gtkwave_headless  # noqa: E402
from tb.waves.layouts import Layout  # noqa: E402

PY = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
SCREENSHOT = ROOT / "docs" / "img" / "gtkwave_top.png"


def layout_for(widths: dict[str, int], name: str | None) -> Layout:
    if name:
        return LAYOUTS[name]
    roots = sorted({n.split(".", 1)[0] for n in widths if not n.startswith("$")})
    for lay in LAYOUTS.values():
        if lay.root in roots:
            return lay
    root = roots[0]
    ports = [n.split(".", 1)[1] for n in widths if n.startswith(root + ".") and n.count(".") == 1]
    return Layout("adhoc", root, "", "", f"{root}: all root-scope signals",
                  [(root, [(p, "b" if widths[f"{root}.{p}"] == 1 else "d") for p in ports])])


def make_command(test: str, sim: str) -> tuple[list[str] | None, str]:
    """(argv that re-runs the test behind run name `test` with waves, printable command)."""
    record = BUILD / "reports" / sim / f"{test}.node"
    node = record.read_text().strip() if record.exists() else None
    if node is None:
        node = next((l.node.format(sim=sim) for l in LAYOUTS.values() if l.reference == test), None)
    if node is None and test == "top":
        return None, f"make sim SIM={sim} WAVES=1   (make sim writes build/waves/{sim}/top.fst)"
    if node is None:
        return None, (f"WAVES=1 make test PYTEST_ARGS=\"-p no:xdist -k '<the test>' \"   (any test that calls "
                      f"tb.runner.run(name='{test}') on {sim}; its dump goes to build/waves/{sim}/{test}.fst)")
    argv = [PY, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:cacheprovider", node]
    return argv, f"WAVES=1 make test PYTEST_ARGS=\"-p no:xdist {node}\""


def ensure_dump(test: str, sim: str, run: bool) -> Path:
    dump = waves_path(sim, test)
    if dump.exists():
        return dump
    argv, printable = make_command(test, sim)
    if argv is None or not run:
        sys.exit(f"waves: no dump {dump.relative_to(ROOT)}; make it with:\n  {printable}")
    print(f"waves: no dump yet, running: {printable}", flush=True)
    r = subprocess.run(argv, cwd=ROOT, env={**os.environ, "WAVES": "1", "PYTHONPATH": str(ROOT)})
    if not dump.exists():
        sys.exit(f"waves: the test ran (exit {r.returncode}) but wrote no {dump.relative_to(ROOT)}")
    if r.returncode:
        print(f"waves: the test failed (exit {r.returncode}); its waves are in {dump.relative_to(ROOT)}")
    return dump


def write_layout(dump: Path, layout_name: str | None) -> tuple[Path, Layout, dict[str, int]]:
    widths = dump_widths(dump)
    lay = layout_for(widths, layout_name)
    gtkw = dump.with_suffix(".gtkw")
    gtkw.write_text(gtkw_text(lay, widths, dump.resolve(), filter_dir=ROOT / "tb" / "waves"))
    return gtkw, lay, widths


def open_waves(args: argparse.Namespace) -> int:
    dump = ensure_dump(args.test, args.sim, run=not args.no_run)
    gtkw, lay, widths = write_layout(dump, args.layout)
    cmd = f"gtkwave {shlex.quote(str(dump.relative_to(ROOT)))} {shlex.quote(str(gtkw.relative_to(ROOT)))}"
    print(f"waves: {dump.relative_to(ROOT)} with layout '{lay.name}' ({lay.title})\n  {cmd}")
    if args.png:
        shown, log = gtkwave_headless(dump, gtkw, Path(args.png).resolve())
        missing = [t for t in expected_traces(lay, widths) if t not in shown]
        ok = Path(args.png).exists() and not missing
        print(f"waves: screenshot {args.png}" if ok else f"waves: GTKWave failed (missing {missing}):\n{log}")
        return 0 if ok else 1
    if args.print:
        return 0
    gw, why = find_gtkwave()
    if gw is None:
        sys.exit(f"waves: {why}")
    prefix, why = display_command()
    if prefix != []:
        print("waves: no DISPLAY -- GTKWave needs a display. Use X forwarding (ssh -X) or a desktop, or\n"
              f"  xvfb-run -a {cmd}      (runs it off-screen), or\n"
              f"  make waves TEST={args.test} SIM={args.sim} PNG=out.png   (headless screenshot)")
        return 1
    return subprocess.call([gw, str(dump), str(gtkw)], cwd=ROOT)


def regen() -> int:
    """Rewrite tb/waves/<layout>.gtkw from each reference dump (Icarus; Verilator must agree)."""
    status = 0
    for lay in LAYOUTS.values():
        texts = {}
        for sim in SIMULATORS:
            dump = ensure_dump(lay.reference, sim, run=True)
            texts[sim] = gtkw_text(lay, dump_widths(dump))
        if texts["icarus"] != texts["verilator"]:
            print(f"waves: layout {lay.name}: Icarus and Verilator dumps differ", file=sys.stderr)
            status = 1
        committed_gtkw(lay.name).write_text(texts["icarus"])
        print(f"waves: wrote {committed_gtkw(lay.name).relative_to(ROOT)}")
    return status


def first_output_time(dump: Path) -> int:
    import pywellen

    w = pywellen.Waveform(str(dump))
    var = next(v for v in w.all_vars() if v.full_name == "tb_romformer.m_axis_tvalid")
    times: list[int] = []
    w.stream_changes(lambda t, _sig, val: times.append(t) if str(val) == "1" else None, [var])
    return times[0] if times else 0


def screenshot(sim: str) -> int:
    lay = LAYOUTS["top"]
    dump = ensure_dump(lay.reference, sim, run=True)
    gtkw, lay, widths = write_layout(dump, "top")
    t1 = first_output_time(dump)
    span = max(t1 // 3, 1)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    shown, log = gtkwave_headless(dump, gtkw, SCREENSHOT, zoom=(t1 - span, t1 + span // 3))
    missing = [t for t in expected_traces(lay, widths) if t not in shown]
    if missing or not SCREENSHOT.exists():
        print(f"waves: screenshot failed (missing {missing}):\n{log}", file=sys.stderr)
        return 1
    print(f"waves: wrote {SCREENSHOT.relative_to(ROOT)} ({dump.relative_to(ROOT)}, around the first output token)")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("test", nargs="?", help="run name (build/waves/<sim>/<TEST>.fst)")
    p.add_argument("--sim", default="icarus", choices=SIMULATORS)
    p.add_argument("--layout", choices=sorted(LAYOUTS), help="default: by the dump's root scope")
    p.add_argument("--png", help="render headless (xvfb-run) to this PNG instead of opening a window")
    p.add_argument("--print", action="store_true", help="write the .gtkw and print the gtkwave command only")
    p.add_argument("--no-run", action="store_true", help="never run a test to make a missing dump")
    p.add_argument("--regen", action="store_true", help="regenerate tb/waves/*.gtkw from the reference dumps")
    p.add_argument("--screenshot", action="store_true", help=f"write {SCREENSHOT.relative_to(ROOT)}")
    args = p.parse_args(argv)
    if args.regen:
        return regen()
    if args.screenshot:
        return screenshot(args.sim)
    if not args.test:
        p.error("TEST is required (e.g. make waves TEST=rf_matvec_L8)")
    return open_waves(args)


if __name__ == "__main__":
    sys.exit(main())
