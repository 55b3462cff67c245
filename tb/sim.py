"""`make sim`: compile a model, build the RTL, generate on it, check every token.

    python -m tb.sim [--sim icarus|verilator] [--model PATH] [--prompt TEXT | --tokens IDS]
                     [--n N] [--temp T] [--top-k K] [--seed S] [--lanes L] [--act static|mx [--act-block B]]
                     [--waves] [--verbose]

Prints the generated text live, then a summary, and writes build/sim/result.json.
The simulator build goes to its build.log and cocotb logs only warnings and errors;
--verbose (make sim VERBOSE=1) shows both. Exit status 1 on any mismatch with the golden
model (tokens or cycles) or a failed build.
"""
from __future__ import annotations

import argparse
import fcntl
import importlib.util
import json
import os
import pkgutil
import sys
from pathlib import Path

from sim_models.checkpoint import checkpoint_mtime, read_checkpoint
from sim_models.compiler import MANIFEST_VERSION, compile_checkpoint
from sim_models.corpus import encode_bytes
from sim_models.lora import compile_adapter
from sim_models.mx import MX_BLOCKS, MX_DEFAULT_BLOCK, STATIC, ActFormat, ActFormatError, make_act_format
from sim_models.sampler import inv_temp_from_temperature
from tb.runner import BUILD, HDL, ROOT, SIMULATORS, BuildError, check_results, run

# every module of hdl/ but the adapter unit (run_top adds it when the chip has adapter hardware)
TOP_SOURCES = sorted(p.stem for p in HDL.glob("rf_*.v") if p.stem != "rf_lora") + ["romformer_top"]
DEFAULT_MODEL = ROOT / "models" / "austen_byte.bin"
# What the testbenches reach through VPI on Verilator: the wrapper's ports, and the core's
# output register and sequencer state (fault injection, debugging). Everything else stays
# private so Verilator can optimize it.
TOP_PUBLIC = [("tb_romformer", "*"), ("rf_core", "out_valid"), ("rf_core", "out_data"), ("rf_core", "state"),
              ("rf_core", "pos"), ("rf_core", "layer")]


# Third-party packages whose DeprecationWarnings (their use of APIs cocotb 2 deprecates) are
# not ours to fix: ignored in the simulator process, by category and module.
QUIET_DEPRECATIONS = ("cocotbext.axi",)
# cocotb's log below WARNING (test start, the summary table, GPI start-up) when not verbose.
QUIET_LOG_ENV = {"COCOTB_LOG_LEVEL": "WARNING", "GPI_LOG_LEVEL": "WARNING"}


def simulator_warning_filters(packages: tuple[str, ...] = QUIET_DEPRECATIONS) -> str:
    """PYTHONWARNINGS for the simulator process: every warning shown once per location (what
    cocotb sets when PYTHONWARNINGS is empty), except DeprecationWarnings raised from the
    modules of `packages`. A PYTHONWARNINGS module field is an exact name, so each module of
    each package is listed (found without importing it)."""
    entries = ["default"]
    for package in packages:
        spec = importlib.util.find_spec(package)
        if spec is None or spec.submodule_search_locations is None:
            continue
        modules = [package] + [f"{package}.{m.name}" for m in pkgutil.iter_modules(spec.submodule_search_locations)]
        entries += [f"ignore::DeprecationWarning:{m}" for m in modules]
    return ",".join(entries)


def act_tag(act: ActFormat) -> str:
    """The activation format's part of a build or run name: "" for static, else "<name>[-b<block>]" (mx-b32)."""
    return "" if act == STATIC else act.name + (f"-b{act.block}" if act.block else "")


def model_build(model: Path, lanes: int, fmt: str = "int8", group: int | None = None, act: ActFormat = STATIC) -> Path:
    """Compile (once per model, lane count, weight and activation format) into build/models/<name>-L<lanes>/
    (int8, --act static) or build/models/<name>[-<format>[-g<group>]][-mx-b<block>]-L<lanes>/.

    A file lock makes parallel test workers wait for one compile instead of racing."""
    tag = ("" if fmt == "int8" else f"-{fmt}" + (f"-g{group}" if group else "")) \
        + ("" if act == STATIC else "-" + act_tag(act))
    out = BUILD / "models" / f"{model.stem}{tag}-L{lanes}"
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.parent / f".{out.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        manifest = out / "manifest.json"
        if not manifest.exists() or manifest.stat().st_mtime < checkpoint_mtime(model) \
                or json.loads(manifest.read_text()).get("version") != MANIFEST_VERSION:
            compile_checkpoint(model, lanes, out, fmt, group, act)
    return out


