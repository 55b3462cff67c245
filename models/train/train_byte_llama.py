"""Train romformer's embedded default model: a tiny byte-level Llama on Jane Austen.

The corpus is the six novels shipped in the Debian package ``r-cran-janeaustenr``
(R lazy-load database ``data/Rdata.rdb``/``.rdx``), read without R via the
``rdata`` package. Each novel is a character vector of lines; lines are joined
with ``\\n`` and novels with a blank line, in publication order:

    sensesensibility, prideprejudice, mansfieldpark, emma, northangerabbey, persuasion

Text cleaning: the text is ASCII apart from a single "\u00a3" (pound sign), which is
mapped to "L"; any other non-ASCII character would be NFKD-decomposed and
the non-ASCII remainder dropped, and control characters other than newline are
dropped. Tokens are byte values (vocab 256, only 0..127 occur).

Split: the last ``--heldout-frac`` (default 5%) of the concatenated corpus (the
tail of *Persuasion*) is held out and never trained on.

Model (exactly llama2.c's ``model.py`` semantics): RMSNorm eps 1e-5, interleaved
RoPE with theta 10000, causal GQA attention, SwiGLU FFN, no biases, classifier
shared with the token embedding. The checkpoint is written in llama2.c legacy
(v0) format with ``sim_models.checkpoint.write_checkpoint``.

Example (the command used for models/austen_byte.bin)::

    python models/train/train_byte_llama.py --steps 3800 --batch 16 --out models/austen_byte.bin

Ternary-aware variant (``--ternary``, models/austen_ternary.bin): every matrix (the seven
per layer and the shared embedding/classifier) is used in the forward pass as
``s_j * clip(round(W_j / s_j), -1, 1)`` with ``s_j = mean_i |W_j,i|`` per output row (absmean,
BitNet b1.58), with a straight-through estimator for the gradient; the latent float weights
are trained. ``--init-from`` starts from a float checkpoint (quantization-aware fine-tuning).
The checkpoint written holds the ternarized weights ``s_j * q_j`` (its float model is the
ternary network itself; ``python -m sim_models compile --format ternary`` recovers ``q`` and
``s`` exactly). ``--init-from`` a ternary checkpoint rescales its rows' latents so training
continues from exactly that network; ``--distill TEACHER`` adds the KL divergence from a float
teacher's next-byte distribution (models/README.md, phase 3).

int4-aware variant (``--qat int4``, models/austen_int4.bin): the same with romformer's int4 g32
format (``int4_ste``: per-row factor, 4-bit scale per group of 32 inputs, elements in [-7, 7]);
the checkpoint holds the quantized weights, which ``compile --format int4`` recovers exactly.
"""
from __future__ import annotations

import argparse
import math
import sys
import time
import unicodedata
import warnings
import zlib
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))
from sim_models.checkpoint import Checkpoint, Config, read_checkpoint, write_checkpoint  # noqa: E402
from sim_models.formats import DEFAULT_GROUP as INT4_GROUP, INT4_MAX, INT4_SCALE_MAX  # noqa: E402

JANEAUSTENR_DATA = Path("/usr/lib/R/site-library/janeaustenr/data")
NOVELS = ("sensesensibility", "prideprejudice", "mansfieldpark", "emma", "northangerabbey", "persuasion")
CHAR_MAP = {"\u00a3": "L"}


# --------------------------------------------------------------------------- corpus
def read_rdata_lazyload(data_dir: Path) -> dict[str, list[str]]:
    """Read every object of an R lazy-load DB (Rdata.rdx index + Rdata.rdb blobs)."""
    import rdata

    for part in ("Rdata.rdx", "Rdata.rdb"):
        if not (data_dir / part).is_file():
            raise SystemExit(f"train_byte_llama: corpus file {data_dir / part} not found: install Debian's "
                             "r-cran-janeaustenr (apt-get install r-cran-janeaustenr) or pass --data-dir "
                             "the directory holding its Rdata.rdx and Rdata.rdb")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        index = rdata.read_rds(data_dir / "Rdata.rdx")
        raw = (data_dir / "Rdata.rdb").read_bytes()
        out: dict[str, list[str]] = {}
        for name, (off, length) in index["variables"].items():
            blob = raw[int(off):int(off) + int(length)]
            # 4-byte big-endian uncompressed length, then a zlib stream of a serialized R object
            parsed = rdata.parser.parse_data(zlib.decompress(blob[4:]))
            obj = rdata.conversion.convert(parsed)
            out[str(name)] = ["" if s is None else str(s) for s in obj]
    return out


