"""Per-block timing probe: place and route one block of a build on its own and read its critical path.

    python scripts/timing_probe.py [--model M] [--lanes L] [--format F] [--blocks rf_rmsnorm,rf_matvec]
                                   [--part LFE5U-85F] [--freq 50] [--seed 1]

Whole-chip place and route of romformer_top does not converge in a session (router2 at 75% of the
LUTs), and a placement-only run reports the estimated fmax but no path. This probe gives the path:
each block is elaborated with exactly the parameters romformer_top gives it (the derived module
of `hierarchy -top romformer_top`), wrapped so that every input comes from a flip-flop (a shift
register fed by one pin) and every output goes into a flip-flop (then an XOR tree to one pin),
synthesized with the same synth_ecp5 flow as `make synth`, placed and routed with nextpnr-ecp5.
Paths inside the block are the block's own; paths at its ports start or end at a register, as
they do in the core for all but a few ports (ROM outputs are block-RAM registers, slower to
clock-out than a flip-flop). Per block: build/synth/<build>/probe/<block>/{pnr.log,report.json}
and a summary line (fmax, critical path start -> end, its logic / routing split).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from synth import (  # noqa: E402
    PARTS,
    dsp_premap,
    find_tool,
    finish_netlist,
    format_suffix,
    log_fmax,
    parse_act,
    read_design,
    rel,
    reset_share_on,
    run_tool,
)

from sim_models.compiler import compile_checkpoint  # noqa: E402

XOR_GROUP = 16   # outputs per first-level XOR register: keeps the probe's own output tree shallow


def modules_of(block: str, modules: list[str]) -> list[str]:
    """The yosys module names that are `block`: plain (`\\rf_x`), derived with its parameters
    (`$paramod\\rf_x\\P=...`) or derived with a hashed parameter list (`$paramod$<hash>\\rf_x`)."""
    return [m for m in modules if re.search(rf"\\{re.escape(block)}(\\|$)", m) or m.lstrip("\\") == block]


def derived_module(build: Path, out: Path, block: str, yosys: str) -> tuple[str, list[tuple[str, str, int]]]:
    """The module romformer_top instantiates for `block` and its ports [(direction, name, width)]."""
    script = out / "ports.ys"
    dump = out / "ports.il"
    script.write_text(read_design(build) + f"tee -q -o {rel(dump)} dump\n")
    run_tool(yosys, ["-q", rel(script)], out / "ports.log")
    module, ports = None, []
    found: dict[str, list[tuple[str, str, int, int]]] = {}   # (direction, name, width, port number)
    for line in dump.read_text().splitlines():
        m = re.match(r"^module (\S+)$", line)
        if m:
            module = m.group(1)
            ports = found.setdefault(module, [])
            continue
        m = re.match(r"^wire (?:width (\d+) )?(?:upto )?(?:offset -?\d+ )?(input|output|inout) (\d+) (?:signed )?(\S+)$",
                     line.strip())
        if m and module:
            ports.append((m.group(2), m.group(4).lstrip("\\"), int(m.group(1) or 1), int(m.group(3))))
    names = modules_of(block, list(found))
    if len(names) != 1:
        raise SystemExit(f"timing_probe: {block}: {len(names)} derived modules in the build ({names}); "
                         "a block must be instantiated once with one parameter set")
    ports_sorted = sorted(found[names[0]], key=lambda p: p[3])
    return names[0], [(d, n, w) for d, n, w, _ in ports_sorted]


def wrapper(ports: list[tuple[str, str, int]]) -> str:
    """probe_top: inputs from a shift register fed by `din`, outputs registered and XOR-reduced."""
    ins = [(n, w) for d, n, w in ports if d == "input" and n != "clk"]
    outs = [(n, w) for d, n, w in ports if d == "output"]
    n_in = max(1, sum(w for _, w in ins))
    n_out = sum(w for _, w in outs)
    groups = -(-n_out // XOR_GROUP)
    lines = ["`default_nettype none", "module probe_top (input wire clk, input wire din, output reg dout);",
             f"    reg  [{n_in - 1}:0] sr;",
             f"    wire [{n_out - 1}:0] o;",
             f"    reg  [{n_out - 1}:0] o_r;",
             f"    reg  [{groups - 1}:0] x_r;",
             f"    always @(posedge clk) sr <= {{sr[{n_in - 2}:0], din}};" if n_in > 1 else
             "    always @(posedge clk) sr <= din;",
             "    integer g;",
             "    always @(posedge clk) begin",
             "        o_r <= o;",
             f"        for (g = 0; g < {groups}; g = g + 1) x_r[g] <= ^(o_r >> ({XOR_GROUP} * g) & {n_out}'h{'f' * (XOR_GROUP // 4)});",
             "        dout <= ^x_r;",
             "    end"]
    conns, lo = [".clk(clk)"], 0
    for n, w in ins:
        conns.append(f".{n}(sr[{lo + w - 1}:{lo}])")
        lo += w
    lo = 0
    for n, w in outs:
        conns.append(f".{n}(o[{lo + w - 1}:{lo}])")
        lo += w
    lines.append("    probe_block u_block (" + ", ".join(conns) + ");")
    lines += ["endmodule", "`default_nettype wire", ""]
    return "\n".join(lines)


def critical_path(log: str) -> dict:
    """nextpnr's routed critical path of the clock: total, logic and routing ns, and the design
    source lines it passes through (hdl/*.v:line, each once, in order of first appearance)."""
    m = re.search(r"Info: Critical path report for clock '[^']*' \(posedge -> posedge\):\n(.*?)\n\n", log, re.S)
    if not m:
        return {}
    logic = routing = total = 0.0
    for kind, delay, tot in re.findall(r"Info:\s+(clk-to-q|routing|logic|setup)\s+([\d.]+)\s+([\d.]+)", m.group(1)):
        if kind == "routing":
            routing += float(delay)
        else:
            logic += float(delay)
        total = float(tot)
    lines: list[str] = []
    for ref in re.findall(r"(hdl/[\w.]+\.v:\d+)", m.group(1)):
        if ref not in lines:                    # first appearance, in path order
            lines.append(ref)
    return {"total_ns": round(total, 2), "logic_ns": round(logic, 2), "routing_ns": round(routing, 2),
            "through": lines}


def probe(build: Path, out: Path, block: str, part: str, freq: float, yosys: str, nextpnr: str, seed: int = 1,
          share_resets: bool = False) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    module, ports = derived_module(build, out, block, yosys)
    (out / "probe_top.v").write_text(wrapper(ports))
    script = out / "ecp5.ys"
    script.write_text(read_design(build) + f"rename {module} probe_block\n"
                      f"read_verilog -sv {rel(out / 'probe_top.v')}\n"
                      "hierarchy -top probe_top\n" + dsp_premap() +
                      "synth_ecp5 -top probe_top -run begin:check\n"
                      f"tee -q -o {rel(out / 'ecp5.stat')} stat\n"
                      "blackbox =A:whitebox\n"
                      f"write_json {rel(out / 'top.json')}\n")
    synth_s = run_tool(yosys, ["-q", rel(script)], out / "ecp5.log")
    if share_resets:                                            # as make synth's RESET_SHARE=auto
        finish_netlist(out, "probe_top")
    flags, _ = PARTS[part]
    pnr_s = run_tool(nextpnr, flags + ["--json", rel(out / "top.json"), "--freq", str(freq),
                                       "--report", rel(out / "report.json"), "--timing-allow-fail",
                                       "--seed", str(seed), "--router", "router2"], out / "pnr.log")
    log = (out / "pnr.log").read_text()
    fmax = list(log_fmax(log).values())                         # the probe has one clock
    res = {"block": block, "module": module, "fmax_mhz": fmax[-1] if fmax else None,
           "synth_s": round(synth_s, 1), "pnr_s": round(pnr_s, 1), "path": critical_path(log)}
    (out / "summary.json").write_text(json.dumps(res, indent=1) + "\n")
    return res


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, default=ROOT / "models" / "austen_byte.bin")
    p.add_argument("--lanes", type=int, default=16)
    p.add_argument("--format", default="int8")
    p.add_argument("--act", default="static", help="activation format (compile --act)")
    p.add_argument("--act-block", type=int, default=None, help="--act mx block size")
    p.add_argument("--blocks", default="rf_rmsnorm,rf_matvec,rf_select,rf_attention")
    p.add_argument("--part", default="LFE5U-85F", choices=sorted(PARTS))
    p.add_argument("--freq", type=float, default=50.0)
    p.add_argument("--tools", default="auto", choices=("auto", "yowasp", "system"))
    p.add_argument("--seed", type=int, default=1, help="nextpnr seed (another seed when a placement does not route)")
    args = p.parse_args()
    act = parse_act(args.act, args.act_block, "timing_probe")
    yosys, nextpnr = find_tool("yosys", args.tools), find_tool("nextpnr-ecp5", args.tools)
    name = f"{args.model.stem}{format_suffix(args.format, act)}-L{args.lanes}"
    build = ROOT / "build" / "synth" / name / "rom"
    compile_checkpoint(args.model, args.lanes, build, args.format, act=act)
    for block in [b for b in args.blocks.split(",") if b]:
        r = probe(build, build.parent / "probe" / block, block, args.part, args.freq, yosys, nextpnr, args.seed,
                  reset_share_on("auto", act))
        print(f"{block}: fmax {r['fmax_mhz']} MHz (synth {r['synth_s']} s, pnr {r['pnr_s']} s); "
              f"critical path {r['path']}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