def run_top(*, sim: str, build: Path, prompt: list[int], n: int, inv_temp: int, top_k: int, seed: int,
            result: Path, live: bool = False, waves: bool = False, test_module: str = "tb.top.test_generate",
            testcase: str = "generate", name: str | None = None, extra_env: dict[str, str] | None = None,
            lora: tuple[int, int] | None = None, run_name: str | None = None, verbose: bool = False,
            netlist: Path | None = None) -> Path:
    """lora: (LORA_RANK, LORA_TARGETS mask) of the adapter hardware to build into the chip (None: none).
    name: the simulator build; run_name: this run, when several runs share a build (tb.runner.run).
    netlist: a synthesized netlist of romformer_top to simulate instead of hdl/ (scripts/gls.py; the
    testbench then sees only the wrapper's ports).
    Third-party DeprecationWarnings are filtered (simulator_warning_filters) unless the caller's
    environment sets PYTHONWARNINGS itself."""
    env = {"ROMFORMER_BUILD": str(build), "ROMFORMER_PROMPT": ",".join(map(str, prompt)), "ROMFORMER_N": str(n),
           "ROMFORMER_INV_TEMP": str(inv_temp), "ROMFORMER_TOP_K": str(top_k), "ROMFORMER_SEED": str(seed),
           "ROMFORMER_RESULT": str(result), "ROMFORMER_LIVE": "1" if live else "0", **(extra_env or {})}
    if "PYTHONWARNINGS" not in os.environ:
        env.setdefault("PYTHONWARNINGS", simulator_warning_filters())
    result.parent.mkdir(parents=True, exist_ok=True)
    defines: dict[str, object] = {"ROM_DIR": f'"{build}"'}
    if waves:
        wave = BUILD / "waves" / sim / f"{run_name or name or 'top'}.fst"
        wave.parent.mkdir(parents=True, exist_ok=True)
        defines["ROMFORMER_WAVES"] = f'"{wave}"'
    sources = TOP_SOURCES + (["rf_lora"] if lora else []) + [ROOT / "tb" / "top" / "tb_romformer.v"]
    public = TOP_PUBLIC
    if netlist is not None:
        if lora:
            raise ValueError(f"{netlist}: a netlist has no LORA_RANK / LORA_TARGETS parameters to set")
        sources, public = [netlist, ROOT / "tb" / "top" / "tb_romformer.v"], [("tb_romformer", "*")]
        defines["ROMFORMER_NETLIST"] = 1
    return run(sim=sim, toplevel="tb_romformer", sources=sources, test_module=test_module, includes=[build, HDL],
               defines=defines, parameters={"LORA_RANK": lora[0], "LORA_TARGETS": lora[1]} if lora else None,
               name=name or f"top-{build.name}", waves=False, testcase=testcase, extra_env=env,
               verilator_public=public, run_name=run_name, verbose=verbose, codecov=netlist is None)