def clean_text(text: str) -> str:
    """Map to pure ASCII (see module docstring)."""
    chars: list[str] = []
    for ch in text:
        if ch in CHAR_MAP:
            chars.append(CHAR_MAP[ch])
        elif ord(ch) < 128:
            if ch == "\n" or ord(ch) >= 32:
                chars.append(ch)
        else:
            decomposed = unicodedata.normalize("NFKD", ch)
            chars.append("".join(c for c in decomposed if 32 <= ord(c) < 128))
    return "".join(chars)


def build_corpus(data_dir: Path) -> tuple[str, dict[str, int]]:
    novels = read_rdata_lazyload(data_dir)
    parts = []
    lengths: dict[str, int] = {}
    for name in NOVELS:
        t = clean_text("\n".join(novels[name]).strip("\n")) + "\n\n"
        lengths[name] = len(t)
        parts.append(t)
    return "".join(parts), lengths


def paragraph_slice(text: str, start: int, size: int) -> str:
    """About `size` chars of `text` starting at the paragraph boundary at/after `start`."""
    s = text.find("\n\n", start)
    s = start if s < 0 else s + 2
    e = text.rfind("\n\n", s, s + size)
    e = s + size if e <= s else e + 1
    return text[s:e]


# --------------------------------------------------------------------------- model
def ternary_ste(w: torch.Tensor) -> torch.Tensor:
    """Per-row absmean ternarization, straight-through gradient (BitNet b1.58)."""
    s = w.abs().mean(dim=1, keepdim=True).clamp(min=1e-8)
    q = torch.clamp(torch.round(w / s), -1, 1) * s
    return w + (q - w).detach()


