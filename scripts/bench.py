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
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim_models.checkpoint import read_checkpoint  # noqa: E402
from sim_models.compiler import compile_model, quantize_checkpoint  # noqa: E402
from sim_models.corpus import sampled_windows, text_windows  # noqa: E402
from sim_models.evaluate import evaluate  # noqa: E402
from sim_models.golden import GoldenModel  # noqa: E402
from sim_models.schedule import Schedule  # noqa: E402

EMBEDDED = ROOT / "models" / "austen_byte.bin"
EXTERNAL = ROOT.parent / "shared" / "models" / "stories260K.bin"
LANES = (8, 16, 32, 64)


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


def rtl_speed(sims: list[str], n: int) -> list[dict]:
    """Run `make sim` equivalents (greedy, embedded model) per simulator; read result.json."""
    out = []
    for sim in sims:
        res = ROOT / "build" / "sim" / "result.json"
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "tb.sim", "--sim", sim, "--n", str(n)], cwd=ROOT,
                              capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"bench: tb.sim on {sim} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        r = json.loads(res.read_text())
        r["process_wall_s"] = wall
        out.append(r)
    return out


def render(models: list[dict], rtl: list[dict]) -> str:
    lines = ["# Results", "",
             f"Measured by `make bench` ({' '.join(sys.argv[1:]) or 'defaults'}) on {platform.machine()}, "
             f"Python {platform.python_version()}. Regenerate with `make bench`; every number below comes "
             "from that one run.", "",
             "## Quality: float vs integer (teacher-forced)", "",
             "| model | params | eval tokens | source | float loss | integer loss | gap | top-1 agreement |",
             "|---|---|---|---|---|---|---|---|"]
    for m in models:
        q = m["quality"]
        lines.append(f"| {m['name']} | {m['params']:,} | {q['tokens']:,} | {m['eval']} | {q['float_loss']:.4f} | "
                     f"{q['int_loss']:.4f} | {q['gap']:+.4f} | {100 * q['agreement']:.2f}% |")
    lines += ["", "Loss in nats per token (per character for the byte-level model).", "",
              "## Golden model speed (one core, decode, best of 5 x 200 tokens)", "",
              "| model | tokens/s |", "|---|---|"]
    lines += [f"| {m['name']} | {m['golden_tok_s']:,.0f} |" for m in models]
    lines += ["", "## ROM and SRAM bits (compiler manifest)", "",
              "| model | LANES | ROM bits | SRAM bits |", "|---|---|---|---|"]
    for m in models:
        for lanes, (rom, sram) in m["bits"].items():
            lines.append(f"| {m['name']} | {lanes} | {rom:,} | {sram:,} |")
    lines += ["", "## Cycles per token (static schedule; the RTL is checked against it token by token)", "",
              "| model | LANES | cycles @ pos 0 | cycles @ pos 63 | ideal (MACs/LANES) | utilization @ 0 | utilization @ 63 |",
              "|---|---|---|---|---|---|---|"]
    for m in models:
        for lanes, (c0, c63, ideal, u0, u63) in m["cycles"].items():
            lines.append(f"| {m['name']} | {lanes} | {c0:,} | {c63:,} | {ideal:,.0f} | {100 * u0:.1f}% | {100 * u63:.1f}% |")
    if rtl:
        lines += ["", "## RTL simulation speed (embedded model, greedy, same run on each simulator)", "",
                  "| simulator | tokens | match | cycles/token | simulated cycles/s | wall s (whole process) |",
                  "|---|---|---|---|---|---|"]
        for r in rtl:
            c = r["cycles_per_token"]
            lines.append(f"| {r['simulator']} | {len(r['generated_tokens'])} | {r['match']} | "
                         f"{sum(c[1:]) / max(1, len(c) - 1):,.0f} | {r['sim_cycles_per_second']:,.0f} | {r['process_wall_s']:.1f} |")
        if len(rtl) == 2:
            ratio = rtl[1]["sim_cycles_per_second"] / rtl[0]["sim_cycles_per_second"]
            lines += ["", f"{rtl[1]['simulator']} / {rtl[0]['simulator']} simulated-cycles/s ratio: **{ratio:.1f}x**."]
    return "\n".join(lines) + "\n"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "results.md")
    p.add_argument("--rtl", nargs="*", default=[], help="simulators to time on the RTL (icarus verilator)")
    p.add_argument("--n", type=int, default=16, help="tokens per RTL run")
    args = p.parse_args()
    models = [model_rows(EMBEDDED, "austen_byte (embedded)", ROOT / "models" / "heldout_austen.txt")]
    if EXTERNAL.exists():
        models.append(model_rows(EXTERNAL, "stories260K (external)", None))
    rtl = rtl_speed(args.rtl, args.n) if args.rtl else []
    text = render(models, rtl)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
