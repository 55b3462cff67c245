"""`make synth`: synthesize romformer_top for one build and report area and speed.

    python scripts/synth.py [--model M] [--lanes L] [--part LFE5U-85F] [--freq MHz]
                            [--stages generic,ecp5,pnr] [--same-logic OTHER.bin] [--seed N] [--pnr-args ARGS]

Stages (each one writes build/synth/<build>/<stage>.{log,...}); the default is generic,ecp5
(bounded: under 10 minutes on 2 cores); pnr is opt-in (tens of minutes with the WebAssembly
nextpnr) and reuses the ecp5 netlist when its inputs are unchanged (top.json.stamp):
  generic  yosys `synth` kept hierarchical (memories stay $mem cells, ROM contents are not
           turned into logic), technology-neutral cells per module -> the per-block breakdown
  ecp5     yosys `synth_ecp5` (flattened): LUT4 / flip-flops / DP16KD block RAMs / MULT18X18D
  pnr      nextpnr-ecp5 on the named part: placed utilization and the achieved fmax, and
           tokens per second at that fmax (cycles per token from the static schedule)
  place    nextpnr-ecp5 placement only (--no-route), written to placed.json: utilization and
           nextpnr's post-placement fmax estimate (no path: nextpnr prints paths after routing);
           the whole chip places in about 30-40 minutes where routing does not finish in a session
  route    route the placement of `place` (placed.json, --no-place; --router router1|router2):
           the achieved fmax, like pnr, from a placement that can be reused across runs
  --seed N: nextpnr's seed; seeds other than 1 name their files place-seedN.log, placed-seedN.json,
           route-seedN.log, so several seeds of one build run side by side in its directory
  --weight-bram deep (make synth WEIGHT_BRAM=deep): map the weight ROM to the 16K x 1 / 8K x 2
           DP16KD configurations (scripts/ecp5_deep_rom.txt), blocks side by side with no output
           mux, instead of yosys's choice (512 x 36: at LANES 32, 13 blocks deep behind a 13:1 mux per
           bit); more blocks (128 instead of 93 at LANES 32), fewer LUTs and far less routing into
           the matvec. Its build directory has the suffix -deeprom.
  --same-logic OTHER.bin: compile OTHER at the same LANES and show that the elaborated netlist
           equals this build's except ROM initialisation contents (sim_models.netlist).

The tools (--tools auto, the default) are a native yosys / nextpnr-ecp5 on PATH when there is
one (Debian ships yosys but not nextpnr-ecp5), else the YoWASP builds from PyPI
(requirements-synth.txt; `make synth` installs them into .venv): yosys and nextpnr compiled to
WebAssembly, so no system toolchain is needed. --tools yowasp always uses the pinned builds.
YoWASP tools only see files under the project directory, hence every path here is relative to it.
The summary goes to build/synth/<build>/summary.json and summary.md (the table layout of the
"Synthesis" section of docs/results.md, which quotes it).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_cycles import record_route  # noqa: E402
from ecp5_resets import share_reset_inverters  # noqa: E402

from sim_models.checkpoint import read_checkpoint  # noqa: E402
from sim_models.compiler import compile_checkpoint  # noqa: E402
from sim_models.mx import ActFormat, ActFormatError, make_act_format  # noqa: E402
from sim_models.netlist import compare_builds  # noqa: E402
from sim_models.progress import Stages, write  # noqa: E402
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
# (rf_wmem, the weight ROMs' wrapper, counts as the core: its ROMs and decode keep their own blocks)
BLOCKS = (("rf_matvec", "matvec lanes (MACs, adder tree, requant)"), ("rf_wdecode", "weight decode"),
          ("rf_requant", "requant units"), ("rf_embed", "embedding"), ("rf_rmsnorm", "rmsnorm"),
          ("rf_attention", "attention"), ("rf_divider", "attention dividers"), ("rf_select", "select (top-k, sampling)"),
          ("rf_xorshift32", "select PRNG"), ("rf_rope", "rope"), ("rf_rope_gen", "rope"), ("rf_swiglu", "swiglu"),
          ("rf_rowglue", "row glue (rope, swiglu, residual)"), ("rf_actbuf", "activation buffers"),
          ("rf_actread", "activation read port"), ("rf_proto", "token protocol"), ("rf_perf", "counters"),
          ("rf_lora", "LoRA adapter unit"), ("rf_axil_regs", "AXI4-Lite registers"), ("rf_axis_skid", "AXI4-Stream skids"),
          ("rf_rom", "ROM wrappers"), ("rf_core", "core sequencer"), ("rf_wmem", "core sequencer"),
          ("romformer_top", "top glue"))


def rel(p: Path) -> str:
    return str(p.resolve().relative_to(ROOT))


def sources() -> str:
    return " ".join(rel(p) for p in sorted((ROOT / "hdl").glob("*.v")))


def find_tool(name: str, flavour: str) -> str:
    """yowasp: the pinned YoWASP build in the venv (requirements-synth.txt); system / auto: the one
    on PATH, else the YoWASP one (Debian ships yosys but not nextpnr-ecp5); system says so."""
    yowasp = BIN / f"yowasp-{name}"
    if flavour in ("auto", "system"):
        found = shutil.which(name)
        if found:
            return found
        if flavour == "system":
            print(f"make synth: {name} is not on PATH, using {rel(yowasp)}")
    if not yowasp.exists():
        raise SystemExit(f"make synth: {yowasp} is missing: pip install -r requirements-synth.txt")
    return str(yowasp)


def run_tool(tool: str, args: list[str], log: Path) -> float:
    """Run a tool from the project root; returns seconds; raises with the log tail."""
    t0 = time.perf_counter()
    with open(log, "w") as f:
        proc = subprocess.run([tool] + args, cwd=ROOT, stdout=f, stderr=subprocess.STDOUT)
    if proc.returncode:
        tail = log.read_text()[-3000:]
        raise SystemExit(f"{tool} failed (exit {proc.returncode}), log {log}:\n{tail}")
    return time.perf_counter() - t0


def read_design(build: Path) -> str:
    return (f'read_verilog -sv -defer -DROM_DIR="{rel(build)}" -I{rel(build)} -Ihdl {sources()}\n'
            "hierarchy -top romformer_top\n")


STAT_TOTALS = {"wires", "ports", "memories", "processes", "cells"}


def parse_stat(text: str) -> dict[str, dict[str, int]]:
    """yosys `stat` (text): {module: {cell type or 'cells': count}} (its own cells, not its children's)."""
    out: dict[str, dict[str, int]] = {}
    current = None
    for line in text.splitlines():
        if line.strip().startswith("==="):
            m = re.match(r"^=== (\S+) ===$", line.strip())
            current = m.group(1) if m and m.group(1) != "design" else None
            if current:
                out[current] = {}
            continue
        if current is None:
            continue
        m = re.match(r"^\s+Number of cells:\s+(\d+)", line) or re.match(r"^\s+(\d+)\s+cells$", line)
        if m:
            out[current]["cells"] = int(m.group(1))
            continue
        m = re.match(r"^\s+(\$?[A-Za-z_]\S*)\s+(\d+)$", line) or re.match(r"^\s+(\d+)\s+(\$?[A-Za-z_]\S*)$", line)
        if m:
            a, b = m.groups()
            name, count = (a, int(b)) if not a.isdigit() else (b, int(a))
            if name not in STAT_TOTALS:          # "9 wires", "2 memories" (0.70): not cell types
                out[current][name] = count
    return out


def module_name(module: str) -> str:
    """'$paramod$<hash>\\rf_requant' or '$paramod\\rf_divider\\P_BITS=...' -> 'rf_requant' / 'rf_divider'."""
    return next((part for part in module.split("\\") if not part.startswith("$") and "=" not in part), module)


def block_of(module: str) -> str:
    name = module_name(module)
    for prefix, block in BLOCKS:
        if name.startswith(prefix):
            return block
    return name


def hierarchy_blocks(cells: dict[str, dict[str, int]], top: str = "romformer_top") -> dict[str, int]:
    """Cells per block: every module instance's own cells (times its instance count along the path)
    go to the block of its outermost ancestor below rf_core, so rf_attention's requant units and
    dividers count as attention. The tree comes from each module's submodule cells in `stat`
    (the same in yosys 0.23 and 0.70, whose `design hierarchy` sections differ)."""
    blocks: dict[str, int] = {}
    plain = (None, block_of("rf_core"), block_of(top))

    def walk(module: str, parent_block: str | None, mult: int) -> None:
        own = block_of(module)
        block = own if parent_block in plain else parent_block
        blocks[block] = blocks.get(block, 0) + mult * cells[module].get("cells", 0)
        for child, count in cells[module].items():
            if child in cells and child != module:
                walk(child, block, mult * count)

    top_module = next((m for m in cells if module_name(m) == top), None)
    if top_module is not None:
        walk(top_module, None, 1)
    return blocks


def generic(build: Path, out: Path, tool: str) -> dict:
    script = out / "generic.ys"
    stat = out / "generic.stat"
    script.write_text(read_design(build) + "synth -top romformer_top -run begin:fine\n"
                      "opt -fast -full\ntechmap\nopt -fast\nabc\nopt -fast\n"
                      f"tee -q -o {rel(stat)} stat -top romformer_top\n")
    seconds = run_tool(tool, ["-q", rel(script)], out / "generic.log")
    text = stat.read_text()
    blocks = hierarchy_blocks(parse_stat(text))
    return {"seconds": round(seconds, 1), "blocks": dict(sorted(blocks.items(), key=lambda kv: -kv[1])),
            "total_cells": sum(blocks.values())}


# A multiplier whose operands both have at most this many bits stays in LUTs: the 8-bit x 8-bit MAC
# lane and q.K dot-product multipliers (LANES + DIM of them), each a small fraction of an 18x18 block.
# Wider ones go to MULT18X18D blocks (attention's 16 x 8 p*V and the requant/norm ones), split by
# synth_ecp5 as usual. synth_ecp5 alone puts every multiplier in a block and needs more than the part has.
SOFT_MUL_BITS = 9
SOFT_MULS = f"t:$mul r:A_WIDTH<={SOFT_MUL_BITS} %i r:B_WIDTH<={SOFT_MUL_BITS} %i"


def dsp_premap() -> str:
    """Flatten and shrink widths (what synth_ecp5 does first), then hide the narrow multipliers from
    synth_ecp5's DSP mapping as $__soft_mul, which it turns back into $mul after that step."""
    return ("proc\nflatten\nopt_expr\nopt_clean\nopt -nodffe -nosdff\nwreduce\nopt_clean\n"
            f"chtype -set $__soft_mul {SOFT_MULS}\n")


def design_stamp(build: Path, script_text: str, tool: str) -> str:
    """Hash of everything the ecp5 netlist depends on: the RTL, the ROM build, the script, the files
    the script reads (the deep-ROM memory library), the netlist pass after it, the tool."""
    h = hashlib.sha256(script_text.encode() + tool.encode())
    inputs = (sorted((ROOT / "hdl").glob("*.v*")) + sorted(build.glob("*.hex")) + [build / "params.vh"]
              + [ROOT / DEEP_ROM_LIB, ROOT / NETLIST_PASS])
    for f in inputs:
        h.update(f.name.encode() + f.read_bytes())
    return h.hexdigest()


# WEIGHT_BRAM=deep: the weight ROM (the one $mem of rf_wmem's rf_rom u_weights) mapped before synth_ecp5's
# own memory mapping, with a library of only the deep DP16KD configurations (scripts/ecp5_deep_rom.txt)
WEIGHT_ROM = "t:$mem_v2 */u_core.u_wmem.u_weights.mem %i"
DEEP_ROM_LIB = "scripts/ecp5_deep_rom.txt"
NETLIST_PASS = "scripts/ecp5_resets.py"    # finish_netlist's code: an edit of it must not reuse top.json
WEIGHT_BRAM_MODES = ("auto", "deep")


def ecp5_passes(out: Path, weight_bram: str = "auto") -> str:
    """The yosys passes after reading the design: synth_ecp5 up to its `check` step, whose first pass
    (autoname: readable names for the netlist) alone ran longer than the whole synthesis on this design
    with yosys 0.23; the statistics to ecp5.stat and the netlist to top.json in `out`."""
    if weight_bram not in WEIGHT_BRAM_MODES:
        raise SystemExit(f"make synth: WEIGHT_BRAM={weight_bram} is not one of {', '.join(WEIGHT_BRAM_MODES)}")
    run = "synth_ecp5 -top romformer_top -run begin:check\n"
    if weight_bram == "deep":
        run = ("synth_ecp5 -top romformer_top -run begin:map_ram\n"
               f"select -assert-count 1 {WEIGHT_ROM}\n"
               f"memory_libmap -lib {DEEP_ROM_LIB} {WEIGHT_ROM}\n"
               "synth_ecp5 -top romformer_top -run map_ram:check\n")
    return (dsp_premap() + run + "hierarchy -check\n"
            f"tee -q -o {rel(out / 'ecp5.stat')} stat\n"
            "check -noinit\nblackbox =A:whitebox\n"
            f"write_json {rel(out / 'top.json')}\n")


def ecp5_script(build: Path, out: Path, weight_bram: str = "auto") -> str:
    return read_design(build) + ecp5_passes(out, weight_bram)


RESET_SHARE = "reset_share.json"    # share_reset_inverters' counts, beside top.json


def ecp5_cells(out: Path) -> dict[str, int]:
    """synth_ecp5's cells (ecp5.stat), less the reset inverters share_reset_inverters removed."""
    cells = parse_stat((out / "ecp5.stat").read_text())
    top = next(iter(cells.values())) if cells else {}
    keep = ("LUT4", "TRELLIS_FF", "DP16KD", "MULT18X18D", "CCU2C", "PFUMX", "L6MUX21", "TRELLIS_DPR16X4")
    counts = {k: top.get(k, 0) for k in keep}
    share = out / RESET_SHARE
    if share.exists():
        counts["LUT4"] -= json.loads(share.read_text())["luts_removed"]
    return counts


def finish_netlist(out: Path, top: str) -> dict[str, int]:
    """The netlist post-pass after yosys (scripts/ecp5_resets.py); its counts to RESET_SHARE."""
    counts = share_reset_inverters(out / "top.json", top)
    (out / RESET_SHARE).write_text(json.dumps(counts, indent=1) + "\n")
    return counts


RESET_SHARE_MODES = ("auto", "on", "off")


def reset_share_on(mode: str, act: ActFormat) -> bool:
    """RESET_SHARE: on / off, or auto: on for the mx build, which does not place without it (6,555
    LSR nets), off for static, whose LANES 16 route converged only without it (docs/results.md)."""
    if mode not in RESET_SHARE_MODES:
        raise SystemExit(f"make synth: RESET_SHARE={mode} is not one of {', '.join(RESET_SHARE_MODES)}")
    return act.name == "mx" if mode == "auto" else mode == "on"


def ecp5(build: Path, out: Path, tool: str, reuse: bool = False, weight_bram: str = "auto",
         share_resets: bool = False) -> dict:
    """synth_ecp5 -> top.json (then, with share_resets, finish_netlist); with reuse, an existing netlist
    of the same inputs is kept."""
    script = out / "ecp5.ys"
    text = ecp5_script(build, out, weight_bram)
    stamp = design_stamp(build, text + f"# reset inverters shared: {share_resets}\n", tool)
    stamp_file = out / "top.json.stamp"
    if reuse and stamp_file.exists() and (out / "top.json").exists() and stamp_file.read_text().strip() == stamp:
        write(f"  synth_ecp5: reusing {rel(out / 'top.json')} (same RTL, ROM build, script and tool)")
        return {"seconds": 0.0, "reused": True, "cells": ecp5_cells(out)}
    stamp_file.unlink(missing_ok=True)
    (out / RESET_SHARE).unlink(missing_ok=True)
    script.write_text(text)
    seconds = run_tool(tool, ["-q", rel(script)], out / "ecp5.log")
    result = {"seconds": round(seconds, 1)}
    if share_resets:
        share = result["reset_share"] = finish_netlist(out, "romformer_top")
        write(f"  reset inverters: {share['reset_inverters_before']:,} -> {share['reset_inverters_after']:,} "
              f"(one per register), LSR nets {share['lsr_nets_before']:,} -> {share['lsr_nets_after']:,}")
    stamp_file.write_text(stamp + "\n")
    return result | {"cells": ecp5_cells(out)}


FMAX_LINE = re.compile(r"Max frequency for clock '([^']+)': ([0-9.]+) MHz")


def log_fmax(text: str) -> dict[str, float]:
    """Per clock, the last `Max frequency` line of a nextpnr log: after placement nextpnr's
    estimate (it prints one per placer), after routing the achieved fmax."""
    return {clk: float(mhz) for clk, mhz in FMAX_LINE.findall(text)}


def report_utilization(report: Path) -> dict[str, dict[str, int]]:
    rep = json.loads(report.read_text())
    return {k: {"used": v["used"], "available": v["available"]} for k, v in rep.get("utilization", {}).items()
            if k in ("TRELLIS_COMB", "TRELLIS_FF", "DP16KD", "MULT18X18D", "TRELLIS_RAMW")}


class Nextpnr(NamedTuple):
    """The settings every nextpnr-ecp5 run of one make synth shares (timing failures are allowed: the
    achieved fmax is the result). seed: --seed (placement is seed-dependent; PNR_SEED=); args: extra
    arguments (--pnr-args, e.g. "--placer-heap-beta 0.7")."""
    tool: str
    part: str
    freq: float
    seed: int = 1
    args: tuple[str, ...] = ()

    def name(self, stage: str) -> str:
        """File stem of one stage's artefacts (log, report, placement): seeds other than 1 get their
        own files, so several seeds of one build can be placed and routed side by side."""
        return stage if self.seed == 1 else f"{stage}-seed{self.seed}"


def nextpnr_run(out: Path, stage: str, pnr_cfg: Nextpnr, extra: list[str]) -> dict:
    """One nextpnr-ecp5 run: its log, report, fmax, utilization."""
    flags, _ = PARTS[pnr_cfg.part]
    report = out / f"{pnr_cfg.name(stage)}_report.json"
    log = out / f"{pnr_cfg.name(stage)}.log"
    seconds = run_tool(pnr_cfg.tool, flags + ["--freq", str(pnr_cfg.freq), "--report", rel(report),
                                              "--timing-allow-fail", "--seed", str(pnr_cfg.seed)]
                       + extra + list(pnr_cfg.args), log)
    fmax = {clk: round(v, 2) for clk, v in log_fmax(log.read_text()).items()}
    return {"seconds": round(seconds, 1), "fmax_mhz": fmax, "utilization": report_utilization(report)}


def pnr(out: Path, pnr_cfg: Nextpnr) -> dict:
    return nextpnr_run(out, "pnr", pnr_cfg, ["--json", rel(out / "top.json"), "--router", "router2"])


def place(out: Path, pnr_cfg: Nextpnr, router: str) -> dict:
    return nextpnr_run(out, "place", pnr_cfg, ["--json", rel(out / "top.json"), "--no-route",
                                               "--router", router, "--write", rel(out / f"{pnr_cfg.name('placed')}.json")])


STORED_ROUTER = re.compile(r'"router": "(router\d)"')


def set_stored_router(placed: Path, router: str) -> None:
    """nextpnr --write stores the run's settings in the JSON and a --no-place run takes them over its
    command line, so the placement run's router (router1 unless given) would route. Rewrite it."""
    text = placed.read_text()
    m = STORED_ROUTER.search(text)
    if m and m.group(1) != router:
        placed.write_text(text[:m.start(1)] + router + text[m.end(1):])


def route(out: Path, pnr_cfg: Nextpnr, router: str) -> dict:
    placed = out / f"{pnr_cfg.name('placed')}.json"
    if not placed.exists() or placed.stat().st_mtime < (out / "top.json").stat().st_mtime:
        raise SystemExit(f"make synth: stage route needs {rel(placed)} placed from the current top.json: "
                         "run the place stage first (STAGES=place, then STAGES=route)")
    set_stored_router(placed, router)
    return nextpnr_run(out, "route", pnr_cfg, ["--json", rel(placed), "--no-place", "--router", router])


def results_section(summary: dict) -> str:
    """The Synthesis section of docs/results.md for one build (its numbers only)."""
    lines = [f"### {summary['model']} ({summary['format']}), LANES {summary['lanes']}, {summary['part']}", ""]
    tools = summary["tools"]
    lines.append(f"Tools: {tools['yosys']}, {tools.get('nextpnr', '-')}. Cycles per token (position 0): "
                 f"{summary['cycles_per_token_pos0']:,}.")
    lines.append("")
    if "ecp5" in summary:
        c = summary["ecp5"]["cells"]
        lines += ["| synth_ecp5 | LUT4 | TRELLIS_FF | DP16KD | MULT18X18D | CCU2C | seconds |",
                  "|---|---|---|---|---|---|---|",
                  f"| cells | {c['LUT4']:,} | {c['TRELLIS_FF']:,} | {c['DP16KD']} | {c['MULT18X18D']} | "
                  f"{c['CCU2C']:,} | {summary['ecp5']['seconds']} |", ""]
    if "pnr" in summary:
        u = summary["pnr"]["utilization"]
        lines += ["| placed on " + summary["part"] + " | used | available | % |", "|---|---|---|---|"]
        for k, v in u.items():
            lines.append(f"| {k} | {v['used']:,} | {v['available']:,} | {100 * v['used'] / max(v['available'], 1):.1f}% |")
        fmax = summary["pnr"]["fmax_mhz"]
        lines += ["", f"fmax {', '.join(f'{k}: {v} MHz' for k, v in fmax.items())} (target {summary['freq_mhz']} MHz); "
                  f"**{summary.get('tokens_per_s_at_fmax', 0):,} tokens/s** at that clock; "
                  f"place and route {summary['pnr']['seconds']} s.", ""]
    for stage, what in (("place", "post-placement estimate (not a routed fmax)"), ("route", "routed")):
        if stage in summary:
            fmax = summary[stage]["fmax_mhz"]
            lines += [f"{stage}: {what} {', '.join(f'{k}: {v} MHz' for k, v in fmax.items())} "
                      f"(target {summary['freq_mhz']} MHz), {summary.get(f'tokens_per_s_{stage}', 0):,} tokens/s at "
                      f"that clock; {summary[stage]['seconds']} s.", ""]
    if "generic" in summary:
        g = summary["generic"]
        lines += [f"Technology-neutral cells per block (yosys `synth`, hierarchical, {g['seconds']} s; multipliers "
                  "are counted as gates here, in the ECP5 netlist the wide ones are MULT18X18D blocks):", "",
                  "| block | cells | share |", "|---|---|---|"]
        for block, n in g["blocks"].items():
            lines.append(f"| {block} | {n:,} | {100 * n / max(g['total_cells'], 1):.1f}% |")
        lines.append(f"| total | {g['total_cells']:,} | |")
        lines.append("")
    return "\n".join(lines)


def nextpnr_version(text: str, yowasp: bool) -> str:
    """`nextpnr-ecp5 0.11.1 (YoWASP)` from `... (Version nextpnr-0.11.1)` (the program's own name
    comes first in its --version line: the version is the `nextpnr-<digits>` token)."""
    m = re.search(r"nextpnr-(\d[\w.+-]*)", text)
    return f"nextpnr-ecp5 {m.group(1) if m else '(unknown version)'}" + (" (YoWASP)" if yowasp else "")


def format_suffix(fmt: str, act: ActFormat) -> str:
    """The build directory's format part: none for int8 weights with static activations, else
    -<format> and -mxB<block> (build/synth/<model><suffix>-L<lanes>)."""
    return ("" if fmt == "int8" else f"-{fmt}") + ("" if act.name == "static" else f"-{act.name}B{act.block}")


def parse_act(name: str, block: int | None, tool: str) -> ActFormat:
    """--act / --act-block, or SystemExit naming `tool` and the refused value."""
    try:
        return make_act_format(name, block)
    except ActFormatError as exc:
        raise SystemExit(f"{tool}: {exc}") from None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, default=ROOT / "models" / "austen_byte.bin")
    p.add_argument("--lanes", type=int, default=16)
    p.add_argument("--format", default="int8", help="weight format (python -m sim_models compile --format)")
    p.add_argument("--act", default="static", help="activation format (python -m sim_models compile --act)")
    p.add_argument("--act-block", type=int, default=None, help="--act mx block size (compile --act-block)")
    p.add_argument("--part", default="LFE5U-85F", choices=sorted(PARTS))
    p.add_argument("--freq", type=float, default=50.0, help="target clock for place and route, MHz")
    p.add_argument("--stages", default="generic,ecp5",
                   help="generic,ecp5 (default, bounded); pnr, place, route (opt-in; they reuse an unchanged "
                        "ecp5 netlist, route reuses place's placed.json)")
    p.add_argument("--router", default="router2", choices=("router1", "router2"), help="router of the route stage")
    p.add_argument("--tools", default="auto", choices=("auto", "yowasp", "system"),
                   help="auto (default): a native tool on PATH, else the pinned YoWASP build in .venv "
                        "; yowasp: always the pinned "
                        "YoWASP builds; system: yosys / nextpnr-ecp5 on PATH")
    p.add_argument("--same-logic", type=Path, help="a second checkpoint of the same shape")
    p.add_argument("--pnr-args", default="", help="extra nextpnr-ecp5 arguments for pnr / place / route, e.g. "
                                                  "'--placer-heap-beta 0.7' (placement density)")
    p.add_argument("--seed", type=int, default=1, help="nextpnr-ecp5 --seed of pnr / place / route")
    p.add_argument("--weight-bram", default="auto", choices=WEIGHT_BRAM_MODES,
                   help="auto (default): yosys maps the weight ROM to block RAM as it chooses; deep: only "
                        "the 16Kx1 / 8Kx2 DP16KD configurations, side by side with no output mux "
                        "(build directory suffix -deeprom)")
    p.add_argument("--reset-share", default="auto", choices=RESET_SHARE_MODES,
                   help="the flip-flops of one register share one reset inverter (scripts/ecp5_resets.py): "
                        "auto (default: on for --act mx, off for static), on, off")
    return p