def int4_ste(w: torch.Tensor, group: int = INT4_GROUP) -> torch.Tensor:
    """romformer's int4 format (docs/arithmetic.md 3a), straight-through gradient: per row
    u = max|W_j| / (7 * 15); per group of `group` inputs a scale g in [1, 15], the smallest that
    does not clip; elements q = clip(round(W / (u g)), -7, 7). Returns u * g * q, which the int4
    quantizer of sim_models.formats recovers exactly (its u candidate row_peak / 105)."""
    rows, cols = w.shape
    nb = -(-cols // group)
    wp = F.pad(w, (0, nb * group - cols)).view(rows, nb, group)
    with torch.no_grad():
        u = (w.abs().amax(dim=1) / (INT4_MAX * INT4_SCALE_MAX)).clamp(min=1e-30)[:, None, None]
        g = torch.clamp(torch.ceil(wp.abs().amax(dim=-1, keepdim=True) / (INT4_MAX * u) - 1e-6), 1, INT4_SCALE_MAX)
    q = torch.clamp(torch.round(wp / (u * g)), -INT4_MAX, INT4_MAX) * (u * g)
    q = q.view(rows, nb * group)[:, :cols]
    return w + (q - w).detach()


QAT_STE = {"ternary": ternary_ste, "int4": int4_ste}


def ternary_latents_(w: torch.Tensor) -> int:
    """Rows that are already ternary (values in {-s, 0, s} up to float rounding, as a ternary checkpoint stores them):
    scale them in place to q * s / mean|q| so that their absmean is s and ternary_ste(w) gives
    back s * q (up to float rounding; continuing ternary-aware training from a ternary checkpoint). Returns
    the number of such rows."""
    s = w.abs().amax(dim=1, keepdim=True).clamp(min=1e-30)
    q = torch.round(w / s)
    tern = torch.all((q * s - w).abs() <= 1e-5 * s, dim=1, keepdim=True) & torch.all(q.abs() <= 1, dim=1, keepdim=True)
    w.copy_(torch.where(tern, q * s / q.abs().mean(dim=1, keepdim=True).clamp(min=1e-30), w))
    return int(tern.sum())


class QLinear(nn.Linear):
    """nn.Linear whose weight is fake-quantized in the forward pass when `qat` names a format."""
    qat: str | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, QAT_STE[self.qat](self.weight) if self.qat else self.weight)


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_cos_sin(head_size: int, seq_len: int, theta: float = 10000.0) -> tuple[torch.Tensor, torch.Tensor]:
    freqs = 1.0 / (theta ** (torch.arange(0, head_size, 2, dtype=torch.float64) / head_size))
    ang = torch.outer(torch.arange(seq_len, dtype=torch.float64), freqs)
    return torch.cos(ang).float(), torch.sin(ang).float()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x: (B, T, H, hs); rotate interleaved pairs (2i, 2i+1)."""
    a, b = x[..., 0::2], x[..., 1::2]
    c, s = cos[None, :, None, :], sin[None, :, None, :]
    return torch.stack((a * c - b * s, a * s + b * c), dim=-1).flatten(-2)


class Block(nn.Module):
    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        d, hs = cfg.dim, cfg.head_size
        self.attention_norm = RMSNorm(d)
        self.wq = QLinear(d, cfg.n_heads * hs, bias=False)
        self.wk = QLinear(d, cfg.n_kv_heads * hs, bias=False)
        self.wv = QLinear(d, cfg.n_kv_heads * hs, bias=False)
        self.wo = QLinear(cfg.n_heads * hs, d, bias=False)
        self.ffn_norm = RMSNorm(d)
        self.w1 = QLinear(d, cfg.hidden_dim, bias=False)
        self.w2 = QLinear(cfg.hidden_dim, d, bias=False)
        self.w3 = QLinear(d, cfg.hidden_dim, bias=False)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        cfg = self.cfg
        B, T, _ = x.shape
        h = self.attention_norm(x)
        q = self.wq(h).view(B, T, cfg.n_heads, cfg.head_size)
        k = self.wk(h).view(B, T, cfg.n_kv_heads, cfg.head_size)
        v = self.wv(h).view(B, T, cfg.n_kv_heads, cfg.head_size)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        # GQA: query head h uses kv head h // kv_group
        k = k.repeat_interleave(cfg.kv_group, dim=2)
        v = v.repeat_interleave(cfg.kv_group, dim=2)
        att = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2),
                                             is_causal=True)
        x = x + self.wo(att.transpose(1, 2).reshape(B, T, -1))
        h = self.ffn_norm(x)
        return x + self.w2(F.silu(self.w1(h)) * self.w3(h))


class Llama(nn.Module):
    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        self.tok_embeddings = nn.Embedding(cfg.vocab_size, cfg.dim)
        self.layers = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.norm = RMSNorm(cfg.dim)
        cos, sin = rope_cos_sin(cfg.head_size, cfg.seq_len)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)
        # llama2.c init
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02 / math.sqrt(2 * cfg.n_layers) if name.endswith(("w3.weight", "wo.weight")) else 0.02
                nn.init.normal_(p, mean=0.0, std=std)

    qat: str | None = None

    def set_qat(self, fmt: str | None) -> None:
        """Quantization-aware training for format `fmt` (a key of QAT_STE), or None (float)."""
        self.qat = fmt
        for m in self.modules():
            if isinstance(m, QLinear):
                m.qat = fmt

    def qweight(self, w: torch.Tensor) -> torch.Tensor:
        return QAT_STE[self.qat](w) if self.qat else w

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        T = tokens.shape[1]
        emb = self.qweight(self.tok_embeddings.weight)
        x = F.embedding(tokens, emb)
        cos, sin = self.cos[:T], self.sin[:T]
        for layer in self.layers:
            x = layer(x, cos, sin)
        return self.norm(x) @ emb.T  # shared classifier

    def to_checkpoint(self) -> Checkpoint:
        """Float weights; with `qat` set, the quantized weights the forward pass uses."""

        def mat(t: torch.Tensor) -> np.ndarray:
            return _np(self.qweight(t))

        def stack(attr: str) -> np.ndarray:
            t = [_get(layer, attr) for layer in self.layers]
            return np.stack([mat(x) if x.dim() == 2 else _np(x) for x in t])

        w = {
            "tok_emb": mat(self.tok_embeddings.weight),
            "rms_att": stack("attention_norm.weight"),
            "wq": stack("wq.weight"), "wk": stack("wk.weight"), "wv": stack("wv.weight"),
            "wo": stack("wo.weight"),
            "rms_ffn": stack("ffn_norm.weight"),
            "w1": stack("w1.weight"), "w2": stack("w2.weight"), "w3": stack("w3.weight"),
            "rms_final": _np(self.norm.weight),
        }
        return Checkpoint(self.cfg, w)


def load_weights(model: Llama, path: Path) -> None:
    """Copy a float checkpoint's weights into `model` (same config)."""
    init = read_checkpoint(path)
    assert init.config == model.cfg, init.config
    with torch.no_grad():
        model.tok_embeddings.weight.copy_(torch.from_numpy(init.weights["tok_emb"]))
        model.norm.weight.copy_(torch.from_numpy(init.weights["rms_final"]))
        for l, layer in enumerate(model.layers):
            for attr, key in (("attention_norm.weight", "rms_att"), ("ffn_norm.weight", "rms_ffn"),
                              ("wq.weight", "wq"), ("wk.weight", "wk"), ("wv.weight", "wv"),
                              ("wo.weight", "wo"), ("w1.weight", "w1"), ("w2.weight", "w2"),
                              ("w3.weight", "w3")):
                _get(layer, attr).copy_(torch.from_numpy(init.weights[key][l]))


