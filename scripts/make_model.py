"""Write a synthetic checkpoint of a published shape (sim_models/synthetic.py) for the RTL and the benches.

    python scripts/make_model.py --shape stories15M build/stories15M_shape.bin
    make sim MODEL=build/stories15M_shape.bin LANES=64 N=4

Same shape and seed, same bytes. The weights are random with a trained model's activation
statistics; they are not a trained model (the output is not text).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim_models.checkpoint import FORMATS, write_checkpoint  # noqa: E402
from sim_models.synthetic import SHAPES, synthetic_checkpoint  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python scripts/make_model.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", type=Path, help="the checkpoint to write (a directory for hf-llama)")
    p.add_argument("--shape", required=True, choices=sorted(SHAPES))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--to", default="llama2c-v0", choices=FORMATS, help="checkpoint format (default llama2c-v0)")
    args = p.parse_args(argv)
    ckpt = synthetic_checkpoint(SHAPES[args.shape], args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_checkpoint(ckpt, args.out, args.to)
    c = ckpt.config
    print(f"{args.out}: synthetic {args.shape} shape (seed {args.seed}, {args.to}): dim {c.dim}, {c.n_layers} layers, "
          f"{c.n_heads} heads (head size {c.head_size}), hidden {c.hidden_dim}, vocab {c.vocab_size}, "
          f"seq_len {c.seq_len}, {c.n_params():,} params")
    return 0


if __name__ == "__main__":
    sys.exit(main())
