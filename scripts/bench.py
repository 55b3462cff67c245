"""`make bench`: measure everything the README's results table reports; write docs/results.md.

Sections: model quality (float vs integer, teacher-forced), golden-model decode speed,
ROM/SRAM bits, cycles per token and MAC-lane utilization per LANES (from the RTL
when --rtl is given, which also measures Icarus vs Verilator on the same run).
Numbers come from this run only; nothing is copied from elsewhere.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim_models.compiler import compile_model, quantize_checkpoint  # noqa: E402
from sim_models.corpus import sampled_windows, text_windows  # noqa: E402
from sim_models.evaluate import evaluate  # noqa: E402
from sim_models.golden import GoldenModel  # noqa: E402
from sim_models.schedule import Schedule  # noqa: E402

EMBEDDED = ROOT / "models" / "austen_byte.bin"
EXTERNAL = ROOT.parent / "shared" / "models" / "stories260K.bin"
LANES = (8, 16, 32, 64)
EMBED_PROMPT = list(b"It is a truth")


def golden_speed(qm, n: int = 200, repeat: int = 5) -> float:
    gm = GoldenModel(qm)
    best = 0.0
    for _ in range(repeat):
        gm.reset()
        tok, start = 1, time.perf_counter()
        for _ in range(n):
            tok = int(np.argmax(gm.forward([tok])[-1]))
        best = max(best, n / (time.perf_counter() - start))
    return best


def model_rows(path: Path, name: str, eval_text: Path | None) -> dict:
    ckpt, qm, calib = quantize_checkpoint(path)
    windows = text_windows(eval_text, ckpt.config.seq_len + 1) if eval_text else sampled_windows(ckpt, 4, 256, seed=1)
    res = evaluate(ckpt, qm, windows)
    tmp = ROOT / "build" / "bench" / name
    bits = {}
    for lanes in LANES:
        man = compile_model(qm, lanes, tmp / f"L{lanes}", {"checkpoint": path.name, "sha256": "-", "calibration": calib})
        bits[lanes] = (man["rom_bits"], man["sram_bits"])
    sched = {lanes: Schedule(ckpt.config, lanes) for lanes in LANES}
    return {
        "name": name, "params": ckpt.config.n_params(), "cfg": ckpt.config, "calibration": calib,
        "eval": "held-out text " + eval_text.name if eval_text else "float-model samples (seed 1, 4 x 256)",
        "quality": res.as_dict(), "golden_tok_s": golden_speed(qm), "bits": bits,
        "cycles": {lanes: (sched[lanes].cycles(0), sched[lanes].cycles(63), sched[lanes].ideal_cycles(),
                           sched[lanes].utilization(0), sched[lanes].utilization(63)) for lanes in LANES},
    }


def rtl_run(sim: str, model: Path, lanes: int, n: int, prompt: list[int], testcase: str = "generate",
            extra_env: dict[str, str] | None = None) -> dict:
    """One top-level run (tb/top/test_generate.py); returns its result.json plus process wall time."""
    from tb.sim import model_build, run_top
    from tb.runner import check_results
    build = model_build(model, lanes)
    result = ROOT / "build" / "bench" / f"{sim}-{model.stem}-L{lanes}-{testcase}.json"
    result.unlink(missing_ok=True)
    t0 = time.perf_counter()
    check_results(run_top(sim=sim, build=build, prompt=prompt, n=n, inv_temp=0, top_k=0, seed=0, result=result,
                          testcase=testcase, name=f"bench-{model.stem}-L{lanes}", extra_env=extra_env))
    r = json.loads(result.read_text())
    r["process_wall_s"] = time.perf_counter() - t0
    return r


def rtl_lanes(model: Path, prompt: list[int], n: int) -> dict[int, dict]:
    """Cycles per token measured on the RTL (Verilator) at every LANES value."""
    return {lanes: rtl_run("verilator", model, lanes, n, prompt) for lanes in LANES}


def rtl_speed(sims: list[str], n: int) -> tuple[list[dict], dict | None]:
    """The same greedy run of the embedded model on each simulator, and on Verilator the
    simulator alone (free_run: no per-token Python) for the testbench overhead."""
    runs = [rtl_run(sim, EMBEDDED, 32, n, EMBED_PROMPT) for sim in sims]
    free = None
    if "verilator" in sims:
        gen = runs[sims.index("verilator")]
        sim_ns = gen["total_cycles"] * 10
        free = rtl_run("verilator", EMBEDDED, 32, n, EMBED_PROMPT, testcase="free_run",
                       extra_env={"ROMFORMER_FREE_RUN_NS": str(sim_ns)})
    return runs, free


def render(models: list[dict], lanes_runs: dict[str, dict[int, dict]], speed: list[dict], free: dict | None,
           args: argparse.Namespace) -> str:
    lines = ["# Results", "",
             f"Measured by `make bench` on one {platform.machine()} machine (2 cores, shared), "
             f"Python {platform.python_version()}, in one run. Regenerate with `make bench`. Wall-clock numbers "
             "move with the machine's load; cycle counts do not.", "",
             "## Quality: float vs integer (teacher-forced)", "",
             "| model | params | eval tokens | source | float loss | integer loss | gap | top-1 agreement |",
             "|---|---|---|---|---|---|---|---|"]
    for m in models:
        q = m["quality"]
        lines.append(f"| {m['name']} | {m['params']:,} | {q['tokens']:,} | {m['eval']} | {q['float_loss']:.4f} | "
                     f"{q['int_loss']:.4f} | {q['gap']:+.4f} | {100 * q['agreement']:.2f}% |")
    lines += ["", "Loss in nats per token (per character for the byte-level model). Calibration: "
              + "; ".join(f"{m['name']}: {m['calibration']}" for m in models) + ".", "",
              "## Golden model speed (one core, decode, best of 5 x 200 tokens)", "",
              "| model | tokens/s |", "|---|---|"]
    lines += [f"| {m['name']} | {m['golden_tok_s']:,.0f} |" for m in models]
    lines += ["", "## ROM and SRAM bits (compiler manifest)", "",
              "| model | LANES | ROM bits | SRAM bits |", "|---|---|---|---|"]
    for m in models:
        for lanes, (rom, sram) in m["bits"].items():
            lines.append(f"| {m['name']} | {lanes} | {rom:,} | {sram:,} |")
    lines += ["", "## Cycles per token and MAC-lane utilization", "",
              "Predicted by `sim_models/schedule.py` (ideal = weight MACs per token / LANES; utilization = ideal / "
              "cycles). The RTL column is the LAST_CYCLES register of the first generated token, measured on "
              "Verilator in this run, at the position given; every top-level test checks every token against "
              "the prediction.", "",
              "| model | LANES | ideal | cycles @ pos 0 | util @ 0 | cycles @ pos 63 | util @ 63 | RTL measured (pos) | RTL = predicted |",
              "|---|---|---|---|---|---|---|---|---|"]
    for m in models:
        runs = lanes_runs.get(m["name"], {})
        for lanes, (c0, c63, ideal, u0, u63) in m["cycles"].items():
            r = runs.get(lanes)
            rtl = f"{r['cycles_per_token'][0]:,} ({len(r['prompt_tokens']) - 1})" if r else "-"
            same = ("yes" if r["cycles_per_token"] == r["predicted_cycles_per_token"] else "NO") if r else "-"
            lines.append(f"| {m['name']} | {lanes} | {ideal:,.0f} | {c0:,} | {100 * u0:.1f}% | {c63:,} | "
                         f"{100 * u63:.1f}% | {rtl} | {same} |")
    if speed:
        lines += ["", f"## RTL simulation speed (embedded model, LANES 32, greedy, {args.n} tokens, same run on each simulator)", "",
                  "| simulator | match | simulated cycles | wall s (simulation) | simulated cycles/s | wall s (whole process, incl. build) |",
                  "|---|---|---|---|---|---|"]
        for r in speed:
            lines.append(f"| {r['simulator']} | {r['match']} | {r['total_cycles']:,} | {r['wall_seconds']:.2f} | "
                         f"{r['sim_cycles_per_second']:,.0f} | {r['process_wall_s']:.1f} |")
        if len(speed) == 2:
            ratio = speed[1]["sim_cycles_per_second"] / speed[0]["sim_cycles_per_second"]
            lines += ["", f"{speed[1]['simulator']} / {speed[0]['simulator']} simulated cycles per second: **{ratio:.0f}x**."]
        if free:
            gen = next(r for r in speed if r["simulator"].lower().startswith("verilator"))
            over = free["sim_cycles_per_second"] / gen["sim_cycles_per_second"] - 1
            lines += ["", f"Testbench cost (Verilator): the simulator alone (`free_run`, no per-token Python) ran "
                      f"{free['sim_cycles_per_second']:,.0f} cycles/s; with the full per-token testbench "
                      f"(`generate`: stream agents, register reads, golden checks) {gen['sim_cycles_per_second']:,.0f} "
                      f"cycles/s: the testbench adds **{100 * over:.1f}%**."]
    return "\n".join(lines) + "\n"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "results.md")
    p.add_argument("--rtl", nargs="*", default=["icarus", "verilator"],
                   help="simulators to time on the RTL (default: icarus verilator; none: Python only)")
    p.add_argument("--n", type=int, default=16, help="tokens per RTL speed run")
    p.add_argument("--no-lanes", action="store_true", help="skip the RTL runs at every LANES value")
    args = p.parse_args()
    models = [model_rows(EMBEDDED, "austen_byte (embedded)", ROOT / "models" / "heldout_austen.txt")]
    lanes_runs = {}
    if not args.no_lanes and args.rtl:
        lanes_runs[models[0]["name"]] = rtl_lanes(EMBEDDED, EMBED_PROMPT, 2)
    if EXTERNAL.exists():
        models.append(model_rows(EXTERNAL, "stories260K (external)", None))
        if not args.no_lanes and args.rtl:
            lanes_runs[models[1]["name"]] = rtl_lanes(EXTERNAL, [1], 2)
    speed, free = rtl_speed(args.rtl, args.n) if args.rtl else ([], None)
    text = render(models, lanes_runs, speed, free, args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