def main() -> int:
    args = build_parser().parse_args()
    act = parse_act(args.act, args.act_block, "make synth")
    stages = [s for s in args.stages.split(",") if s]
    yosys = find_tool("yosys", args.tools)
    unknown = sorted(set(stages) - {"generic", "ecp5", "pnr", "place", "route"})
    if unknown:
        raise SystemExit(f"make synth: unknown stage(s) {', '.join(unknown)} in STAGES={args.stages} "
                         "(generic, ecp5, pnr, place, route)")
    nextpnr = find_tool("nextpnr-ecp5", args.tools) if {"pnr", "place", "route"} & set(stages) else None
    suffix = format_suffix(args.format, act)
    name = f"{args.model.stem}{suffix}-L{args.lanes}" + ("-deeprom" if args.weight_bram == "deep" else "")
    build = ROOT / "build" / "synth" / name / "rom"
    out = build.parent
    out.mkdir(parents=True, exist_ok=True)
    yosys_jobs = [k for k in ("generic", "ecp5") if k in stages or (k == "ecp5" and {"pnr", "place"} & set(stages))]
    steps = Stages(1 + bool(yosys_jobs) + sum(s in stages for s in ("place", "route", "pnr")) + bool(args.same_logic),
                   f"make synth {name}")
    with steps.stage("compile"):
        compile_checkpoint(args.model, args.lanes, build, args.format, act=act)
    cfg = read_checkpoint(args.model).config
    sched = Schedule(cfg, args.lanes, act=act)
    versions = {"yosys": subprocess.run([yosys, "-V"], capture_output=True, text=True).stdout.split("(")[0].strip()}
    if nextpnr:
        v = subprocess.run([nextpnr, "--version"], capture_output=True, text=True)
        versions["nextpnr"] = nextpnr_version(v.stdout + v.stderr, yowasp="yowasp" in Path(nextpnr).name)
    summary: dict = {"model": args.model.name, "format": args.format, "act": act.label, "lanes": args.lanes, "part": args.part,
                     "freq_mhz": args.freq, "tools": versions, "cycles_per_token_pos0": sched.cycles(0),
                     "pnr_args": args.pnr_args, "seed": args.seed, "weight_bram": args.weight_bram,
                     "reset_share": reset_share_on(args.reset_share, act)}
    pnr_cfg = Nextpnr(nextpnr, args.part, args.freq, args.seed, tuple(args.pnr_args.split())) if nextpnr else None
    write(f"make synth: {name}: {', '.join(stages)} ({versions['yosys']})")
    t0 = time.perf_counter()
    # generic and synth_ecp5 are independent: run them side by side (2 cores)
    with steps.stage("yosys " + " + ".join(yosys_jobs)), ThreadPoolExecutor(max_workers=2) as pool:
        jobs = {}
        if "generic" in stages:
            jobs["generic"] = pool.submit(generic, build, out, yosys)
        if "ecp5" in stages or {"pnr", "place"} & set(stages):
            jobs["ecp5"] = pool.submit(ecp5, build, out, yosys, "ecp5" not in stages, args.weight_bram,
                                       reset_share_on(args.reset_share, act))
        for key, job in jobs.items():
            summary[key] = job.result()
    if "generic" in summary:
        write(f"  generic: {summary['generic']['total_cells']:,} cells in {summary['generic']['seconds']} s")
        for block, n in summary["generic"]["blocks"].items():
            write(f"    {block:45s} {n:>10,}")
    if "ecp5" in summary:
        write(f"  synth_ecp5 ({summary['ecp5']['seconds']} s): {summary['ecp5']['cells']}")
    for stage in ("place", "route"):
        if stage not in stages:
            continue
        with steps.stage(f"nextpnr {stage}"):
            summary[stage] = (place(out, pnr_cfg, args.router) if stage == "place" else route(out, pnr_cfg, args.router))
        fmax = min(summary[stage]["fmax_mhz"].values()) if summary[stage]["fmax_mhz"] else 0.0
        summary[f"tokens_per_s_{stage}"] = round(fmax * 1e6 / sched.cycles(0), 1)
        if stage == "route":
            write(f"  recorded in docs/routes.json: {record_route(summary, stage)}")
        write(f"  nextpnr-ecp5 {stage} {args.part} ({summary[stage]['seconds']} s): fmax {summary[stage]['fmax_mhz']} MHz, "
              f"{summary[f'tokens_per_s_{stage}']} tokens/s; {summary[stage]['utilization']}")
    if "pnr" in stages:
        with steps.stage("nextpnr place and route"):
            summary["pnr"] = pnr(out, pnr_cfg)
        fmax = min(summary["pnr"]["fmax_mhz"].values()) if summary["pnr"]["fmax_mhz"] else 0.0
        summary["tokens_per_s_at_fmax"] = round(fmax * 1e6 / sched.cycles(0), 1)
        write(f"  recorded in docs/routes.json: {record_route(summary, 'pnr')}")
        write(f"  nextpnr-ecp5 {args.part} ({summary['pnr']['seconds']} s): fmax {summary['pnr']['fmax_mhz']} MHz, "
              f"{summary['tokens_per_s_at_fmax']} tokens/s; {summary['pnr']['utilization']}")
    if args.same_logic:
        other = out.parent / f"{args.same_logic.stem}{suffix}-L{args.lanes}-other"
        with steps.stage(f"same logic as {args.same_logic.name}"):
            compile_checkpoint(args.same_logic, args.lanes, other, args.format, act=act)
            c = compare_builds(build, other, out / "netlists")
        summary["same_logic"] = {"other": args.same_logic.name, "same_logic": c.same_logic,
                                 "rom_images_differing": c.rom_lines_differing,
                                 "params_vh_equal": (build / "params.vh").read_text() == (other / "params.vh").read_text()}
        write(f"  same logic as {args.same_logic.name}: {summary['same_logic']}")
    steps.close()
    summary["wall_seconds"] = round(time.perf_counter() - t0, 1)
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    (out / "summary.md").write_text(results_section(summary))
    print(f"summary: {rel(out / 'summary.json')}, {rel(out / 'summary.md')} ({summary['wall_seconds']} s)")
    return 0 if summary.get("same_logic", {}).get("same_logic", True) else 1


if __name__ == "__main__":
    sys.exit(main())
