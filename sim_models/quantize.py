"""Quantizer and calibrator: float checkpoint -> integer model (docs/arithmetic.md section 2).

Calibration runs the float model over token windows and records the largest
magnitude of every activation that gets a static scale. All real-valued
scales end here, folded into the integer multipliers of `QuantModel`.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from .checkpoint import Checkpoint, Config
from .float_model import FloatModel
from .formats import INT8, QuantWeights, WeightFormat, check_accumulator, quantize_weights
from .hardware import CLS_OUT_BITS, MATRICES, OUT_BITS, PHASES
from .intops import quantize_multiplier, quantize_multipliers
from .mx import STATIC, ActFormat
from .progress import track
from .tables import exp2_table, rope_tables, rsqrt_table, silu_table

LOG2E = math.log2(math.e)
RESIDUAL_LIMIT = 16383   # max |x| * 2^RF stays below this (2x headroom in int16)
LOGIT_LIMIT = 16383
GRAM_INPUTS = ("att_in", "v", "ffn_in", "g", "fin_in")   # matmul inputs (v: stand-in for wo's input)


def canonical(stat: float) -> float:
    """A calibration statistic rounded to float32 precision before any scale is derived from it:
    the float64 calibration differs between BLAS kernels in the last bits, the rounded value (and
    every scale, multiplier and table computed from it in plain float64 scalar arithmetic) does not."""
    return float(np.float32(stat))


@dataclass
class Calibration:
    """|activation| samples per (name, layer) seen over the calibration windows."""
    maxima: dict[tuple[str, int], float] = field(default_factory=dict)
    samples: dict[tuple[str, int], list[np.ndarray]] = field(default_factory=dict)
    tokens: int = 0
    # sum over calibration tokens of x x^T for every matmul input (GPTQ Hessians of the formats)
    grams: dict[tuple[str, int], np.ndarray] = field(default_factory=dict)

    def observe(self, name: str, layer: int, value: np.ndarray) -> None:
        key = (name, layer)
        if name in GRAM_INPUTS:
            x = np.asarray(value, dtype=np.float64)
            x = x.reshape(x.shape[0], -1)
            self.grams[key] = self.grams.get(key, 0.0) + x.T @ x
        mag = np.abs(np.asarray(value, dtype=np.float64)).ravel()
        self.maxima[key] = max(self.maxima.get(key, 0.0), float(mag.max()))
        self.samples.setdefault(key, []).append(mag)

    def clip(self, name: str, layer: int = -1, levels: int = 127) -> float:
        """The clipping threshold that minimizes int8 round-to-nearest MSE (a search over
        fractions of the maximum); saturation error counts, so outliers still pull it up."""
        mag = np.concatenate(self.samples[(name, layer)])
        peak = float(mag.max()) or 1.0
        best, best_err = peak, np.inf
        for frac in np.linspace(0.2, 1.0, 33):
            step = peak * frac / levels
            q = np.minimum(np.round(mag / step), levels) * step
            err = float(np.mean((q - mag) ** 2))
            if err < best_err:
                best, best_err = peak * frac, err
        return canonical(best)

    def peak(self, name: str, layer: int = -1) -> float:
        if name == "x":
            return canonical(max(v for (n, _), v in self.maxima.items() if n == "x"))
        value = self.maxima[(name, layer)]
        return canonical(value) if value > 0 else 1.0


def calibrate(ckpt: Checkpoint, windows: Iterable[np.ndarray]) -> Calibration:
    """Activation statistics of the float model over `windows`. In float64: float32 products
    round differently under different BLAS kernels (FMA or not), which moved requant multipliers
    and norm gains by one LSB between CPUs; in float64 the differences stay far below the
    rounding steps of every scale, so one checkpoint gives the same ROM images on any machine."""
    model = FloatModel(ckpt, dtype=np.float64)
    cal = Calibration()
    for window in track(windows, "calibration", unit="window"):
        model.reset()
        model.forward(np.asarray(window)[: ckpt.config.seq_len], observe=cal.observe)
        cal.tokens += min(len(window), ckpt.config.seq_len)
    if cal.tokens == 0:
        raise ValueError("calibration: no tokens")
    return cal


@dataclass
class QMatrix:
    """An integer matrix with its per-row requantization multipliers. `w` is the decoded lane
    operand w_eff (int8: the int8 weights); `codes`/`scodes` are the format's ROM codes
    (None: a matrix made without them, whose codes are `w`)."""
    w: np.ndarray        # (rows, cols) int64 w_eff
    mult: np.ndarray     # (rows,)
    shift: np.ndarray    # (rows,)
    out_bits: int
    codes: np.ndarray | None = None    # (rows, cols) element codes
    scodes: np.ndarray | None = None   # (rows, groups) scale codes


@dataclass
class QNorm:
    gain: np.ndarray     # (dim,) int16 values
    shift: int           # GS


@dataclass
class QuantModel:
    cfg: Config
    rf: int
    eps: int
    layers: list[dict[str, QMatrix]]
    att_norm: list[QNorm]
    ffn_norm: list[QNorm]
    final_norm: QNorm
    cls: QMatrix
    emb_mult: np.ndarray
    emb_shift: np.ndarray
    emb_w: np.ndarray            # int8 embedding rows (the classifier's when shared)
    att_mult: np.ndarray         # (n_layers,)
    att_shift: np.ndarray
    silu: np.ndarray             # (n_layers, 256)
    gate_mult: np.ndarray        # (n_layers,)
    gate_shift: np.ndarray
    logit_mult: int
    logit_shift: int
    rsqrt: np.ndarray = field(default_factory=rsqrt_table)
    exp2: np.ndarray = field(default_factory=exp2_table)
    rope_cos: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    rope_sin: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    scales: dict[str, list[float] | float] = field(default_factory=dict)
    fmt: WeightFormat = INT8
    emb_codes: np.ndarray | None = None     # unshared embedding's ROM codes (None: emb_w)
    emb_scodes: np.ndarray | None = None
    act: ActFormat = STATIC                 # activation format of the matmul inputs (sim_models.mx)


def matrix_out_bits(name: str, act: ActFormat) -> int:
    """Requantized output width of a layer matrix: q, k, v are `act.qkv_bits` wide (3b)."""
    return act.qkv_bits if name in PHASES["qkv"] else OUT_BITS[name]


def qmatrix(w: np.ndarray, s_in: float, s_out: float, out_bits: int, what: str,
            fmt: WeightFormat = INT8, hessian: np.ndarray | None = None) -> QMatrix:
    return format_qmatrix(quantize_weights(w, fmt, what, hessian), s_in, s_out, out_bits, what)


def format_qmatrix(qw: QuantWeights, s_in: float, s_out: float, out_bits: int, what: str) -> QMatrix:
    check_accumulator(qw.w_eff, what)
    mult, shift = quantize_multipliers(qw.u * s_in / s_out, what)
    return QMatrix(qw.w_eff, mult, shift, out_bits, qw.codes, qw.scodes)


def input_hessians(cfg: Config, cal: Calibration, layer: int) -> dict[str, np.ndarray | None]:
    """Input second moments of a layer's matrices (GPTQ). wo's input (the attention output, a
    convex combination of V rows) is not observed: V's, expanded over the query heads, stands in."""
    g = cal.grams
    if ("att_in", layer) not in g:
        return {n: None for n in MATRICES}
    v = g[("v", layer)]
    src = (np.arange(cfg.dim) // cfg.head_size // cfg.kv_group) * cfg.head_size + np.arange(cfg.dim) % cfg.head_size
    return {"wq": g[("att_in", layer)], "wk": g[("att_in", layer)], "wv": g[("att_in", layer)],
            "wo": v[np.ix_(src, src)], "w1": g[("ffn_in", layer)], "w3": g[("ffn_in", layer)], "w2": g[("g", layer)]}


PER_ROW_HESSIAN_LIMIT = 1 << 24   # vocab * dim^2 float64 values (128 MiB): above, one shared classifier Hessian
FISHER_FLOOR = 0.03   # classifier Hessian weight p(1-p) + floor: rare tokens' rows still count (embedding)


def dequantized(qw: QuantWeights) -> np.ndarray:
    """The real matrix a format's codes stand for: u_j * w_eff."""
    return qw.u[:, None] * qw.w_eff


def classifier_hessians(ckpt: Checkpoint, windows: Iterable[np.ndarray]) -> np.ndarray:
    """(vocab, dim, dim) per-row Hessians of the classifier for GPTQ: sum over calibration tokens
    of (p_j (1 - p_j) + FISHER_FLOOR) x x^T, x the final-norm output and p the model's next-token
    probabilities (the diagonal of the cross-entropy's Hessian in the logits), so the rounding
    error of likely tokens' rows counts most and every row (also an embedding row) still counts."""
    model = FloatModel(ckpt, dtype=np.float64)
    c = ckpt.config
    h = np.zeros((c.vocab_size, c.dim, c.dim))
    for window in track(windows, "classifier Hessians", unit="window"):
        model.reset()
        seen: dict[str, np.ndarray] = {}
        logits = model.forward(np.asarray(window)[: c.seq_len],
                               observe=lambda n, l, v, seen=seen: seen.__setitem__(n, v) if n == "fin_in" else None)
        z = logits - logits.max(axis=-1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=-1, keepdims=True)
        x = seen["fin_in"]
        h += np.einsum("tr,tc,td->rcd", p * (1.0 - p) + FISHER_FLOOR, x, x)
    return h


def qnorm(g: np.ndarray, dim: int, s_out: float) -> QNorm:
    real = math.sqrt(dim) * g.astype(np.float64) / s_out
    peak = float(np.max(np.abs(real))) or 1.0
    shift = math.floor(math.log2(32767.0 / peak))
    while np.max(np.abs(np.round(real * 2.0 ** shift))) > 32767:
        shift -= 1
    return QNorm(np.round(real * 2.0 ** shift).astype(np.int64), shift)


def quantize(ckpt: Checkpoint, cal: Calibration, fmt: WeightFormat = INT8,
             windows: list[np.ndarray] | None = None, act: ActFormat = STATIC) -> QuantModel:
    """`fmt` is the weight format of every matrix (embedding and classifier included), `act` the
    activation format of their inputs: the matmul inputs are produced at their static scale
    `s * 2^-act.frac` (docs/arithmetic.md 3b), which the norm gains, the gate multiplier and the
    consuming matrices' multipliers fold in.

    A format that `uses_calibration` (all but int8), given the calibration `windows`, is quantized
    sequentially (GPTQ as in Frantar et al.): layer l's input Hessians come from a calibration run in which layers < l
    already carry their quantized weights, and the classifier's are the loss-weighted per-row
    Hessians of `classifier_hessians` on the fully quantized body. Activation scales always
    come from `cal`, the float model's calibration."""
    cfg, w = ckpt.config, ckpt.weights
    rf = math.floor(math.log2(RESIDUAL_LIMIT / cal.peak("x")))
    s_res = 2.0 ** -rf
    L = cfg.n_layers
    per = {n: [cal.clip(n, l) / 127.0 for l in range(L)]
           for n in ("att_in", "q_pair", "k_pair", "v", "ffn_in", "h1", "h3", "g")}
    fine = 2.0 ** -act.frac    # the wide matmul inputs' resolution below their static scale
    fqkv = 2.0 ** -act.qkv_frac   # q, k, v's
    s_fin = cal.clip("fin_in") / 127.0 * fine
    s_logit = cal.peak("logits") / LOGIT_LIMIT
    layers, att_norm, ffn_norm = [], [], []
    # sequential GPTQ: the float weights with the layers quantized so far replaced by their formats'
    gptq = fmt.uses_calibration
    seq_w = {k: np.array(v, np.float64) for k, v in w.items()} if windows and gptq else None
    att_m, att_s, gate_m, gate_s, silus = [], [], [], [], []
    for l in track(range(L), f"quantizing ({fmt.label})", unit="layer"):
        s_att, s_q, s_k, s_v = per["att_in"][l] * fine, per["q_pair"][l] * fqkv, per["k_pair"][l] * fqkv, per["v"][l] * fqkv
        s_ffn, s_h1, s_h3, s_g = per["ffn_in"][l] * fine, per["h1"][l], per["h3"][l], per["g"][l] * fine
        io = {"wq": (s_att, s_q), "wk": (s_att, s_k), "wv": (s_att, s_v), "wo": (s_v / fqkv * fine, s_res),
              "w1": (s_ffn, s_h1), "w3": (s_ffn, s_h3), "w2": (s_g, s_res)}
        if gptq:
            hcal = cal if seq_w is None or l == 0 else calibrate(Checkpoint(cfg, seq_w), windows or [])
            hess = input_hessians(cfg, hcal, l)
        else:
            hess = {n: None for n in MATRICES}
        qws = {n: quantize_weights(w[n][l], fmt, f"layer {l} {n}", hess[n]) for n in MATRICES}
        layers.append({n: format_qmatrix(qws[n], *io[n], matrix_out_bits(n, act), what=f"layer {l} {n}") for n in MATRICES})
        if seq_w is not None:
            for n in MATRICES:
                seq_w[n][l] = dequantized(qws[n])
        att_norm.append(qnorm(w["rms_att"][l], cfg.dim, s_att))
        ffn_norm.append(qnorm(w["rms_ffn"][l], cfg.dim, s_ffn))
        m, s = quantize_multiplier(s_q * s_k * LOG2E * 256.0 / math.sqrt(cfg.head_size), f"layer {l} attention")
        att_m.append(m), att_s.append(s)
        m, s = quantize_multiplier(s_h1 * s_h3 / (s_g * 256.0), f"layer {l} gate")
        gate_m.append(m), gate_s.append(s)
        silus.append(silu_table(s_h1))
    emb_codes = emb_scodes = None
    if not gptq:
        h_cls = None
    elif seq_w is None:
        h_cls = cal.grams.get(("fin_in", -1))
    elif cfg.vocab_size * cfg.dim ** 2 <= PER_ROW_HESSIAN_LIMIT:
        h_cls = classifier_hessians(Checkpoint(cfg, seq_w), windows or [])
    else:   # too large to hold one Hessian per row: the shared one, from the quantized body
        h_cls = calibrate(Checkpoint(cfg, seq_w), windows or []).grams[("fin_in", -1)]
    qc = quantize_weights(ckpt.wcls, fmt, "classifier", h_cls)
    cls = format_qmatrix(qc, s_fin, s_logit, CLS_OUT_BITS, "classifier")
    if cfg.shared_classifier:
        qe = qc
    else:
        qe = quantize_weights(w["tok_emb"], fmt, "embedding")
        emb_codes, emb_scodes = qe.codes, qe.scodes
    emb_w, emb_sw = qe.w_eff, qe.u
    emb_m, emb_s = quantize_multipliers(emb_sw / s_res, "embedding")
    logit_m, logit_s = quantize_multiplier(s_logit * LOG2E, "logit temperature")
    cos, sin = rope_tables(cfg.seq_len, cfg.head_size, cfg.rope_theta)
    scales: dict[str, list[float] | float] = {k: v for k, v in per.items()}
    scales.update(residual=s_res, fin_in=cal.clip("fin_in") / 127.0, logits=s_logit)
    return QuantModel(
        cfg=cfg, rf=rf, eps=max(1, round(cfg.rms_norm_eps * cfg.dim * 4.0 ** rf)),
        layers=layers, att_norm=att_norm, ffn_norm=ffn_norm,
        final_norm=qnorm(w["rms_final"], cfg.dim, s_fin), cls=cls,
        emb_mult=emb_m, emb_shift=emb_s, emb_w=emb_w,
        att_mult=np.array(att_m, np.int64), att_shift=np.array(att_s, np.int64),
        silu=np.array(silus, np.int64), gate_mult=np.array(gate_m, np.int64), gate_shift=np.array(gate_s, np.int64),
        logit_mult=logit_m, logit_shift=logit_s, rope_cos=cos, rope_sin=sin, scales=scales,
        fmt=fmt, emb_codes=emb_codes, emb_scodes=emb_scodes, act=act)
