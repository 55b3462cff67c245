"""Facts of the core's datapath that the golden model, compiler, schedule and adapters share.

A layer has seven matrices. The sequencer (hdl/rf_core.v) runs them in four matrix-vector phases;
the matrices of one phase read the same input vector and are one product with their rows
concatenated (the golden model fuses them the same way). In ROM (docs/rom_layout.md) each matrix is
a region of its own, except the w13 phase, whose w1 and w3 rows alternate in one region
(w1[0], w3[0], w1[1], ...) so rf_swiglu gets each pair back to back. Outputs that feed the residual
stream are 16-bit; the others 8-bit.
"""
from __future__ import annotations

from .checkpoint import Config

# A layer's matrices in phase order; also the bit order of an adapter build's TARGETS mask.
MATRICES: tuple[str, ...] = ("wq", "wk", "wv", "wo", "w1", "w3", "w2")
# rf_core's matrix-vector phases, in the order the sequencer runs them: phase -> its matrices.
PHASES: dict[str, tuple[str, ...]] = {"qkv": ("wq", "wk", "wv"), "wo": ("wo",), "w13": ("w1", "w3"), "w2": ("w2",)}
# Phases whose matrices' rows alternate in one ROM region (named after the phase).
INTERLEAVED_PHASES: frozenset[str] = frozenset({"w13"})
# Requantized output width of each matrix (and of the classifier).
OUT_BITS: dict[str, int] = {"wq": 8, "wk": 8, "wv": 8, "wo": 16, "w1": 8, "w3": 8, "w2": 16}
CLS_OUT_BITS = 16
# The LoRA unit's (hdl/rf_lora.v) maximum rank R of a build: a power of two, R/4 words per B row.
RANK_CHOICES: tuple[int, ...] = (4, 8, 16)


def mat_shape(cfg: Config, m: str) -> tuple[int, int]:
    """(rows, cols) of a layer matrix."""
    d, kv, h = cfg.dim, cfg.kv_dim, cfg.hidden_dim
    return {"wq": (d, d), "wk": (kv, d), "wv": (kv, d), "wo": (d, d), "w1": (h, d), "w3": (h, d), "w2": (d, h)}[m]


def phase_shape(cfg: Config, phase: str) -> tuple[int, int]:
    """(rows, cols) of a phase's fused product: its matrices' rows together, their common input."""
    names = PHASES[phase]
    return sum(mat_shape(cfg, m)[0] for m in names), mat_shape(cfg, names[0])[1]


def _rom_regions() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """A layer's weight ROM regions in address order: (region name, the matrices whose rows it holds)."""
    out: list[tuple[str, tuple[str, ...]]] = []
    for phase, names in PHASES.items():
        if phase in INTERLEAVED_PHASES:
            out.append((phase, names))
        else:
            out.extend((m, (m,)) for m in names)
    return tuple(out)


ROM_REGIONS = _rom_regions()
