"""The speed sections of `make bench` that follow from the schedule and the routed builds.

- where the cycles go: every phase of a forward pass (sim_models.schedule.Schedule.phases) for
  every LANES at one position, with the matrix streams split into the weights themselves (the
  ideal: weight MACs / LANES), lane padding (rows whose length is not a multiple of LANES) and
  what the matrix phases spend beyond their stream (drains, hand-offs);
- versus the Clash llama2.c port: cycles per token of the 260K shape against its ~38,000
  (docs: ../shared/DESIGN.md), and the ratio's bound at each LANES (the ideal, every lane busy
  every cycle);
- tokens/s on the FPGA: every route in docs/routes.json (scripts/synth.py appends one per place
  and route), its routed fmax over the cycles per token of the RTL it routed, and whether the
  hdl/ of that route is the hdl/ of this checkout.

Each function takes configurations or records and returns markdown lines; scripts/bench.py
splices them into docs/results.md.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

from sim_models.hardware import PHASES, phase_shape
from sim_models.schedule import Schedule, words

ROOT = Path(__file__).resolve().parents[1]
ROUTES = ROOT / "docs" / "routes.json"
CLASH_CYCLES = 38_000       # the Clash llama2.c port, stories260K shape (about; the design brief's number)
BREAKDOWN_LANES = (8, 16, 32, 64)
CLASH_LANES = (8, 16, 32, 64, 128)


def stream_cycles(cfg, lanes: int, emit: bool = True) -> int:
    """Cycles in which the weight ROM streams: one word of LANES weights per row word."""
    per_layer = sum(rows * words(cols, lanes) for rows, cols in (phase_shape(cfg, p) for p in PHASES))
    return cfg.n_layers * per_layer + (cfg.vocab_size * words(cfg.dim, lanes) if emit else 0)


def breakdown(cfg, lanes: int, pos: int) -> dict[str, float]:
    """One greedy token at `pos`: cycles per item; the items add up to Schedule.cycles(pos)."""
    s = Schedule(cfg, lanes)
    ph = dict(s.phases(pos))
    stream = stream_cycles(cfg, lanes)
    ideal = s.ideal_cycles()
    out = {"weights (ideal)": ideal, "lane padding": stream - ideal,
           "matrix phases beyond their stream": ph.pop("matvec") + ph.pop("classifier") - stream}
    out.update(ph)
    return out


def render_breakdown(models: list[tuple[str, object]], pos: int = 0) -> list[str]:
    lines = ["### Where the cycles go", "",
             f"One greedy token at position {pos}, from `sim_models/schedule.py` (which the RTL matches cycle for "
             "cycle). Weights = weight MACs / LANES, the only cycles a perfect core would spend.", ""]
    for name, cfg in models:
        rows = {lanes: breakdown(cfg, lanes, pos) for lanes in BREAKDOWN_LANES}
        items = list(dict.fromkeys(k for r in rows.values() for k in r))
        lines += [f"{name}:", "", "| cycles | " + " | ".join(f"LANES {n}" for n in BREAKDOWN_LANES) + " |",
                  "|---|" + "---|" * len(BREAKDOWN_LANES)]
        for k in items:
            lines.append(f"| {k} | " + " | ".join(f"{rows[n].get(k, 0):,.0f}" for n in BREAKDOWN_LANES) + " |")
        total = {n: sum(rows[n].values()) for n in BREAKDOWN_LANES}
        lines.append("| **total** | " + " | ".join(f"**{total[n]:,.0f}**" for n in BREAKDOWN_LANES) + " |")
        lines.append("| utilization | " + " | ".join(f"{100 * rows[n]['weights (ideal)'] / total[n]:.1f}%"
                                                    for n in BREAKDOWN_LANES) + " |")
        lines.append("")
    return lines


def render_clash(name: str, cfg) -> list[str]:
    lines = ["### Versus the Clash llama2.c port", "",
             f"{name}, one greedy token; the Clash port of llama2.c takes about {CLASH_CYCLES:,} cycles per token on "
             "this shape. The bound is the ratio with every MAC lane busy every cycle (weight MACs / LANES).", "",
             "| LANES | cycles @ pos 0 | ratio | cycles @ pos 63 | ratio | bound (ideal cycles) |",
             "|---|---|---|---|---|---|"]
    for lanes in CLASH_LANES:
        s = Schedule(cfg, lanes)
        c0, c63, ideal = s.cycles(0), s.cycles(63), s.ideal_cycles()
        lines.append(f"| {lanes} | {c0:,} | {CLASH_CYCLES / c0:.1f}x | {c63:,} | {CLASH_CYCLES / c63:.1f}x | "
                     f"{CLASH_CYCLES / ideal:.1f}x ({ideal:,.0f}) |")
    return lines + [""]


def hdl_tree() -> str:
    """The git tree id of hdl/ in HEAD: a route is of this RTL when its record carries the same id."""
    r = subprocess.run(["git", "rev-parse", "HEAD:hdl"], cwd=ROOT, capture_output=True, text=True)
    return r.stdout.strip()


def load_routes(path: Path = ROUTES) -> list[dict]:
    if not path.exists():
        return []
    data = json.loads(path.read_text())
    routes = data.get("routes") if isinstance(data, dict) else None
    if not isinstance(routes, list):
        raise SystemExit(f"{path}: field 'routes' must be a list of route records")
    for i, r in enumerate(routes):
        for key in ("lanes", "fmax_mhz", "cycles_per_token_pos0", "commit", "date"):
            if key not in r:
                raise SystemExit(f"{path}: routes[{i}] has no field '{key}'")
    return routes


def render_routes(routes: list[dict], current_tree: str) -> list[str]:
    lines = ["### Tokens/s on the FPGA (routed)", "",
             "Every place and route `make synth` recorded in docs/routes.json: tokens/s = routed fmax / cycles per "
             "token (position 0) of the RTL routed. \"this hdl/\" says whether the route's hdl/ tree is this "
             "checkout's; a route of older RTL keeps its own cycles.", "",
             "| LANES | activations | weight ROM | seed | routed fmax | LUT (placed) | cycles/token | tokens/s "
             "| RTL (commit) | this hdl/ | date |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in sorted(routes, key=lambda r: (r["lanes"], r["date"])):
        tps = r["fmax_mhz"] * 1e6 / r["cycles_per_token_pos0"]
        lut = f"{r['lut']:,}" if r.get("lut") else "-"
        same = "yes" if r.get("hdl_tree") and r["hdl_tree"] == current_tree else "no"
        lines.append(f"| {r['lanes']} | {r.get('act', 'static')} | {r.get('weight_bram', 'auto')} | {r.get('seed', 1)} "
                     f"| {r['fmax_mhz']:.2f} MHz | "
                     f"{lut} | {r['cycles_per_token_pos0']:,} | {tps:,.0f} | {r['commit']} | {same} | {r['date']} |")
    if not routes:
        lines.append("| - | no route recorded (`make synth STAGES=ecp5,pnr`) | | | | | | | | | |")
    return lines + [""]


def record_route(summary: dict, stage: str, path: Path = ROUTES) -> dict:
    """Append one route of scripts/synth.py's summary (stage pnr or route) to docs/routes.json."""
    import datetime

    fmax = min(summary[stage]["fmax_mhz"].values()) if summary[stage]["fmax_mhz"] else 0.0
    util = summary[stage].get("utilization", {})
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    rec = {"lanes": summary["lanes"], "model": summary["model"], "format": summary["format"],
           "act": summary.get("act", "static"), "part": summary["part"],
           "weight_bram": summary.get("weight_bram", "auto"), "seed": summary.get("seed", 1), "fmax_mhz": round(fmax, 2),
           "lut": util.get("TRELLIS_COMB", {}).get("used"), "cycles_per_token_pos0": summary["cycles_per_token_pos0"],
           "commit": commit, "hdl_tree": hdl_tree(), "date": datetime.date.today().isoformat(),
           "tools": summary.get("tools", {})}
    data = json.loads(path.read_text()) if path.exists() else {"routes": []}
    data["routes"].append(rec)
    path.write_text(json.dumps(data, indent=1) + "\n")
    return rec


BEGIN, END = "<!-- speed:begin -->", "<!-- speed:end -->"


def render_speed_sections(models: list[tuple[str, object]]) -> str:
    lines = render_breakdown(models)
    ext = [m for m in models if "stories260K" in m[0]]
    if ext:
        lines += render_clash(*ext[0])
    lines += render_routes(load_routes(), hdl_tree())
    return "\n".join([BEGIN, *lines, END]) + "\n"


def splice(text: str, section: str) -> str:
    """`section` (with its markers) in place of the marked one in `text`, or appended."""
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        return head + section.rstrip("\n") + rest.split(END, 1)[1]
    return text.rstrip("\n") + "\n\n" + section
