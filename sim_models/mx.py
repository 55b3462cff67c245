"""Activation formats of the matmul inputs (docs/arithmetic.md section 3b): static, mx.

Every matmul input (the RMSNorm outputs, the attention output, the SwiGLU gate product, the
final norm) is produced by its unit as a signed integer at a compile-time scale `s * 2^-frac`,
saturated to `wide_bits`, and the activation format turns that *wide* value into the operand
the matrix-vector unit multiplies and accumulates:

* `static`: frac 0, 8 bits, the operand is the int8 itself (one static scale per tensor).
* `mx`: frac `MX_FRAC`, `8 + MX_EMAX` bits; each block of `block` consecutive inputs (blocks
  start at input 0; the last may be short) gets a shared power of two `2^e`, `e` in
  `0..MX_EMAX` from the leading-sign count of the block's largest magnitude, and int8
  elements `sat(rsr(wide, e), 8)`. The accumulator sums `element << e` (section 3b), which the
  golden model and any test compute with `block_operand`. q, k, v and the KV cache keep static
  scales with `MX_QKV_FRAC` more fraction bits (int12): measured, they need precision, not range.

One class per format, registered in `ACT_FORMATS`: a format added here is known to the
quantizer, the golden model, the compiler, the manifest and the CLI.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .intops import rsr, sat

MX_BLOCKS = (16, 32)      # block sizes a build may choose (--act-block)
MX_DEFAULT_BLOCK = 32     # OCP MX's block size
MX_EXP_BITS = 3           # the block exponent e is 3 bits unsigned: 0..MX_EMAX
MX_EMAX = (1 << MX_EXP_BITS) - 1
MX_FRAC = 4               # fraction bits the wide value keeps below the static scale s
MX_QKV_FRAC = 4           # q, k, v and the KV cache: fraction bits below their static scales (int12)
ELEMENT_BITS = 8          # MXINT8 elements


class ActFormatError(ValueError):
    """An unknown activation format or a bad option; names the option."""


# ------------------------------------------------------------------------------ the operations

def sign_magnitude(wide: np.ndarray) -> np.ndarray:
    """v for v >= 0, ~v = -v - 1 for v < 0 (the bits below the sign that differ from it)."""
    v = np.asarray(wide, np.int64)
    return np.where(v < 0, ~v, v)


def _blocked(v: np.ndarray, block: int) -> np.ndarray:
    """(..., n) -> (..., ceil(n / block), block), the last block zero-padded."""
    n = v.shape[-1]
    nb = -(-n // block)
    padded = np.zeros(v.shape[:-1] + (nb * block,), np.int64)
    padded[..., :n] = v
    return padded.reshape(v.shape[:-1] + (nb, block))


def block_exponents(wide: np.ndarray, block: int) -> np.ndarray:
    """(..., n) wide values -> (..., ceil(n / block)) exponents e = max(0, bitlen(OR_i m_i) - 7),
    m_i = sign_magnitude(wide_i) (bitlen(0) = 0): the smallest e with every
    -2^(e+7) <= wide_i < 2^(e+7), so the elements fit int8 before rounding."""
    m = np.bitwise_or.reduce(_blocked(sign_magnitude(wide), block), axis=-1)
    _, bits = np.frexp(m.astype(np.float64))            # exact: m < 2^53; frexp(0) gives 0
    return np.maximum(bits.astype(np.int64) - (ELEMENT_BITS - 1), 0)


def expand_blocks(e: np.ndarray, block: int, n: int) -> np.ndarray:
    """(..., blocks) per-block values -> (..., n) per-input values."""
    return np.repeat(np.asarray(e, np.int64), block, axis=-1)[..., :n]


def block_elements(wide: np.ndarray, e: np.ndarray, block: int) -> np.ndarray:
    """The int8 elements: sat(rsr(wide_i, e_b), 8), b the block of input i."""
    wide = np.asarray(wide, np.int64)
    return sat(rsr(wide, expand_blocks(e, block, wide.shape[-1])), ELEMENT_BITS)


def block_operand(elements: np.ndarray, e: np.ndarray, block: int) -> np.ndarray:
    """What the accumulator sums per input: element_i << e_b. sum_i w_i (element_i << e_b) is the
    sum over blocks of (the block's int8 x weight partial sum) << e_b, bit for bit."""
    elements = np.asarray(elements, np.int64)
    return np.left_shift(elements, expand_blocks(e, block, elements.shape[-1]))


# ------------------------------------------------------------------------------ the formats

@dataclass(frozen=True)
class ActFormat:
    """An activation format with its build option `block` (0: none)."""
    block: int = 0

    name: ClassVar[str]          # the CLI / manifest name
    aid: ClassVar[int]           # the RTL's build parameter ACT_FMT
    frac: ClassVar[int] = 0      # fraction bits of the wide value below the static scale
    exp_bits: ClassVar[int] = 0  # block exponent bits
    wide_bits: ClassVar[int] = ELEMENT_BITS   # the producing unit saturates to this width
    qkv_frac: ClassVar[int] = 0  # fraction bits of q, k, v (and the KV cache) below their static scales

    @property
    def qkv_bits(self) -> int:
        """Signed width of q, k, v, the rotated q/k and the KV cache entries."""
        return ELEMENT_BITS + self.qkv_frac

    @classmethod
    def make(cls, block: int | None = None) -> ActFormat:
        if block is not None:
            raise ActFormatError(f"--act-block {block}: applies to --act mx only, not --act {cls.name}")
        return cls()

    @property
    def label(self) -> str:
        return f"{self.name} B{self.block}" if self.block else self.name

    @property
    def acc_extra_bits(self) -> int:
        """Bits the matvec accumulator needs beyond the static 32 (section 3b)."""
        return (1 << self.exp_bits) - 1 if self.exp_bits else 0

    def describe(self) -> dict[str, object]:
        return {"name": self.name, "id": self.aid, "block": self.block, "frac": self.frac,
                "exp_bits": self.exp_bits, "wide_bits": self.wide_bits, "qkv_bits": self.qkv_bits}

    def operand(self, wide: np.ndarray) -> np.ndarray:
        """The producing unit's wide output (..., n) -> the matvec operand of each input."""
        return np.asarray(wide, np.int64)


@dataclass(frozen=True)
class Static(ActFormat):
    """One static scale per tensor (calibration); the wide value is the int8 operand."""
    name: ClassVar[str] = "static"
    aid: ClassVar[int] = 0


@dataclass(frozen=True)
class Mx(ActFormat):
    """Block-scaled MXINT8: int8 elements, one power of two per `block` inputs."""
    block: int = MX_DEFAULT_BLOCK

    name: ClassVar[str] = "mx"
    aid: ClassVar[int] = 1
    frac: ClassVar[int] = MX_FRAC
    exp_bits: ClassVar[int] = MX_EXP_BITS
    wide_bits: ClassVar[int] = ELEMENT_BITS + MX_EMAX
    qkv_frac: ClassVar[int] = MX_QKV_FRAC

    @classmethod
    def make(cls, block: int | None = None) -> ActFormat:
        if block is None:
            return cls()
        if isinstance(block, bool) or not isinstance(block, (int, np.integer)) or int(block) not in MX_BLOCKS:
            raise ActFormatError(f"--act-block: {block!r} is not one of {', '.join(map(str, MX_BLOCKS))}")
        return cls(int(block))

    def operand(self, wide: np.ndarray) -> np.ndarray:
        e = block_exponents(wide, self.block)
        return block_operand(block_elements(wide, e, self.block), e, self.block)


ACT_FORMATS: dict[str, type[ActFormat]] = {f.name: f for f in (Static, Mx)}
ACT_NAMES = tuple(ACT_FORMATS)


def make_act_format(name: str = "static", block: int | None = None) -> ActFormat:
    """The activation format `name`; `block` is mx's block size (16 or 32, default 32)."""
    if name not in ACT_FORMATS:
        raise ActFormatError(f"--act: unknown activation format {name!r}; choose one of {', '.join(ACT_NAMES)}")
    return ACT_FORMATS[name].make(block)


def act_format_from_description(desc: dict, where: str = "manifest.json") -> ActFormat:
    """The format a build manifest's "act" entry (ActFormat.describe) names."""
    name = desc.get("name")
    if name not in ACT_FORMATS:
        raise ActFormatError(f"{where}: act: unknown activation format {name!r}; choose one of {', '.join(ACT_NAMES)}")
    cls = ACT_FORMATS[name]
    fmt = cls.make(desc.get("block")) if cls is Mx else cls.make()
    want = fmt.describe()
    for key in ("frac", "exp_bits", "wide_bits", "qkv_bits"):
        if desc.get(key, want[key]) != want[key]:
            raise ActFormatError(f"{where}: act: {key} {desc.get(key)} differs from this model's {name} ({want[key]}); "
                                 "recompile the build")
    return fmt


STATIC = Static()
