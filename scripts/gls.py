"""`make gls`: gate-level simulation of romformer_top (docs/gls.md).

    python scripts/gls.py [--model M] [--lanes L] [--n N] [--prompt TEXT | --tokens IDS]
                          [--tools auto|yowasp|system] [--resynth]

1. synthesis: yosys `synth` (technology-neutral, the flow of `make synth`'s generic stage) of
   romformer_top for one compiled build, flattened with every internal net split to single
   bits (for Verilator) and written with write_verilog to build/gls/<build>/netlist.v. Every
   register, adder, multiplier and mux is a yosys internal gate ($_AND_, $_XOR_, $_MUX_,
   $_DFF_P_, ...); the memories (the ROM images and the KV cache / activation RAMs) stay
   memories ($mem_v2 -> a Verilog array with its contents as an `initial` block and its ports
   as clocked processes), as ROM and SRAM macros do in an ASIC flow. check_netlist judges it:
   every cell a gate, a flip-flop or a memory; as many memories as after the word-level steps
   (none turned into logic); no $readmemh left; memory arrays in the file. An unchanged
   netlist (same RTL, ROM images, script and yosys) is reused.
2. simulation: the same top-level cocotb test as `make sim` (tb/top/test_generate.py in
   tb/top/tb_romformer.v) on Verilator, built from the netlist instead of hdl/*.v: every
   token and every token's cycle count must equal the golden model and the static schedule.

Writes build/gls/<build>/summary.json (synthesis, Verilator build and simulation seconds,
cells, tokens). Exit status 1 on any mismatch.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

_spec = importlib.util.spec_from_file_location("synth", ROOT / "scripts" / "synth.py")
synth = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(synth)

GLS = ROOT / "build" / "gls"
TOP = "romformer_top"
# Technology-neutral synthesis that leaves memories as memories: `synth` up to (not including)
# its `fine` step, whose first pass is memory_map (a ROM of thousands of words turned into
# gates), then the rest of `make synth`'s generic flow: fine-grained techmap and abc's gates.
FINE_PASSES = "opt -fast -full\ntechmap\nopt -fast\nabc\nopt -fast\n"
# For the simulator: one module, every net but the top's ports one bit wide. Verilator turns a
# gate driving one bit of a vector into a read-modify-write of the whole vector, and a vector
# whose bits feed each other into a combinational loop it cannot order (UNOPTFLAT); scalar nets
# make each gate one C++ assignment.
SIM_PASSES = "flatten\nsplitnets\nopt_clean\n"
# Cells a gate-level netlist may contain: yosys's internal gates and flip-flops, and memories.
GATE_CELL = re.compile(r"^\$_[A-Z0-9_]+_$")
MEMORY_CELLS = ("$mem_v2", "$mem")


def shown(path: Path) -> str:
    """A path as messages show it: relative to the project when inside it."""
    return synth.rel(path) if path.resolve().is_relative_to(ROOT) else str(path)


def gate_level_passes(top: str, out: Path) -> str:
    """yosys passes after reading the design: synthesize `top` to gates keeping memories, report the
    cells after the word-level steps (coarse.stat: the memories as $mem_v2 cells) and of the netlist
    (netlist.stat), and write the netlist (netlist.v) into `out` (paths relative to the project)."""
    return (f"synth -top {top} -run begin:fine\n"
            f"tee -q -o {synth.rel(out / 'coarse.stat')} stat\n" + FINE_PASSES + SIM_PASSES
            + f"tee -q -o {synth.rel(out / 'netlist.stat')} stat\n"
            + f"write_verilog -noattr {synth.rel(out / 'netlist.v')}\n")


def gls_script(build: Path, out: Path) -> str:
    """The whole yosys script for romformer_top with the ROM images of `build`."""
    return synth.read_design(build) + gate_level_passes(TOP, out)


class Census(NamedTuple):
    modules: int
    gates: int                    # yosys internal gates and flip-flops, over every instance
    memories: int                 # $mem_v2 cells, over every instance
    other: dict[str, int]         # cell types that are neither gates, memories nor submodules


def census(stat_text: str, where: str = "netlist.stat", top_name: str = TOP) -> Census:
    """Count the cells of yosys `stat` through the module tree from the top (a module's cells
    times its instances). Raises ValueError naming the file when the top is not in it."""
    cells = synth.parse_stat(stat_text)
    top = next((m for m in cells if synth.module_name(m) == top_name), None)
    if top is None:
        raise ValueError(f"{where}: no module {top_name} in the yosys statistics")
    other: dict[str, int] = {}
    counts = {"gates": 0, "memories": 0}

    def walk(module: str, mult: int) -> None:
        for cell, n in cells[module].items():
            if cell == "cells":
                continue
            if cell in cells:
                walk(cell, mult * n)
            elif GATE_CELL.match(cell):
                counts["gates"] += mult * n
            elif cell in MEMORY_CELLS:
                counts["memories"] += mult * n
            else:
                other[cell] = other.get(cell, 0) + mult * n

    walk(top, 1)
    return Census(len(cells), counts["gates"], counts["memories"], other)


def check_netlist(out: Path, top: str = TOP) -> Census:
    """The netlist in `out` is gates and memories only: every cell a yosys internal gate or
    flip-flop, a memory or a submodule instance; as many memories as after the word-level steps
    (coarse.stat), so none was mapped to logic or lost; no file read left in netlist.v (the ROM
    contents are in it) and memory arrays in it. Raises ValueError naming the file and what is wrong."""
    coarse = census((out / "coarse.stat").read_text(), shown(out / "coarse.stat"), top)
    final = census((out / "netlist.stat").read_text(), shown(out / "netlist.stat"), top)
    if final.other:
        raise ValueError(f"{shown(out / 'netlist.stat')}: cells that are not gates, memories or submodules: "
                         f"{final.other}")
    if final.memories != coarse.memories or not final.memories:
        raise ValueError(f"{shown(out / 'netlist.stat')}: {final.memories} memories, {coarse.memories} after the "
                         "word-level steps (a memory was mapped to logic or removed)")
    check_verilog((out / "netlist.v").read_text(), shown(out / "netlist.v"))
    return final


MEMORY_ARRAY = re.compile(r"^\s*reg\s+(\[\d+:\d+\]\s+)?\S+\s+\[\d+:\d+\];", re.M)


def check_verilog(text: str, where: str = "netlist.v") -> int:
    """The written netlist: no file read left (the ROM contents are in the netlist), and memory
    arrays present; returns the number of arrays. Raises ValueError naming the file."""
    if "$readmem" in text:
        raise ValueError(f"{where}: a $readmemh/$readmemb is left (the ROM contents must be in the netlist)")
    arrays = len(MEMORY_ARRAY.findall(text))
    if not arrays:
        raise ValueError(f"{where}: no memory array (the memories were mapped to logic)")
    return arrays


def synthesize(build: Path, out: Path, tool: str, reuse: bool = True) -> dict:
    """yosys -> out/netlist.v (reused when the RTL, ROM images, script and tool are unchanged:
    netlist.v.stamp, synth.design_stamp); checked by check_netlist either way."""
    out.mkdir(parents=True, exist_ok=True)
    text = gls_script(build, out)
    stamp = synth.design_stamp(build, text, tool)
    stamp_file = out / "netlist.v.stamp"
    reused = (reuse and stamp_file.exists() and (out / "netlist.v").exists()
              and stamp_file.read_text().strip() == stamp)
    seconds = 0.0
    if not reused:
        stamp_file.unlink(missing_ok=True)
        (out / "gls.ys").write_text(text)
        seconds = synth.run_tool(tool, ["-q", synth.rel(out / "gls.ys")], out / "gls.log")
        stamp_file.write_text(stamp + "\n")
    c = check_netlist(out)
    return {"seconds": round(seconds, 1), "reused": reused, "netlist": synth.rel(out / "netlist.v"),
            "netlist_mb": round((out / "netlist.v").stat().st_size / 1e6, 1), "modules": c.modules,
            "gates": c.gates, "memories": c.memories}


def simulate(build: Path, netlist: Path, prompt: list[int], n: int, name: str) -> dict:
    """The top-level cocotb test (tb/top/test_generate.py, greedy) on Verilator, built from the
    netlist; returns its result.json with the Verilator build and run seconds added. Raises
    AssertionError on a failed test (a token or cycle count differing from the golden model)."""
    from tb.runner import BUILD, check_results
    from tb.sim import run_top

    result = BUILD / "results" / "verilator" / f"{name}.json"
    result.unlink(missing_ok=True)
    t0 = time.perf_counter()
    xml = run_top(sim="verilator", build=build, prompt=prompt, n=n, inv_temp=0, top_k=0, seed=0, result=result,
                  name=name, netlist=netlist)
    seconds = time.perf_counter() - t0
    check_results(xml)
    r = json.loads(result.read_text())
    r["build_and_run_seconds"] = round(seconds, 1)
    return r


def main(argv: list[str] | None = None) -> int:
    from sim_models.corpus import encode_bytes
    from tb.sim import model_build

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, default=ROOT / "models" / "austen_byte.bin")
    p.add_argument("--lanes", type=int, default=16)
    src = p.add_mutually_exclusive_group()
    src.add_argument("--prompt", default="It is", help="prompt text (byte-level models)")
    src.add_argument("--tokens", help="prompt token ids, comma separated")
    p.add_argument("--n", type=int, default=8, help="greedy tokens to generate")
    p.add_argument("--tools", default="auto", choices=("auto", "yowasp", "system"),
                   help="yosys: auto (on PATH, else the YoWASP build in .venv), yowasp, system")
    p.add_argument("--resynth", action="store_true", help="synthesize even when the netlist is up to date")
    args = p.parse_args(argv)
    if not args.model.exists():
        p.error(f"--model {args.model}: no such file")
    prompt = ([int(t) for t in args.tokens.replace(",", " ").split()] if args.tokens
              else encode_bytes(args.prompt).tolist())
    build = model_build(args.model, args.lanes)
    out = GLS / build.name
    yosys = synth.find_tool("yosys", args.tools)
    print(f"make gls: {build.name}: yosys generic netlist ({yosys}), then {len(prompt)} prompt tokens and "
          f"{args.n} greedy tokens on Verilator")
    summary: dict = {"model": args.model.name, "lanes": args.lanes, "prompt_tokens": prompt, "n": args.n}
    summary["synthesis"] = syn = synthesize(build, out, yosys, reuse=not args.resynth)
    print(f"  netlist {syn['netlist']} ({syn['netlist_mb']} MB): {syn['gates']:,} gates and flip-flops, "
          f"{syn['memories']} memories, {syn['modules']} module{'s' if syn['modules'] != 1 else ''}; "
          + ("reused (inputs unchanged)" if syn["reused"] else f"synthesis {syn['seconds']} s"))
    try:
        r = simulate(build, out / "netlist.v", prompt, args.n, f"gls-{build.name}")
    except AssertionError as exc:
        print(f"make gls: {exc}", file=sys.stderr)
        return 1
    summary["simulation"] = {k: r[k] for k in ("generated_tokens", "golden_tokens", "match", "cycles_per_token",
                                               "predicted_cycles_per_token", "cycles_match", "total_cycles",
                                               "wall_seconds", "sim_cycles_per_second", "build_and_run_seconds")}
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    ok = r["match"] and r["cycles_match"]
    print(f"  tokens {r['generated_tokens']} (golden {r['golden_tokens']}), cycles per token {r['cycles_per_token']} "
          f"(schedule {r['predicted_cycles_per_token']})")
    print(f"  simulated {r['total_cycles']:,} cycles in {r['wall_seconds']} s ({r['sim_cycles_per_second']:,.0f} cycles/s); "
          f"Verilator build and run {r['build_and_run_seconds']} s")
    print(f"make gls: {'every token and cycle count equal to the golden model' if ok else 'MISMATCH'}; "
          f"summary {synth.rel(out / 'summary.json')}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