def _get(mod: nn.Module, dotted: str) -> torch.Tensor:
    for part in dotted.split("."):
        mod = getattr(mod, part)
    return mod  # type: ignore[return-value]


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().float().numpy().copy()


# --------------------------------------------------------------------------- train / eval
@torch.no_grad()
def eval_loss(model: Llama, data: np.ndarray, seq_len: int, max_windows: int | None = None,
              batch: int = 32) -> float:
    """Mean teacher-forced NLL (nats/char) over non-overlapping seq_len windows."""
    model.eval()
    n_win = (len(data) - 1) // seq_len
    starts = np.arange(n_win) * seq_len
    if max_windows is not None and n_win > max_windows:
        starts = starts[np.linspace(0, n_win - 1, max_windows).astype(int)]
    total, count = 0.0, 0
    for i in range(0, len(starts), batch):
        s = starts[i:i + batch]
        x = torch.from_numpy(np.stack([data[j:j + seq_len] for j in s]).astype(np.int64))
        y = torch.from_numpy(np.stack([data[j + 1:j + 1 + seq_len] for j in s]).astype(np.int64))
        logits = model(x)
        total += F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1), reduction="sum").item()
        count += y.numel()
    # tail shorter than one window
    rem = len(data) - 1 - n_win * seq_len
    if max_windows is None and rem > 0:
        j = n_win * seq_len
        x = torch.from_numpy(data[j:j + rem].astype(np.int64))[None]
        y = torch.from_numpy(data[j + 1:j + 1 + rem].astype(np.int64))[None]
        total += F.cross_entropy(model(x)[0], y[0], reduction="sum").item()
        count += rem
    model.train()
    return total / count


