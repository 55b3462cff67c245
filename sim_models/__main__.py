"""romformer model tools: python -m sim_models {compile,generate,eval,sensitivity,bench,adapter,adapter-eval,convert} --help"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from .checkpoint import CheckpointError, read_checkpoint, write_checkpoint
from .compiler import LANE_CHOICES, compile_checkpoint, quantize_checkpoint
from .corpus import decode_bytes, encode_bytes, is_byte_model, sampled_windows, text_windows
from .evaluate import evaluate_many, float_agreement
from .formats import FORMAT_NAMES, make_format
from .generate import float_generate, int_generate
from .golden import GoldenModel
from .hardware import RANK_CHOICES
from .lora import DEFAULT_RANK_MAX, compile_adapter, eval_losses
from .mx import ACT_NAMES, MX_BLOCKS, MX_DEFAULT_BLOCK, ActFormat, make_act_format
from .sampler import inv_temp_from_temperature
from .sensitivity import default_groups, matrix_sensitivity


def parse_tokens(text: str) -> list[int]:
    try:
        return [int(t) for t in text.replace(",", " ").split()]
    except ValueError as exc:
        raise SystemExit(f"--tokens: expected comma-separated integers, got {text!r}") from exc


def prompt_tokens(args: argparse.Namespace, byte_model: bool) -> list[int]:
    if args.tokens is not None:
        return parse_tokens(args.tokens)
    if args.prompt is not None:
        if not byte_model:
            raise SystemExit("--prompt needs a byte-level (vocab 256) model; use --tokens for this checkpoint")
        return encode_bytes(args.prompt).tolist()
    return [1] if not byte_model else encode_bytes("\n").tolist()


def act_format(args: argparse.Namespace) -> ActFormat:
    """--act / --act-block (an unknown name or block gets the error naming the option, exit status 2)."""
    return make_act_format(args.act, args.act_block)


def cmd_compile(args: argparse.Namespace) -> int:
    man = compile_checkpoint(args.checkpoint, args.lanes, args.out, args.format, args.group, act_format(args))
    f = man["cycles"]["formula"]
    act = man["act"]["name"] + (f" B{man['act']['block']}" if man["act"]["block"] else "")
    print(f"{args.out}: {man['config']['params']} params, format {man['format']['name']}, activations {act}, "
          f"lanes {man['lanes']}, "
          f"ROM {man['rom_bits']} bits (weights {man['weight_rom_bits']}), "
          f"SRAM {man['sram_bits']} bits, cycles/token {f['base']} + {f['per_position']} * (pos+1)"
          + (f" + {f['below']} * max(0, {f['overlap_pos']} - pos)" if f["below"] else "")
          + f" + {f['above']} * max(0, pos - {f['lead_pos']})")
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    ckpt = read_checkpoint(args.checkpoint)
    byte_model = is_byte_model(ckpt)
    prompt = prompt_tokens(args, byte_model)
    if args.float and (args.format != "int8" or args.group is not None):
        raise SystemExit("--format/--group choose the integer model's weights; --float runs the checkpoint's float weights")
    if args.float and (args.act != "static" or args.act_block is not None):
        raise SystemExit("--act/--act-block choose the integer model's activations; --float runs the float model")
    act = act_format(args)
    if args.float:
        out = float_generate(ckpt, prompt, args.n, args.temperature, args.top_k, args.seed)
    else:
        _, qm, _ = quantize_checkpoint(args.checkpoint, args.format, args.group, act)
        out = int_generate(qm, prompt, args.n, inv_temp_from_temperature(args.temperature), args.top_k, args.seed)
    if args.ids or not byte_model:
        print(" ".join(str(t) for t in out))
    else:
        print(decode_bytes(prompt) + decode_bytes(out))
    return 0


def eval_windows(args: argparse.Namespace, ckpt) -> tuple[list[np.ndarray], str]:
    """--text's windows (up to --max-tokens), else float-model samples (--seed); either option
    without its source is refused rather than ignored."""
    if args.text:
        if not is_byte_model(ckpt):
            raise SystemExit(f"--text needs a byte-level model; {args.checkpoint} has vocab {ckpt.config.vocab_size}")
        if args.seed is not None:
            raise SystemExit("--seed picks the float-model sample windows; it has no effect with --text")
        return text_windows(args.text, ckpt.config.seq_len + 1, args.max_tokens), str(args.text)
    if args.max_tokens is not None:
        raise SystemExit("--max-tokens limits --text; without --text the windows are 4 x 256 float-model samples")
    seed = 1 + (args.seed or 0)
    return sampled_windows(ckpt, count=4, length=256, seed=seed), f"float-model samples (seed {seed})"


def cmd_eval(args: argparse.Namespace) -> int:
    ckpt, qm, calib = quantize_checkpoint(args.checkpoint, args.format, args.group, act_format(args))
    windows, source = eval_windows(args, ckpt)
    ref = read_checkpoint(args.reference) if args.reference else None
    if ref is not None and (ref.config.vocab_size, ref.config.seq_len) != (ckpt.config.vocab_size, ckpt.config.seq_len):
        raise SystemExit(f"--reference {args.reference}: vocab_size/seq_len {ref.config.vocab_size}/{ref.config.seq_len} "
                         f"differ from {args.checkpoint}'s {ckpt.config.vocab_size}/{ckpt.config.seq_len}")
    res, *vs = evaluate_many(qm, windows, [ckpt] + ([ref] if ref is not None else []))
    report = {"checkpoint": str(args.checkpoint), "format": qm.fmt.describe(), "act": qm.act.describe(),
              "eval": source, "calibration": calib,
              **res.as_dict()}
    if ref is not None:
        report["reference"] = {"checkpoint": str(args.reference), **vs[0].as_dict(),
                               "float_agreement": round(float_agreement(ckpt, ref, windows), 4)}
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"{args.checkpoint} ({qm.fmt.name}, {qm.act.label} activations) on {source}: {res.tokens} tokens")
    print(f"  float loss {res.float_loss:.4f} nats/token, integer loss {res.int_loss:.4f} "
          f"(gap {res.gap:+.4f}), top-1 agreement {100 * res.agreement:.2f}%")
    if ref is not None:
        r = report["reference"]
        print(f"  against {args.reference}'s float: its float loss {r['float_loss']:.4f}, gap {r['gap']:+.4f}, "
              f"integer top-1 agreement {100 * r['agreement']:.2f}% (the two float models agree on "
              f"{100 * r['float_agreement']:.2f}%)")
    return 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    fmt = make_format(args.format, args.group)
    ckpt = read_checkpoint(args.checkpoint)
    windows, source = eval_windows(args, ckpt)
    groups = [tuple(args.only.split(","))] if args.only else default_groups(ckpt)
    rows = matrix_sensitivity(ckpt, windows, fmt, groups)
    if args.json:
        print(json.dumps({"checkpoint": str(args.checkpoint), "format": fmt.describe(), "eval": source,
                          "rows": [r.as_dict() for r in rows]}))
        return 0
    print(f"{args.checkpoint}: {fmt.name} weights (scale search, no calibration) in the float model, "
          f"one kind of matrix at a time, on {source}")
    for r in rows:
        print(f"  {'+'.join(r.matrices):44s} loss {r.loss:.4f} (gap {r.gap:+.4f})  top-1 agreement {100 * r.agreement:.2f}%")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    _, qm, _ = quantize_checkpoint(args.checkpoint, args.format, args.group, act_format(args))
    gm = GoldenModel(qm)
    n = min(args.n, qm.cfg.seq_len - 1)
    best = 0.0
    for _ in range(args.repeat):
        gm.reset()
        tok = 1
        start = time.perf_counter()
        for _ in range(n):
            tok = int(np.argmax(gm.forward([tok])[-1]))
        best = max(best, n / (time.perf_counter() - start))
    print(json.dumps({"checkpoint": str(args.checkpoint), "params": qm.cfg.n_params(), "tokens": n,
                      "golden_tokens_per_s": round(best, 1)}))
    return 0


def cmd_adapter(args: argparse.Namespace) -> int:
    man = compile_adapter(args.base, args.adapter, args.out, args.lanes, args.rank_max, args.targets, args.calib,
                          args.format, args.group)
    print(f"{args.out}: rank {man['rank']} (build max {man['rank_max']}) on {', '.join(man['targets'])}, "
          f"{man['words']} words, SRAM {man['sram_bits']['total']} bits, checksum {man['checksum']}, "
          f"cycles/token at pos 0 {man['cycles']['base_pos0']} -> {man['cycles']['with_adapter_pos0']}")
    return 0


def cmd_adapter_eval(args: argparse.Namespace) -> int:
    print(json.dumps(eval_losses(args.base, args.adapter, args.text, args.full, args.lanes, args.rank_max,
                                 args.max_tokens), indent=1))
    return 0


CONVERT_TO = {"v0": "llama2c-v0", "v1": "llama2c-v1", "v2": "llama2c-v2", "hf": "hf-llama"}


def cmd_convert(args: argparse.Namespace) -> int:
    ckpt = read_checkpoint(args.src)
    write_checkpoint(ckpt, args.dst, CONVERT_TO[args.to])
    print(f"{args.dst}: {CONVERT_TO[args.to]} from {args.src} ({ckpt.source_format}), {ckpt.config.n_params():,} params")
    return 0


def add_format(parser: argparse.ArgumentParser) -> None:
    # Not argparse choices: an unknown format gets the compiler's error (named, exit status 2).
    parser.add_argument("--format", default="int8", metavar="F",
                        help=f"weight format: {', '.join(FORMAT_NAMES)} (default int8; docs/arithmetic.md 3a)")
    parser.add_argument("--group", type=int, default=None,
                        help="int4 group size (inputs per scale; power of two 4..256, default 32)")


def add_act(parser: argparse.ArgumentParser) -> None:
    # Not argparse choices: a bad value gets sim_models.mx's error naming the option (exit status 2).
    parser.add_argument("--act", default="static", metavar="A",
                        help=f"activation format of the matmul inputs: {', '.join(ACT_NAMES)} (default static; "
                             "docs/arithmetic.md 3b)")
    parser.add_argument("--act-block", type=int, default=None, metavar="B",
                        help=f"--act mx block size: {' or '.join(map(str, MX_BLOCKS))} (default {MX_DEFAULT_BLOCK})")


def add_rank_max(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rank-max", type=int, default=DEFAULT_RANK_MAX,
                        help=f"the build's maximum adapter rank {RANK_CHOICES} (default {DEFAULT_RANK_MAX})")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m sim_models", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser("compile", help="checkpoint -> ROM images, params.vh, manifest.json")
    c.add_argument("checkpoint", type=Path)
    c.add_argument("--lanes", type=int, default=32, choices=LANE_CHOICES)
    c.add_argument("--out", type=Path, required=True)
    add_format(c)
    add_act(c)
    c.set_defaults(func=cmd_compile)

    g = sub.add_parser("generate", help="generate text (byte models) or token ids")
    g.add_argument("checkpoint", type=Path)
    g.add_argument("--float", action="store_true",
                   help="the float reference model (default: the integer golden model, the chip's arithmetic)")
    src = g.add_mutually_exclusive_group()
    src.add_argument("--prompt", help="prompt text (byte-level models)")
    src.add_argument("--tokens", help="prompt token ids, comma separated")
    g.add_argument("--n", type=int, default=64, help="tokens to generate")
    g.add_argument("--temperature", type=float, default=0.0, help="0 = greedy")
    g.add_argument("--top-k", type=int, default=0, help="0 = the hardware maximum (64)")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--ids", action="store_true", help="print token ids instead of text")
    add_format(g)
    add_act(g)
    g.set_defaults(func=cmd_generate)

    e = sub.add_parser("eval", help="float vs integer loss and top-1 agreement, teacher-forced")
    e.add_argument("checkpoint", type=Path)
    e.add_argument("--text", type=Path, help="held-out text (byte models); default: float-model samples")
    e.add_argument("--max-tokens", type=int, default=None, help="with --text: evaluate at most this many tokens")
    e.add_argument("--seed", type=int, default=None, help="without --text: the float-model samples' seed (default 0)")
    e.add_argument("--json", action="store_true")
    e.add_argument("--reference", type=Path, metavar="REF.bin",
                   help="also judge the integer model against REF's float model (e.g. the float baseline a "
                        "quantization-aware trained model came from), and report the two float models' agreement")
    add_format(e)
    add_act(e)
    e.set_defaults(func=cmd_eval)

    s = sub.add_parser("sensitivity", help="which matrices a format hurts: the float model with one kind of "
                                           "matrix quantized at a time (loss gap, top-1 agreement)")
    s.add_argument("checkpoint", type=Path)
    s.add_argument("--text", type=Path, help="held-out text (byte models); default: float-model samples")
    s.add_argument("--max-tokens", type=int, default=None, help="with --text: evaluate at most this many tokens")
    s.add_argument("--seed", type=int, default=None, help="without --text: the float-model samples' seed (default 0)")
    s.add_argument("--only", metavar="M[,M...]", help="one group of matrix kinds instead of the default rows "
                                                      "(tok_emb, wq, wk, wv, wo, w1, w3, w2, wcls)")
    s.add_argument("--json", action="store_true")
    add_format(s)
    s.set_defaults(func=cmd_sensitivity)

    b = sub.add_parser("bench", help="golden-model decode speed (tokens/s, best of --repeat)")
    b.add_argument("checkpoint", type=Path)
    b.add_argument("--n", type=int, default=200)
    b.add_argument("--repeat", type=int, default=3)
    add_format(b)
    add_act(b)
    b.set_defaults(func=cmd_bench)

    a = sub.add_parser("adapter", help="PEFT LoRA adapter -> integer SRAM image (adapter.hex) + manifest.json")
    a.add_argument("base", type=Path, help="the base checkpoint")
    a.add_argument("adapter", type=Path, help="PEFT adapter directory (adapter_config.json, adapter_model.safetensors)")
    a.add_argument("--out", type=Path, required=True)
    a.add_argument("--lanes", type=int, default=32)
    add_rank_max(a)
    a.add_argument("--targets", default=None, help="the build's adapter targets (default: the adapter's own)")
    a.add_argument("--calib", type=Path, default=None, help="calibration text (default: ADAPTER_DIR/calib*.txt)")
    add_format(a)   # the base build's weight format (the adapter's own A and B are int8)
    a.set_defaults(func=cmd_adapter)

    ae = sub.add_parser("adapter-eval", help="an adapter's held-out loss: base / adapter float / adapter integer "
                                             "/ full fine-tune")
    ae.add_argument("base", type=Path)
    ae.add_argument("adapter", type=Path)
    ae.add_argument("--text", type=Path, required=True)
    ae.add_argument("--full", type=Path, default=None, help="fully fine-tuned checkpoint (the ceiling)")
    ae.add_argument("--lanes", type=int, default=32)
    add_rank_max(ae)
    ae.add_argument("--max-tokens", type=int, default=None)
    ae.set_defaults(func=cmd_adapter_eval)

    cv = sub.add_parser("convert", help="a checkpoint in another format (docs/checkpoints.md): llama2.c v0, v1, "
                                        "v2 (Q8_0: rounds the weights) or a Hugging Face Llama directory")
    cv.add_argument("src", type=Path, help="any checkpoint the reader takes")
    cv.add_argument("dst", type=Path, help="the file to write (a directory for --to hf)")
    cv.add_argument("--to", required=True, choices=sorted(CONVERT_TO))
    cv.set_defaults(func=cmd_convert)
    return p


DEBUG_HELP = "on an error, show the full traceback instead of a one-line message"


def add_debug_flag(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """--debug before or after the subcommand (every subcommand, whoever added it)."""
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = add_debug_flag(build_parser()).parse_args(argv)
    try:
        return args.func(args)
    except (CheckpointError, ValueError, OSError) as exc:
        if args.debug:
            raise
        print(f"error: {exc} (--debug shows the traceback)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
