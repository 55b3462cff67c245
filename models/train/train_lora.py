"""Train a LoRA adapter (or a full fine-tune, the ceiling) of the embedded Austen model on the KJV Bible.

Corpus: the King James Bible from Debian's ``bible-kjv-text`` package (``/usr/lib/bible.data``,
compressed), decoded with the ``bible`` program of the ``bible-kjv`` package (installed with it):
``bible -l 100000 Gen1:1-Rev22:21``. Cleaning: the leading number of each line is removed (verse numbers;
one verse per line); a line without one (a chapter heading, "Genesis 1") starts a new unit; each unit
ends with a blank line; the text is already ASCII. Headings of numbered books ("1 Samuel 3") also
start with a number, so they read as a verse line of the preceding unit: 960 units for 1,189
chapters (kept as is: the shipped adapter was trained on this split).

Split: the units are numbered in canonical order; every 20th unit (index % 20 == 19) is held
out and never trained on; the rest is the training split. ``heldout_kjv.txt`` (about 12K chars,
from the start of the held-out split, at chapter boundaries) is the evaluation text;
``calib_kjv.txt`` (about 6K chars from the middle of the training split) calibrates the integer
adapter's activation scale.

LoRA (Hugging Face PEFT semantics): for each target matrix W (out x in), y = W x + (alpha/r) B A x
with A (r x in) initialised as PEFT does (kaiming-uniform, a = sqrt(5)) and B (out x r) zero;
the base model is frozen. Written as a PEFT adapter directory: ``adapter_config.json`` and
``adapter_model.safetensors`` with names
``base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight`` etc.

``--full`` instead trains every parameter (the fully fine-tuned ceiling) and writes a llama2.c
checkpoint.

Examples (the commands used for models/adapters/kjv_qv_r8 and the ceiling)::

    /tmp/torchvenv/bin/python models/train/train_lora.py --out models/adapters/kjv_qv_r8
    /tmp/torchvenv/bin/python models/train/train_lora.py --full --out build/kjv_full.bin
"""
from __future__ import annotations

import argparse
import json
import math
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_byte_llama import Llama, _get, eval_loss, generate  # noqa: E402

from sim_models.checkpoint import read_checkpoint, write_checkpoint  # noqa: E402

BIBLE_CMD = ["bible", "-l", "100000", "Gen1:1-Rev22:21"]
BIBLE_PACKAGE = "bible-kjv-text"
BIBLE_FILE = "/usr/lib/bible.data"
HELD_EVERY = 20
# PEFT module names of the Llama matrices and the core's names (sim_models/lora/peft.py has the same map).
PEFT_NAMES = {"q_proj": ("self_attn", "wq"), "k_proj": ("self_attn", "wk"), "v_proj": ("self_attn", "wv"),
              "o_proj": ("self_attn", "wo"), "gate_proj": ("mlp", "w1"), "up_proj": ("mlp", "w3"),
              "down_proj": ("mlp", "w2")}


def package_version(pkg: str) -> str:
    out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


def read_kjv() -> list[str]:
    """The KJV as a list of chapters, each 'Book N\\n' + one verse per line."""
    raw = subprocess.run(BIBLE_CMD, capture_output=True, text=True, check=True).stdout
    chapters: list[list[str]] = []
    for line in raw.split("\n"):
        s = line.strip()
        if not s:
            continue
        m = re.match(r"^(\d+)\s+(.*)$", s)
        if m:
            chapters[-1].append(m.group(2))
        else:
            chapters.append([s])
    text = ["\n".join(c) + "\n\n" for c in chapters]
    assert all(ord(ch) < 128 for t in text for ch in t)
    return text


def split_corpus(chapters: list[str]) -> tuple[str, str]:
    train = "".join(c for i, c in enumerate(chapters) if i % HELD_EVERY != HELD_EVERY - 1)
    held = "".join(c for i, c in enumerate(chapters) if i % HELD_EVERY == HELD_EVERY - 1)
    return train, held


def chapter_slice(text: str, start: int, size: int) -> str:
    s = text.find("\n\n", start)
    s = 0 if start == 0 else (start if s < 0 else s + 2)
    e = text.rfind("\n\n", s, s + size)
    e = s + size if e <= s else e + 2
    return text[s:e]