def run_adapter_top(*, sim: str, build: Path, adapter: Path, prompt: list[int], n: int, name: str,
                    extra_env: dict[str, str] | None = None, verbose: bool = False, waves: bool = False) -> Path:
    """tb_romformer with adapter hardware sized by the adapter build's manifest: the bench
    (tb/unit/test_rf_lora_top.py, on the shared top-level harness) loads the image over AXI4-Lite, checks
    ADAPTER_SUM and readback, then generates with the adapter off and on, every token and cycle count
    against the golden model."""
    man = json.loads((adapter / "manifest.json").read_text())
    return run_top(sim=sim, build=build, prompt=prompt, n=n, inv_temp=0, top_k=0, seed=0,
                   result=BUILD / "results" / sim / f"{name}.json", test_module="tb.unit.test_rf_lora_top",
                   testcase="lora_top", name=name, extra_env={"LORA_ADAPTER": str(adapter), **(extra_env or {})},
                   lora=(man["rank_max"], man["targets_mask"]), verbose=verbose, waves=waves)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tb.sim", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sim", default="verilator", choices=SIMULATORS)
    p.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    src = p.add_mutually_exclusive_group()
    src.add_argument("--prompt", help="prompt text (byte-level models)")
    src.add_argument("--tokens", help="prompt token ids, comma separated")
    p.add_argument("--n", type=int, default=64)
    p.add_argument("--temp", type=float, default=0.0, help="temperature; 0 = greedy")
    p.add_argument("--top-k", type=int, default=0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lanes", type=int, default=32)
    p.add_argument("--format", default="int8", help="weight format (docs/arithmetic.md 3a)")
    p.add_argument("--group", type=int, default=None, help="int4 group size")
    p.add_argument("--act", default="static", help="activation format of the matmul inputs: static or mx "
                                                  "(docs/arithmetic.md 3b)")
    p.add_argument("--act-block", type=int, default=None,
                   help=f"--act mx block size: {' or '.join(map(str, MX_BLOCKS))} (default {MX_DEFAULT_BLOCK})")
    p.add_argument("--waves", action="store_true")
    p.add_argument("--verbose", action="store_true", help="show the simulator build and cocotb's full log")
    p.add_argument("--adapter", type=Path, help="a PEFT LoRA adapter directory: load it over the bus and "
                                                "generate with it off and on (models/adapters/README.md)")
    args = p.parse_args(argv)
    if args.adapter and (args.temp or args.top_k or args.seed):
        p.error("--adapter generates greedily (the adapter off, then on): --temp, --top-k and --seed do not apply")
    try:
        act = make_act_format(args.act, args.act_block)
    except ActFormatError as exc:
        p.error(str(exc))
    if args.adapter and act != STATIC:
        p.error(f"--adapter: the LoRA path computes --act static activations only, not --act {act.label}")

    cfg = read_checkpoint(args.model).config
    if args.tokens:
        prompt = [int(t) for t in args.tokens.replace(",", " ").split()]
    elif args.prompt:
        if cfg.vocab_size != 256:
            p.error(f"--prompt needs a byte-level model; {args.model} has vocab {cfg.vocab_size}: use --tokens")
        prompt = encode_bytes(args.prompt).tolist()
    else:
        prompt = encode_bytes("It is a truth universally acknowledged").tolist() if cfg.vocab_size == 256 else [1]
    build = model_build(args.model, args.lanes, args.format, args.group, act)
    log_env = {} if args.verbose else QUIET_LOG_ENV
    if args.adapter:
        adapter = BUILD / "adapters" / f"{args.adapter.name}-{build.name}"
        compile_adapter(args.model, args.adapter, adapter, lanes=args.lanes, fmt=args.format, group=args.group)
        print(f"make sim: {args.model.name} ({args.format}) + adapter {args.adapter} on {args.sim}, LANES {args.lanes}, "
              f"{len(prompt)} prompt tokens, N {args.n}, greedy, adapter off then on")
        try:
            check_results(run_adapter_top(sim=args.sim, build=build, adapter=adapter, prompt=prompt, n=args.n,
                                          name=f"sim-adapter-{args.adapter.name}", extra_env=log_env,
                                          verbose=args.verbose, waves=args.waves))
        except (AssertionError, BuildError) as exc:
            print(f"make sim: {exc}", file=sys.stderr)
            return 1
        print("make sim: every token and cycle count matched the golden model, with the adapter off and on")
        return 0
    result = BUILD / "sim" / "result.json"
    inv_temp = inv_temp_from_temperature(args.temp)
    print(f"make sim: {args.model.name} ({args.format}, {act.label} activations) on {args.sim}, LANES {args.lanes}, "
          f"{len(prompt)} prompt tokens, N {args.n}, {'greedy' if not inv_temp else f'T {args.temp} top-k {args.top_k} seed {args.seed}'}")
    result.unlink(missing_ok=True)      # never report an older run's result
    try:
        run_top(sim=args.sim, build=build, prompt=prompt, n=args.n, inv_temp=inv_temp, top_k=args.top_k,
                seed=args.seed, result=result, live=True, waves=args.waves, extra_env=log_env, verbose=args.verbose)
    except BuildError as exc:
        print(f"make sim: {exc}", file=sys.stderr)
        return 1
    if not result.exists():
        print("make sim: the simulation did not produce a result", file=sys.stderr)
        return 1
    r = json.loads(result.read_text())
    n_tok = len(r["generated_tokens"])
    decode = r["cycles_per_token"][1:] or r["cycles_per_token"]
    mean = sum(decode) / len(decode)
    print(f"\ntokens {n_tok}, match {r['match']} ({sum(a == b for a, b in zip(r['generated_tokens'], r['golden_tokens']))}"
          f"/{len(r['golden_tokens'])}), cycles/token {mean:.0f} (predicted match: {r['cycles_match']}), "
          f"MAC-lane utilization {100 * r['ideal_cycles_per_token'] / mean:.1f}%, "
          f"{1e9 / mean:,.0f} tokens/s at 1 GHz, {r['sim_cycles_per_second']:,.0f} simulated cycles/s")
    print(f"result: {result}")
    return 0 if r["match"] and r["cycles_match"] else 1


if __name__ == "__main__":
    sys.exit(main())
