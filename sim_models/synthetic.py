"""Synthetic checkpoints of published shapes, with the activation statistics of a trained model.

No trained weights of these shapes ship with the project; the RTL's bit-exactness does not need
them, but calibration and quantization are only exercised meaningfully when the activations look
like a trained model's. :func:`synthetic_checkpoint` draws weights with those properties:

* heavy-tailed matrices (Student-t, 4 degrees of freedom, scaled to unit variance) with a
  log-normal spread of row norms, so per-row scales differ and rows hold outliers;
* a few residual channels whose RMSNorm gains are several times the rest (the outlier features of
  trained Llamas), so activations have the outlier channels calibration has to cover;
* query/key scales that make attention scores spread (std about 2 before softmax: peaked, not
  uniform attention), Gaussian classifier rows scaled so next-token logits have a std of about 3,
  and layers whose outputs outgrow the embedding in the residual stream. With the classifier tied to
  the embedding, a small residual update makes the input token the likeliest next one; at these
  scales stories15M's shape samples at about 5 nats of entropy (of ln 32000 = 10.4) and repeats the
  input token with probability about 0.06.

:data:`SHAPES` holds llama2.c's TinyStories shapes by name. `scripts/make_model.py` writes one.
"""
from __future__ import annotations

import numpy as np

from .model_config import Checkpoint, Config, validate_config

# llama2.c's TinyStories models (karpathy/tinyllamas), by the name their checkpoints carry
SHAPES: dict[str, Config] = {
    "stories260K": Config(dim=64, hidden_dim=172, n_layers=5, n_heads=8, n_kv_heads=4, vocab_size=512, seq_len=512),
    "stories15M": Config(dim=288, hidden_dim=768, n_layers=6, n_heads=6, n_kv_heads=6, vocab_size=32000, seq_len=256),
    "stories42M": Config(dim=512, hidden_dim=1376, n_layers=8, n_heads=8, n_kv_heads=8, vocab_size=32000,
                         seq_len=1024),
    "stories110M": Config(dim=768, hidden_dim=2048, n_layers=12, n_heads=12, n_kv_heads=12, vocab_size=32000,
                          seq_len=1024),
}

T_DOF = 4                 # Student-t degrees of freedom of the weights (heavier tails than a Gaussian)
ROW_SPREAD = 0.25         # log-normal sigma of the row norms
OUTLIER_CHANNELS = 4      # residual channels with large RMSNorm gains
OUTLIER_GAIN = 6.0
QK_STD = 1.4              # q and k elements' std for a unit-RMS input: scores q.k/sqrt(hs) have std ~2
LOGIT_STD = 3.0           # next-token logits' std for a unit-RMS final hidden state
LAYER_OUT_STD = 1.0       # what wo and w2 add to the residual, relative to a unit-RMS input


def heavy_tailed(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Student-t samples scaled to unit variance, with a log-normal norm per row (last axis = inputs)."""
    t = rng.standard_t(T_DOF, shape) / np.sqrt(T_DOF / (T_DOF - 2))
    rows = np.exp(ROW_SPREAD * rng.standard_normal(shape[:-1] + (1,)) - ROW_SPREAD ** 2 / 2)
    return t * rows


def norm_gains(rng: np.random.Generator, shape: tuple[int, ...], outliers: np.ndarray, mean: float) -> np.ndarray:
    g = mean * (1.0 + 0.15 * rng.standard_normal(shape))
    g[..., outliers] *= OUTLIER_GAIN
    return g


def synthetic_checkpoint(cfg: Config, seed: int) -> Checkpoint:
    """A model of shape `cfg` with trained-model-like activation statistics (module docstring)."""
    validate_config(cfg)
    rng = np.random.default_rng(seed)
    d = cfg.dim
    outliers = rng.choice(d, size=min(OUTLIER_CHANNELS, d), replace=False)
    # wq/wk see the normed input, whose outlier channels are OUTLIER_GAIN larger: keep q, k at QK_STD
    normed_rms = np.sqrt((d - len(outliers) + len(outliers) * OUTLIER_GAIN ** 2) / d)
    w: dict[str, np.ndarray] = {}
    for name, shape in cfg.weight_shapes().items():
        fan_in = shape[-1]
        if name == "rms_att" or name == "rms_ffn":
            w[name] = norm_gains(rng, shape, outliers, 1.0)
        elif name == "rms_final":
            w[name] = norm_gains(rng, shape, outliers, 1.0) / normed_rms
        elif name in ("tok_emb", "wcls"):
            # logits = normed final state (RMS ~1 after the division above) . rows: std LOGIT_STD
            # Gaussian rows: heavy tails here would make one logit dominate every distribution
            w[name] = rng.standard_normal(shape) * LOGIT_STD / np.sqrt(fan_in)
        elif name in ("wq", "wk"):
            w[name] = heavy_tailed(rng, shape) * QK_STD / (np.sqrt(fan_in) * normed_rms)
        elif name in ("wo", "w2"):
            w[name] = heavy_tailed(rng, shape) * LAYER_OUT_STD / np.sqrt(fan_in)
        else:   # wv, w1, w3: unit gain from the normed input
            w[name] = heavy_tailed(rng, shape) / (np.sqrt(fan_in) * normed_rms)
    return Checkpoint(cfg, {k: v.astype(np.float32) for k, v in w.items()})