class LoRALinear(nn.Module):
    def __init__(self, base: nn.Module, r: int, alpha: float) -> None:
        super().__init__()
        self.base = base
        self.r, self.scale = r, alpha / r
        out_f, in_f = base.weight.shape
        self.lora_A = nn.Parameter(torch.empty(r, in_f))
        self.lora_B = nn.Parameter(torch.zeros(out_f, r))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + self.scale * F.linear(F.linear(x, self.lora_A), self.lora_B)


def load_base(path: Path) -> Llama:
    init = read_checkpoint(path)
    model = Llama(init.config)
    with torch.no_grad():
        model.tok_embeddings.weight.copy_(torch.from_numpy(init.weights["tok_emb"]))
        model.norm.weight.copy_(torch.from_numpy(init.weights["rms_final"]))
        for l, layer in enumerate(model.layers):
            for attr, key in (("attention_norm.weight", "rms_att"), ("ffn_norm.weight", "rms_ffn"),
                              ("wq.weight", "wq"), ("wk.weight", "wk"), ("wv.weight", "wv"),
                              ("wo.weight", "wo"), ("w1.weight", "w1"), ("w2.weight", "w2"),
                              ("w3.weight", "w3")):
                _get(layer, attr).copy_(torch.from_numpy(init.weights[key][l]))
    return model