@torch.no_grad()
def generate(model: Llama, prompt: str, n: int, temperature: float, seed: int) -> str:
    model.eval()
    g = torch.Generator().manual_seed(seed)
    toks = list(prompt.encode("ascii"))
    for _ in range(n):
        ctx = torch.tensor([toks[-model.cfg.seq_len:]])
        logits = model(ctx)[0, -1]
        if temperature <= 0:
            nxt = int(logits.argmax())
        else:
            nxt = int(torch.multinomial(F.softmax(logits / temperature, -1), 1, generator=g))
        toks.append(nxt)
    model.train()
    return bytes(toks).decode("ascii", errors="replace")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=REPO_ROOT / "models/austen_byte.bin")
    ap.add_argument("--heldout-out", type=Path, default=REPO_ROOT / "models/heldout_austen.txt")
    ap.add_argument("--calib-out", type=Path, default=REPO_ROOT / "models/austen_byte.calib.txt")
    ap.add_argument("--corpus-out", type=Path, default=None, help="optionally write the full cleaned corpus")
    ap.add_argument("--data-dir", type=Path, default=JANEAUSTENR_DATA)
    ap.add_argument("--steps", type=int, default=3800)
    ap.add_argument("--max-seconds", type=float, default=None,
                    help="optional wall-time cap (stops early; the cosine schedule still assumes --steps)")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--min-lr", type=float, default=1e-4)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--heldout-frac", type=float, default=0.05)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--heldout-chars", type=int, default=12288)
    ap.add_argument("--calib-chars", type=int, default=6144)
    ap.add_argument("--qat", choices=sorted(QAT_STE), default=None,
                    help="quantization-aware training for this weight format (straight-through estimator)")
    ap.add_argument("--ternary", action="store_const", const="ternary", dest="qat",
                    help="same as --qat ternary (absmean per row, BitNet b1.58)")
    ap.add_argument("--init-from", type=Path, default=None, help="start from this float checkpoint")
    ap.add_argument("--distill", type=Path, default=None,
                    help="teacher checkpoint (float): add the KL(teacher || student) of the next-byte "
                         "distributions to the loss (knowledge distillation)")
    ap.add_argument("--distill-alpha", type=float, default=0.5,
                    help="loss = (1 - alpha) * cross-entropy + alpha * KL (with --distill)")
    args = ap.parse_args(argv)

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    rng = np.random.default_rng(args.seed)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)

    cfg = Config(dim=64, hidden_dim=172, n_layers=4, n_heads=4, n_kv_heads=2, vocab_size=256, seq_len=256)

    text, lengths = build_corpus(args.data_dir)
    assert all(ord(c) < 128 for c in text)
    data = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    n_train = int(len(data) * (1 - args.heldout_frac))
    train, held = data[:n_train], data[n_train:]
    print(f"corpus {len(data)} chars ({lengths}); train {len(train)}, held-out {len(held)}", flush=True)
    if args.corpus_out:
        args.corpus_out.parent.mkdir(parents=True, exist_ok=True)
        args.corpus_out.write_text(text, encoding="ascii")
    held_txt = paragraph_slice(text[n_train:], 0, args.heldout_chars)
    calib_txt = paragraph_slice(text[:n_train], n_train // 2, args.calib_chars)
    assert held_txt in text[n_train:] and calib_txt in text[:n_train]
    for path, t in ((args.heldout_out, held_txt), (args.calib_out, calib_txt)):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(t, encoding="ascii")
        print(f"wrote {path} ({len(t)} chars)", flush=True)

    model = Llama(cfg)
    if args.init_from is not None:
        load_weights(model, args.init_from)
        print(f"initialized from {args.init_from}", flush=True)
        if args.qat == "ternary":
            with torch.no_grad():
                n = sum(ternary_latents_(p) for p in model.parameters() if p.dim() == 2)
            print(f"  {n} already-ternary rows: latents rescaled so the forward pass reproduces them", flush=True)
    teacher: Llama | None = None
    if args.distill is not None:
        teacher = Llama(cfg)
        load_weights(teacher, args.distill)
        teacher.eval()
        for p in teacher.parameters():
            p.requires_grad_(False)
        print(f"distilling from {args.distill} (alpha {args.distill_alpha})", flush=True)
    model.set_qat(args.qat)
    print(f"params (excl. RoPE tables): {cfg.n_params()}; torch counts {sum(p.numel() for p in model.parameters())}")
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8)

    def lr_at(step: int) -> float:
        if step < args.warmup:
            return args.lr * (step + 1) / args.warmup
        frac = min(1.0, (step - args.warmup) / max(1, args.steps - args.warmup))
        return args.min_lr + 0.5 * (1 + math.cos(math.pi * frac)) * (args.lr - args.min_lr)

    T = cfg.seq_len
    t0 = time.time()
    ema = None
    step = 0
    for step in range(args.steps):
        if args.max_seconds is not None and time.time() - t0 > args.max_seconds:
            print(f"wall-time cap reached at step {step}", flush=True)
            break
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        ix = rng.integers(0, len(train) - T - 1, size=args.batch)
        x = torch.from_numpy(np.stack([train[i:i + T] for i in ix]).astype(np.int64))
        y = torch.from_numpy(np.stack([train[i + 1:i + 1 + T] for i in ix]).astype(np.int64))
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, cfg.vocab_size), y.reshape(-1))
        if teacher is not None:
            with torch.no_grad():
                t_logp = F.log_softmax(teacher(x), dim=-1).reshape(-1, cfg.vocab_size)
            kl = F.kl_div(F.log_softmax(logits, dim=-1).reshape(-1, cfg.vocab_size), t_logp,
                          log_target=True, reduction="batchmean")
            loss = (1 - args.distill_alpha) * loss + args.distill_alpha * kl
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        if step % 50 == 0 or step == args.steps - 1:
            print(f"step {step:5d} loss {loss.item():.4f} ema {ema:.4f} lr {lr_at(step):.2e} "
                  f"t {time.time() - t0:6.1f}s", flush=True)
        if args.eval_every and step > 0 and step % args.eval_every == 0:
            print(f"  held-out (64 windows) {eval_loss(model, held, T, max_windows=64):.4f}", flush=True)
    else:
        step = args.steps
    train_seconds = time.time() - t0
    print(f"trained {step} steps in {train_seconds:.1f}s", flush=True)

    ck = model.to_checkpoint()
    write_checkpoint(ck, args.out)
    back = read_checkpoint(args.out)
    assert back.config == cfg, back.config
    for k, v in ck.weights.items():
        assert np.array_equal(back.weights[k], v), k
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes), config {back.config}")

    held_loss = eval_loss(model, held, T)
    train_loss = eval_loss(model, train, T, max_windows=len(held) // T)
    held_file = np.frombuffer(held_txt.encode("ascii"), dtype=np.uint8)
    print(f"FINAL train loss (nats/char, {len(held) // T} evenly spaced windows): {train_loss:.4f}")
    print(f"FINAL held-out loss (nats/char, whole held-out split, {len(held)} chars): {held_loss:.4f}")
    print(f"FINAL heldout_austen.txt loss (nats/char): {eval_loss(model, held_file, T):.4f}")
    print("sample (T=0.8):", repr(generate(model, "It is a truth", 200, 0.8, args.seed)))


if __name__ == "__main__":
    main()
