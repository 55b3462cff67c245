"""What the chip's fixed-width datapath can hold: the one place these limits are defined.

The RTL carries token ids, positions and matrix row indices in 16 bits and the layer
index in 8 bits (the RMSNorm gain index 2 * layer + 1 must fit those 8 bits too). Words
per row are sized from the build (rf_core WPR_BITS), so they have no fixed limit. The
compiler calls :func:`check_chip_limits` before it writes anything, so a model the RTL
cannot run is rejected with the field named instead of being silently wrapped.

The output stream answers a bad prompt with one ERROR_TOKEN beat (0xFFFF); that value is
reserved, so token ids are 0 .. 0xFFFE and the vocabulary holds at most 0xFFFF entries.

Within these limits every shape a checkpoint may have works (Config/validate_config: dim a
multiple of n_heads, n_heads a multiple of n_kv_heads, an even head size for the RoPE pairs):
GQA, hidden sizes and dims that are not a multiple of LANES, and head sizes that are not a power
of two (llama2.c's stories15M has 48). The RTL divides by the head size in one place at run time,
rf_core's RoPE frequency index `y_row % HEAD_SIZE`, a modulo by a constant that is exact for any
constant (synthesis builds a constant divider instead of a bit slice); rf_attention's `/` and
`%` by HEAD_SIZE index generate loops and are evaluated at elaboration. Model-dependent numbers
(RoPE theta, RMSNorm eps, scales) are ROM contents, not limits. tests/test_limits.py compiles
models of such shapes and checks the golden model on the compiled ROMs.
"""
from __future__ import annotations

from pathlib import Path

from .checkpoint import CheckpointError, Config

TOKEN_BITS = 16                        # AXI4-Stream TDATA, token registers, select unit
ERROR_TOKEN = (1 << TOKEN_BITS) - 1    # the error beat; no real token may use it
MAX_VOCAB = ERROR_TOKEN                # ids 0 .. ERROR_TOKEN - 1
POS_BITS = 16                          # position counter: must hold seq_len itself
MAX_SEQ_LEN = (1 << POS_BITS) - 1
ROW_BITS = 16                          # rows of one matrix phase (q/k/v, w1/w3 pairs, vocab)
MAX_ROWS = (1 << ROW_BITS) - 1
LAYER_BITS = 8                         # layer index; the norm index 2 * layer + 1 too
MAX_LAYERS = ((1 << LAYER_BITS) - 1 - 1) // 2


def check_chip_limits(cfg: Config, path: str | Path = "<config>") -> None:
    """Raise CheckpointError naming the field when the shape exceeds what the RTL holds."""
    rows = {
        "vocab_size": (cfg.vocab_size, MAX_VOCAB,
                       f"token ids are {TOKEN_BITS}-bit and {ERROR_TOKEN:#06x} is the error beat"),
        "seq_len": (cfg.seq_len, MAX_SEQ_LEN, f"the position counter is {POS_BITS}-bit"),
        "n_layers": (cfg.n_layers, MAX_LAYERS, f"the layer index is {LAYER_BITS}-bit (norm index 2L+1)"),
        "dim": (cfg.dim + 2 * cfg.kv_dim, MAX_ROWS, f"q/k/v rows (dim + 2 kv_dim) are counted in {ROW_BITS} bits"),
        "hidden_dim": (2 * cfg.hidden_dim, MAX_ROWS, f"w1/w3 rows (2 hidden_dim) are counted in {ROW_BITS} bits"),
    }
    for name, (value, limit, why) in rows.items():
        if value > limit:
            raise CheckpointError(path, name, f"{value} exceeds the chip's limit {limit} ({why})")