def save_peft(model: Llama, targets: list[str], r: int, alpha: float, out: Path, base: Path,
              provenance: dict) -> None:
    from safetensors.numpy import save_file
    tensors: dict[str, np.ndarray] = {}
    for l, layer in enumerate(model.layers):
        for t in targets:
            group, core = PEFT_NAMES[t]
            mod = getattr(layer, core)
            pre = f"base_model.model.model.layers.{l}.{group}.{t}"
            tensors[f"{pre}.lora_A.weight"] = mod.lora_A.detach().float().numpy().copy()
            tensors[f"{pre}.lora_B.weight"] = mod.lora_B.detach().float().numpy().copy()
    out.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out / "adapter_model.safetensors"), metadata={"format": "pt"})
    config = {"peft_type": "LORA", "task_type": "CAUSAL_LM", "r": r, "lora_alpha": alpha,
              "target_modules": targets, "lora_dropout": 0.0, "bias": "none", "fan_in_fan_out": False,
              "use_rslora": False, "init_lora_weights": True, "inference_mode": True,
              "base_model_name_or_path": str(base.relative_to(REPO_ROOT) if base.is_absolute() and
                                             base.is_relative_to(REPO_ROOT) else base),
              # trained on a llama2.c checkpoint: q/k rows in the core's interleaved RoPE order, not Hugging
              # Face's rotate-half one (sim_models/lora/peft.py permutes adapters without this field)
              "romformer_rope_layout": "interleaved"}
    (out / "adapter_config.json").write_text(json.dumps(config, indent=1) + "\n")
    (out / "provenance.json").write_text(json.dumps(provenance, indent=1) + "\n")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", type=Path, default=REPO_ROOT / "models/austen_byte.bin")
    ap.add_argument("--out", type=Path, required=True, help="adapter directory (or checkpoint with --full)")
    ap.add_argument("--full", action="store_true", help="fine-tune every parameter (the ceiling)")
    ap.add_argument("--targets", default="q_proj,v_proj")
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--alpha", type=float, default=16.0)
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--ctx", type=int, default=128, help="training window length (<= seq_len)")
    ap.add_argument("--lr", type=float, default=None, help="default 2e-3 (LoRA) / 1e-3 (full)")
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-seconds", type=float, default=None)
    ap.add_argument("--text-dir", type=Path, default=REPO_ROOT / "models/adapters",
                    help="where heldout_kjv.txt and calib_kjv.txt are written")
    args = ap.parse_args(argv)

    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)

    chapters = read_kjv()
    train_txt, held_txt = split_corpus(chapters)
    train = np.frombuffer(train_txt.encode("ascii"), dtype=np.uint8)
    held = np.frombuffer(held_txt.encode("ascii"), dtype=np.uint8)
    held_slice = chapter_slice(held_txt, 0, 12288)
    calib_slice = chapter_slice(train_txt, len(train_txt) // 2, 6144)
    args.text_dir.mkdir(parents=True, exist_ok=True)
    (args.text_dir / "heldout_kjv.txt").write_text(held_slice, encoding="ascii")
    (args.text_dir / "calib_kjv.txt").write_text(calib_slice, encoding="ascii")
    print(f"KJV: {len(chapters)} units (chapters as parsed), train {len(train)} chars, held-out {len(held)} chars "
          f"(heldout_kjv.txt {len(held_slice)}, calib_kjv.txt {len(calib_slice)})", flush=True)

    model = load_base(args.base)
    cfg = model.cfg
    T = cfg.seq_len
    Tt = min(args.ctx, T)
    held_file = np.frombuffer(held_slice.encode("ascii"), dtype=np.uint8)
    base_held = eval_loss(model, held_file, T)
    print(f"base model on heldout_kjv.txt: {base_held:.4f} nats/char", flush=True)
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    if args.full:
        params = list(model.parameters())
        lr = args.lr or 1e-3
    else:
        for p in model.parameters():
            p.requires_grad_(False)
        for layer in model.layers:
            for t in targets:
                core = PEFT_NAMES[t][1]
                setattr(layer, core, LoRALinear(getattr(layer, core), args.rank, args.alpha))
        params = [p for p in model.parameters() if p.requires_grad]
        lr = args.lr or 2e-3
    print(f"trainable parameters: {sum(p.numel() for p in params)}", flush=True)
    opt = torch.optim.AdamW(params, lr=lr, betas=(0.9, 0.95), weight_decay=0.0)

    def lr_at(step: int) -> float:
        if step < args.warmup:
            return lr * (step + 1) / args.warmup
        frac = min(1.0, (step - args.warmup) / max(1, args.steps - args.warmup))
        return 0.05 * lr + 0.5 * (1 + math.cos(math.pi * frac)) * 0.95 * lr

    t0 = time.time()
    step = 0
    for step in range(args.steps):
        if args.max_seconds is not None and time.time() - t0 > args.max_seconds:
            print(f"wall-time cap reached at step {step}", flush=True)
            break
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        ix = rng.integers(0, len(train) - Tt - 1, size=args.batch)
        x = torch.from_numpy(np.stack([train[i:i + Tt] for i in ix]).astype(np.int64))
        y = torch.from_numpy(np.stack([train[i + 1:i + 1 + Tt] for i in ix]).astype(np.int64))
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, cfg.vocab_size), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        if step % 100 == 0 or step == args.steps - 1:
            print(f"step {step:5d} loss {loss.item():.4f} lr {lr_at(step):.2e} t {time.time() - t0:6.1f}s", flush=True)
    else:
        step = args.steps
    seconds = time.time() - t0
    held_loss = eval_loss(model, held_file, T)
    print(f"trained {step} steps in {seconds:.1f}s; heldout_kjv.txt loss {held_loss:.4f} nats/char "
          f"(base {base_held:.4f})", flush=True)
    print("sample (T=0.8):", repr(generate(model, "And God said", 160, 0.8, args.seed)), flush=True)
    prov = {"corpus": {"package": BIBLE_PACKAGE, "version": package_version(BIBLE_PACKAGE), "file": BIBLE_FILE,
                       "reader": f"bible-kjv {package_version('bible-kjv')}: {' '.join(BIBLE_CMD)}",
                       "split": f"units (chapters as parsed) in canonical order; unit index % {HELD_EVERY} == {HELD_EVERY - 1} "
                                f"held out ({len(held)} chars), the rest trains ({len(train)} chars)",
                       "heldout_text": "heldout_kjv.txt", "calibration_text": "calib_kjv.txt"},
            "base": str(args.base.name), "steps": step, "batch": args.batch, "window": Tt, "lr": lr, "seed": args.seed,
            "train_seconds": round(seconds, 1), "torch": torch.__version__,
            "heldout_loss_float": {"base": round(base_held, 4), "trained": round(held_loss, 4)}}
    if args.full:
        ck = model.to_checkpoint()
        args.out.parent.mkdir(parents=True, exist_ok=True)
        write_checkpoint(ck, args.out)
        (args.out.with_suffix(".json")).write_text(json.dumps(prov, indent=1) + "\n")
        print(f"wrote {args.out}")
    else:
        prov.update(rank=args.rank, alpha=args.alpha, targets=targets)
        save_peft(model, targets, args.rank, args.alpha, args.out, args.base, prov)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
