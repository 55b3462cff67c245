"""The integer adapter a chip holds: per layer and target a `QLora`, padded to the build's rank R.

`IntAdapter.apply` is the golden model's hook (`GoldenModel(qm, adapter=...)`): it adds the LoRA term
to a phase's requantized output. `IntAdapter.image` is the SRAM image and `from_image` decodes one,
so the golden model can run on exactly the bits the chip holds.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..checkpoint import Config
from ..hardware import OUT_BITS, PHASES, mat_shape
from .arithmetic import QLora
from .sram_image import decode_image, encode_image, image_layout


@dataclass
class IntAdapter:
    cfg: Config
    lanes: int
    rank_max: int
    targets: tuple[str, ...]          # the build's adapter targets (hardware.MATRICES order)
    layers: list[dict[str, QLora]]
    rank: int = 0                     # the adapter's own rank (<= rank_max)
    scales: dict[str, list[float]] = field(default_factory=dict)

    def apply(self, layer: int, group: str, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """y (n, rows of the phase `group`) of inputs a -> y with this adapter's terms added."""
        names = PHASES[group]
        if not any(m in self.targets for m in names):
            return y
        out, off = y.copy(), 0
        for m in names:
            rows = mat_shape(self.cfg, m)[0]
            if m in self.targets:
                out[:, off:off + rows] = self.layers[layer][m].apply(a, y[:, off:off + rows])
            off += rows
        return out

    def layout(self) -> dict[str, dict[str, int]]:
        return image_layout(self.cfg, self.lanes, self.rank_max, self.targets)

    def image(self) -> np.ndarray:
        """The SRAM image: 32-bit words in bus order (sram_image)."""
        return encode_image(self.cfg, self.lanes, self.rank_max, self.targets, self.layers)


def from_image(cfg: Config, lanes: int, rank_max: int, targets: tuple[str, ...], img: np.ndarray,
               what: str = "image") -> IntAdapter:
    """Decode an SRAM image (32-bit words, `IntAdapter.image` order)."""
    return IntAdapter(cfg, lanes, rank_max, targets, decode_image(cfg, lanes, rank_max, targets, img, what), rank_max)


def random_adapter(cfg: Config, lanes: int, rank_max: int, targets: tuple[str, ...], seed: int) -> IntAdapter:
    """Random integer adapter (for RTL tests): int8 A/B including -127/127 rows, multipliers in [2^14, 2^15]
    and shifts around the size of the sums, so u and y' are sometimes saturated, sometimes rounded to 0."""
    rng = np.random.default_rng(seed)
    layers = []
    for _ in range(cfg.n_layers):
        d = {}
        for m in targets:
            rows, cols = mat_shape(cfg, m)
            a8 = rng.integers(-127, 128, (rank_max, cols))
            a8[0] = 127
            b8 = rng.integers(-127, 128, (rows, rank_max))
            b8[rng.integers(0, rows)] = -127
            am = rng.integers(1 << 14, (1 << 15) + 1, rank_max)
            bm = rng.integers(1 << 14, (1 << 15) + 1, rows)
            typ_a = int(np.log2(np.sqrt(cols) * 74 * 74 * (1 << 15)))
            typ_b = int(np.log2(np.sqrt(rank_max) * 74 * 74 * (1 << 15)))
            ash = np.clip(typ_a - 6 + rng.integers(-3, 4, rank_max), 1, 62)
            bsh = np.clip(typ_b - (OUT_BITS[m] - 3) + rng.integers(-4, 5, rows), 1, 62)
            d[m] = QLora(a8, am, ash, b8, bm, bsh, OUT_BITS[m])
        layers.append(d)
    return IntAdapter(cfg, lanes, rank_max, targets, layers, rank_max)
