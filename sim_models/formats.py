"""Weight formats (docs/arithmetic.md section 3a): int8, int4, mxfp4, nvfp4, ternary.

A format turns a float matrix into ROM codes: one element code per weight and (int4, mxfp4,
nvfp4) one scale code per group of `group` consecutive inputs of a row. `decode` maps an
element code and its group's scale code to the integer lane operand `w_eff`; the row's
remaining real factor `u_j` (real weight ~= u_j * w_eff) is folded into the row's requant
multiplier, so the golden model is the int8 matvec of docs/arithmetic.md section 3 on the
integer matrix `w_eff`. The same `decode` serves the quantizer, `compiler.load_build` (which
decodes the ROM images) and the tests; hdl/rf_wdecode.v implements it in logic.

Each format is one class below (its codes, decode, ROM packing and quantizer), registered in
`FORMATS`; nothing outside this module asks a format its name to decide what to do. A format
added here (and in hdl/rf_wdecode.v) is known to the compiler, golden model, CLI and tests.

Groups start at column 0 of each row; the last group of a row may be short (its missing
inputs are zero, which every element format represents exactly).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

DEFAULT_GROUP = 32                       # int4
# 2 * |E2M1| for the three magnitude bits of an FP4 code (E2M1 values 0, 0.5, 1, 1.5, 2, 3, 4, 6)
E2M1_X2 = np.array([0, 1, 2, 3, 4, 6, 8, 12], dtype=np.int64)
TRITS_PER_BYTE = 5                       # ternary: 5 trits per byte (3^5 = 243 <= 256): 1.6 bits
INT4_MAX = 7                             # int4 elements in [-7, 7]
INT4_SCALE_MAX = 15                      # int4 group scales g in [1, 15] (4-bit code)
MX_DELTA_BITS = 3                        # mxfp4: E8M0 exponent of a block relative to its row, 0..7
NV_EXP_BITS = 2                          # nvfp4: E4M3 scale = (8 + m) << e relative to its row, e 0..3
ACC_LIMIT = (1 << 31) - 1                # rf_matvec's 32-bit accumulator


class FormatError(ValueError):
    """A tensor a format cannot represent, or a bad format option; names the tensor and row/block."""


# ------------------------------------------------------------------------------ element codes

def fp4_value_x2(codes: np.ndarray) -> np.ndarray:
    """FP4 E2M1 code (bit 3 sign, bits 2:1 exponent, bit 0 mantissa) -> 2 * value, an integer."""
    c = np.asarray(codes, np.int64)
    mag = E2M1_X2[c & 7]
    return np.where(c & 8, -mag, mag)


def trit_digits(byte: np.ndarray) -> np.ndarray:
    """Ternary ROM byte -> its 5 base-3 digits (..., 5), digit k of byte sum d_k 3^k. Bytes
    243..255 are never written; they give a fifth digit of 3 (the RTL computes the same)."""
    b = np.asarray(byte, np.int64)
    out = []
    for _ in range(TRITS_PER_BYTE):
        q = (b * 171) >> 9          # floor(b / 3) for b < 768, as hdl/rf_wdecode.v computes it
        out.append(b - 3 * q)
        b = q
    out[-1] = out[-1] + 3 * b
    return np.stack(out, axis=-1)


def trit_weight(digit: np.ndarray) -> np.ndarray:
    """digit - 1 as a 2-bit signed value (digit 3, from an unused byte, wraps to -2)."""
    return ((np.asarray(digit, np.int64) - 1 + 2) & 3) - 2



# ------------------------------------------------------------------------------ quantizer helpers

@dataclass
class QuantWeights:
    codes: np.ndarray     # (rows, cols) element codes
    scodes: np.ndarray    # (rows, groups) scale codes ((rows, 0) without group scales)
    u: np.ndarray         # (rows,) real weight per unit of w_eff
    w_eff: np.ndarray     # decode(codes, scodes)


def _check_finite(w: np.ndarray, what: str) -> None:
    bad = ~np.isfinite(w)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise FormatError(f"{what}: row {r} column {c}: weight {w[r, c]} is not finite (NaN/Inf); no format represents it")


def _blocks(w: np.ndarray, group: int) -> np.ndarray:
    rows, cols = w.shape
    nb = -(-cols // group)
    padded = np.zeros((rows, nb * group))
    padded[:, :cols] = w
    return padded.reshape(rows, nb, group)


def _nearest(x: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Index of the nearest grid value to each x >= 0 (grid ascending; ties to the smaller)."""
    mids = (grid[1:] + grid[:-1]) / 2.0
    return np.searchsorted(mids, x, side="left")


def _group_search(wb: np.ndarray, mags: np.ndarray, options: np.ndarray, u_cands: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For blocks wb (rows, nb, G), element magnitude grid `mags` (integers, ascending, from 0)
    and block scale integers `options` (K,), pick per row u among u_cands (rows, C) and per block
    the option minimizing the squared error. Returns (u (rows,), option index (rows, nb),
    element magnitude index (rows, nb, G))."""
    rows, nb, g = wb.shape
    a = np.abs(wb)
    grid = mags.astype(np.float64)
    best_err = np.full(rows, np.inf)
    best_u = np.zeros(rows)
    best_opt = np.zeros((rows, nb), np.int64)
    for ci in range(u_cands.shape[1]):
        u = u_cands[:, ci]
        err_k = np.empty((rows, nb, len(options)))
        for k, s in enumerate(options):
            step = (u * s)[:, None, None]
            idx = _nearest(a / step, grid)
            err_k[:, :, k] = ((a - grid[idx] * step) ** 2).sum(-1)
        opt = np.argmin(err_k, axis=-1)                      # first minimum: the smaller scale
        err = np.take_along_axis(err_k, opt[..., None], -1)[..., 0].sum(-1)
        better = err < best_err
        best_err = np.where(better, err, best_err)
        best_u = np.where(better, u, best_u)
        best_opt = np.where(better[:, None], opt, best_opt)
    step = (best_u[:, None] * options[best_opt])[:, :, None]
    return best_u, best_opt, _nearest(a / step, grid)


REFINE_SWEEPS = 3      # coordinate-descent passes after GPTQ (each stops early when nothing moves)
GPTQ_DAMP = 0.01       # Hessian dampening, a fraction of the mean diagonal


def _prepare_hessian(hessian: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(.., cols, cols) input second moment -> (dampened Hessian, dead columns (.., cols))."""
    h = np.array(hessian, np.float64)
    cols = h.shape[-1]
    diag = np.diagonal(h, axis1=-2, axis2=-1).copy()
    dead = diag <= 0
    eye = np.eye(cols)
    h = h + eye * np.where(dead, 1.0, 0.0)[..., None, :]             # dead inputs: unit diagonal
    mean_diag = np.diagonal(h, axis1=-2, axis2=-1).mean(-1)
    return h + eye * (GPTQ_DAMP * mean_diag)[..., None, None], dead


def _gptq(w: np.ndarray, hessian: np.ndarray, u: np.ndarray, group: int, mags: np.ndarray,
          options: np.ndarray, opt0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GPTQ (Frantar et al. 2022) rounding with the row factors u fixed: columns in order, each
    rounded to its grid and its error spread over the columns not yet rounded through the
    Cholesky factor of the inverse input Hessian. A group's scale option is re-chosen (least
    squared error) on the updated weights as the group is entered. Then `_refine` improves the
    rounding by coordinate descent on the same objective. `hessian` is (cols, cols), shared by
    every row, or (rows, cols, cols), one per row (a loss-weighted Hessian). Returns (option per
    block, signed magnitude index per weight)."""
    rows, cols = w.shape
    h, dead = _prepare_hessian(hessian)
    per_row = h.ndim == 3
    hinv = np.swapaxes(np.linalg.cholesky(np.linalg.inv(h)), -1, -2)   # upper triangular
    if not per_row:
        hinv = np.broadcast_to(hinv, (rows, cols, cols))
    dead_rc = np.broadcast_to(dead, (rows, cols))
    w = np.where(dead_rc, 0.0, w)
    w_in = w.copy()
    grid = mags.astype(np.float64)
    opt = opt0.copy()
    signed_idx = np.zeros((rows, cols), np.int64)
    for i in range(cols):
        if group and i % group == 0:
            blk = np.abs(w[:, i:i + group])
            err_k = np.stack([((blk - grid[_nearest(blk / (u * sv)[:, None], grid)] * (u * sv)[:, None]) ** 2).sum(-1)
                              for sv in options], axis=-1)
            opt[:, i // group] = np.argmin(err_k, axis=-1)
        step = u * (options[opt[:, i // group]] if group else 1.0)
        x = w[:, i]
        idx = _nearest(np.abs(x) / step, grid)
        q = np.where(x < 0, -grid[idx], grid[idx]) * step
        signed_idx[:, i] = np.where(x < 0, -idx, idx)
        e = (x - q) / hinv[:, i, i]
        w[:, i + 1:] -= e[:, None] * hinv[:, i, i + 1:]
    return opt, _refine(w_in, h, u, group, grid, options, opt, signed_idx)


def _refine(w: np.ndarray, h: np.ndarray, u: np.ndarray, group: int, grid: np.ndarray,
            options: np.ndarray, opt: np.ndarray, signed_idx: np.ndarray) -> np.ndarray:
    """Coordinate descent on the GPTQ objective sum_rows e H e^T (e = w - q, scales fixed):
    each weight in turn moves one grid step up or down when that lowers its row's objective,
    REFINE_SWEEPS passes over the columns (deterministic: fixed order, strict improvement)."""
    rows, cols = w.shape
    ng = len(grid)
    step = u[:, None] * (options[opt[:, np.arange(cols) // group]] if group else np.ones((rows, cols)))
    sidx = signed_idx.copy()

    def value(si: np.ndarray) -> np.ndarray:
        mag = grid[np.minimum(np.abs(si), ng - 1)]
        return np.where(si < 0, -mag, mag)

    err = w - value(sidx) * step
    per_row = h.ndim == 3
    g = np.einsum("rc,rcd->rd", err, h) if per_row else err @ h
    diag = np.diagonal(h, axis1=-2, axis2=-1)
    for _ in range(REFINE_SWEEPS):
        moved = False
        for i in range(cols):
            cur = value(sidx[:, i])
            hii = diag[:, i] if per_row else diag[i]
            best_gain = np.zeros(rows)
            best_d = np.zeros(rows)
            best_s = sidx[:, i].copy()
            for ds in (-1, 1):
                ns = sidx[:, i] + ds
                d = (value(ns) - cur) * step[:, i]                   # change of q (err_i -= d)
                gain = 2.0 * d * g[:, i] - d * d * hii                # objective decrease
                better = (np.abs(ns) < ng) & (gain > best_gain * (1 + 1e-12) + 1e-300)
                best_gain = np.where(better, gain, best_gain)
                best_d = np.where(better, d, best_d)
                best_s = np.where(better, ns, best_s)
            if best_d.any():
                moved = True
                sidx[:, i] = best_s
                err[:, i] -= best_d
                g -= best_d[:, None] * (h[:, i, :] if per_row else h[i][None, :])
        if not moved:
            break
    return sidx



def quantize_rows(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-output-row symmetric int8 (docs/arithmetic.md section 2): (W_int8, row scales)."""
    peak = np.max(np.abs(w.astype(np.float64)), axis=1)
    scale = np.where(peak > 0, peak / 127.0, 1.0 / 127.0)
    q = np.clip(np.round(w / scale[:, None]), -127, 127).astype(np.int64)
    return q, scale


# ------------------------------------------------------------------------------ the formats

@dataclass(frozen=True)
class WeightFormat:
    """A weight format: its ROM layout, decode and quantizer. One subclass per format sets the
    class constants; `group` (inputs per scale code, 0: per-row scale only) is per instance
    because int4's is a build option. Make one with `make_format`."""
    group: int = 0

    name: ClassVar[str]              # the CLI / manifest name
    title: ClassVar[str]             # display name
    fid: ClassVar[int]               # the RTL's format code: WFMT build parameter of hdl/rf_wdecode.v
    code_bits: ClassVar[int]         # ROM bits per element code (ternary: 8 bits per 5 elements)
    scale_bits: ClassVar[int] = 0    # ROM bits per scale code
    max_eff: ClassVar[int]           # largest |w_eff| any code pair decodes to
    wbits: ClassVar[int]             # signed width of the decoded lane operand
    group_option: ClassVar[bool] = False     # the group size is a build option (--group)
    uses_calibration: ClassVar[bool] = True  # codes chosen by GPTQ against calibration input Hessians

    @classmethod
    def make(cls, group: int | None = None) -> WeightFormat:
        """The format with build option `group` (None: the format's own)."""
        if group is not None:
            raise FormatError(f"format {cls.name}: has one scale per row; --group {group} does not apply")
        return cls()

    @property
    def has_group_scales(self) -> bool:
        """A scale code per group of inputs (a scale ROM beside the weight ROM)."""
        return self.group > 0

    @property
    def label(self) -> str:
        return f"{self.title} g{self.group}" if self.group_option else self.title

    @property
    def element_bits(self) -> float:
        """ROM bits per element code."""
        return float(self.code_bits)

    def fields(self, lanes: int) -> tuple[int, int]:
        """(fields per weight word, bits per field)."""
        return lanes, self.code_bits

    def word_bits(self, lanes: int) -> int:
        """Width of one weight ROM word (LANES elements)."""
        n, bits = self.fields(lanes)
        return n * bits

    def scales_per_word(self, lanes: int) -> int:
        return max(1, lanes // self.group) if self.group else 0

    def scale_word_bits(self, lanes: int) -> int:
        return self.scales_per_word(lanes) * self.scale_bits

    def lane_scale_index(self, lanes: int) -> np.ndarray:
        """Which scale code of its word each lane uses."""
        if not self.group:
            return np.zeros(lanes, np.int64)
        return np.arange(lanes) // self.group if lanes >= self.group else np.zeros(lanes, np.int64)

    def bits_per_weight(self) -> float:
        """ROM bits per weight at full groups (no row padding)."""
        return self.element_bits + (self.scale_bits / self.group if self.group else 0.0)

    def describe(self) -> dict[str, object]:
        return {"name": self.name, "id": self.fid, "group": self.group, "code_bits": self.code_bits,
                "scale_bits": self.scale_bits, "wbits": self.wbits, "max_eff": self.max_eff,
                "bits_per_weight": round(self.bits_per_weight(), 4)}

    # ---- codes
    def scale_int(self, scales: np.ndarray) -> np.ndarray:
        """Scale code -> the integer factor of its group."""
        return np.ones_like(np.asarray(scales, np.int64))

    def decode(self, codes: np.ndarray, scales: np.ndarray | int = 0) -> np.ndarray:
        """Element codes and their groups' scale codes (broadcast) -> w_eff (int64)."""
        return np.asarray(codes, np.int64)

    def pack_fields(self, codes: np.ndarray, lanes: int) -> np.ndarray:
        """(words, lanes) element codes -> (words, fields) unsigned ROM fields (lane 0 lowest)."""
        return np.asarray(codes, np.int64) & ((1 << self.code_bits) - 1)

    def unpack_fields(self, fields: np.ndarray, lanes: int) -> np.ndarray:
        """Inverse of pack_fields, decoded as the RTL decodes the ROM."""
        return np.asarray(fields, np.int64)

    def quantize(self, w: np.ndarray, what: str, hessian: np.ndarray | None) -> QuantWeights:
        """Float64 matrix (rows, cols), finite -> codes; see `quantize_weights`."""
        raise NotImplementedError


@dataclass(frozen=True)
class Int8(WeightFormat):
    """Signed 8-bit elements, one real scale per row (docs/arithmetic.md section 2): the codes are
    the lane operands; rows round to nearest at their absolute maximum (no calibration)."""
    name: ClassVar[str] = "int8"
    title: ClassVar[str] = "int8"
    fid: ClassVar[int] = 0
    code_bits: ClassVar[int] = 8
    max_eff: ClassVar[int] = 127
    wbits: ClassVar[int] = 8
    uses_calibration: ClassVar[bool] = False

    def unpack_fields(self, fields: np.ndarray, lanes: int) -> np.ndarray:
        return ((np.asarray(fields, np.int64) & 255) ^ 128) - 128

    def quantize(self, w: np.ndarray, what: str, hessian: np.ndarray | None) -> QuantWeights:
        q, scale = quantize_rows(w)
        return QuantWeights(q, np.zeros((w.shape[0], 0), np.int64), scale, q.copy())


@dataclass(frozen=True)
class Ternary(WeightFormat):
    """Elements in {-1, 0, 1}, five per ROM byte (digits w + 1 of base 3), one real scale per row."""
    name: ClassVar[str] = "ternary"
    title: ClassVar[str] = "ternary"
    fid: ClassVar[int] = 4
    code_bits: ClassVar[int] = 2
    max_eff: ClassVar[int] = 2
    wbits: ClassVar[int] = 2

    @property
    def element_bits(self) -> float:
        return 8 / TRITS_PER_BYTE

    def fields(self, lanes: int) -> tuple[int, int]:
        return -(-lanes // TRITS_PER_BYTE), 8

    def pack_fields(self, codes: np.ndarray, lanes: int) -> np.ndarray:
        c = np.asarray(codes, np.int64)
        nbytes = self.fields(lanes)[0]
        digits = np.ones((c.shape[0], nbytes * TRITS_PER_BYTE), np.int64)   # padding lanes: digit 1 = 0
        digits[:, :lanes] = c + 1
        return (digits.reshape(c.shape[0], nbytes, TRITS_PER_BYTE) * 3 ** np.arange(TRITS_PER_BYTE)).sum(-1)

    def unpack_fields(self, fields: np.ndarray, lanes: int) -> np.ndarray:
        """Ternary bytes decode through trit_digits, as the RTL does."""
        f = np.asarray(fields, np.int64)
        return trit_weight(trit_digits(f)).reshape(f.shape[0], -1)[:, :lanes]

    def quantize(self, w: np.ndarray, what: str, hessian: np.ndarray | None) -> QuantWeights:
        rows = w.shape[0]
        a = np.abs(w)
        zero = a.max(axis=1) == 0
        if zero.any():
            raise FormatError(f"{what}: row {int(np.argmax(zero))}: all zero; no row scale represents it")
        absmean = a.mean(axis=1)
        # absmean * 2^(k/8) around BitNet's choice, and the row maximum (exact for rows that
        # are already ternary, e.g. a ternary-trained checkpoint)
        cands = np.concatenate([absmean[:, None] * 2.0 ** (np.arange(-8, 9) / 8.0), a.max(axis=1)[:, None]], axis=1)
        q = np.clip(np.round(w[:, None, :] / cands[:, :, None]), -1, 1)
        err = ((w[:, None, :] - q * cands[:, :, None]) ** 2).sum(-1)
        pick = np.argmin(err, axis=1)
        u = cands[np.arange(rows), pick]
        codes = np.clip(np.round(w / u[:, None]), -1, 1).astype(np.int64)
        exact = np.all(codes * u[:, None] == w, axis=1)
        if hessian is not None and not exact.all():
            _, idx = _gptq(w, hessian, u, 0, np.arange(2), np.ones(1), np.zeros((rows, 1), np.int64))
            codes = np.where(exact[:, None], codes, idx)
        return QuantWeights(codes, np.zeros((rows, 0), np.int64), u, codes.copy())


@dataclass(frozen=True)
class GroupScaled(WeightFormat):
    """4-bit elements with a scale code per group of `group` inputs and a real factor per row. The
    quantizer searches, per row, the real factor u (around row peak / largest w_eff) and per group
    the scale option with the least squared weight error; with a calibration Hessian, GPTQ then
    rounds the elements (and re-picks group scales) for the least output error."""
    code_bits: ClassVar[int] = 4
    wbits: ClassVar[int] = 12

    def magnitudes(self) -> np.ndarray:
        """Element magnitudes (integers, ascending from 0) an element code can take."""
        return E2M1_X2

    def scale_options(self) -> np.ndarray:
        """The integer factors a group's scale code can take, ascending."""
        raise NotImplementedError

    def element_codes(self, neg: np.ndarray, mag_idx: np.ndarray) -> np.ndarray:
        """Sign and magnitude index -> element code (FP4: sign bit 3, E2M1 magnitude bits 2:0)."""
        return mag_idx | np.where(neg & (mag_idx > 0), 8, 0)

    def scale_codes(self, opt: np.ndarray) -> np.ndarray:
        """Index into scale_options() -> scale code."""
        return opt

    def row_factor_candidates(self, peak: np.ndarray) -> np.ndarray:
        """(rows, C) candidate real factors u from the block peaks (rows, blocks)."""
        top = int(self.magnitudes()[-1]) * int(self.scale_options()[-1])
        return (peak.max(axis=1) / top)[:, None] * (2.0 ** (np.arange(-8, 9) / 16.0))[None, :]

    def decode(self, codes: np.ndarray, scales: np.ndarray | int = 0) -> np.ndarray:
        return fp4_value_x2(codes) * self.scale_int(scales)

    def quantize(self, w: np.ndarray, what: str, hessian: np.ndarray | None) -> QuantWeights:
        rows, cols = w.shape
        wb = _blocks(w, self.group)
        peak = np.abs(wb).max(axis=-1)                            # (rows, nb)
        if (peak == 0).any():
            r, b = np.argwhere(peak == 0)[0]
            raise FormatError(f"{what}: row {r} block {b} (inputs {b * self.group}..{min(cols, (b + 1) * self.group) - 1}): "
                              f"all zero; no {self.name} block scale represents it")
        mags, options = self.magnitudes(), self.scale_options()
        u, opt, mag_idx = _group_search(wb, mags, options, self.row_factor_candidates(peak))
        neg = wb < 0
        if hessian is not None:
            opt, sidx = _gptq(w, hessian, u, self.group, mags, options, opt)
            full = np.zeros((rows, wb.shape[1] * self.group), np.int64)
            full[:, :cols] = sidx
            full = full.reshape(wb.shape)
            neg, mag_idx = full < 0, np.abs(full)
        codes = self.element_codes(neg, mag_idx).reshape(rows, -1)[:, :cols].astype(np.int64)
        scodes = self.scale_codes(opt).astype(np.int64)
        w_eff = self.decode(codes, scodes[:, np.arange(cols) // self.group])
        return QuantWeights(codes, scodes, u, w_eff)


@dataclass(frozen=True)
class Int4(GroupScaled):
    """Signed 4-bit elements in [-7, 7] times an integer group scale g in [1, 15]."""
    group: int = DEFAULT_GROUP
    name: ClassVar[str] = "int4"
    title: ClassVar[str] = "int4"
    fid: ClassVar[int] = 1
    scale_bits: ClassVar[int] = 4
    max_eff: ClassVar[int] = 8 * INT4_SCALE_MAX
    wbits: ClassVar[int] = 8
    group_option: ClassVar[bool] = True

    @classmethod
    def make(cls, group: int | None = None) -> WeightFormat:
        """`group`: a power of two, 4..256 (default 32)."""
        group = DEFAULT_GROUP if group is None else group
        if group < 4 or group > 256 or group & (group - 1):
            raise FormatError(f"format int4: group size {group} does not divide the lane words of a row: "
                              "it must be a power of two from 4 to 256")
        return cls(int(group))

    def magnitudes(self) -> np.ndarray:
        return np.arange(INT4_MAX + 1)

    def scale_options(self) -> np.ndarray:
        return np.arange(1, INT4_SCALE_MAX + 1)

    def element_codes(self, neg: np.ndarray, mag_idx: np.ndarray) -> np.ndarray:
        return np.where(neg, -mag_idx, mag_idx) & 15          # two's complement nibble

    def scale_codes(self, opt: np.ndarray) -> np.ndarray:
        return self.scale_options()[opt]

    def scale_int(self, scales: np.ndarray) -> np.ndarray:
        return np.asarray(scales, np.int64)

    def decode(self, codes: np.ndarray, scales: np.ndarray | int = 0) -> np.ndarray:
        q = ((np.asarray(codes, np.int64) & 15) ^ 8) - 8
        return q * self.scale_int(scales)


@dataclass(frozen=True)
class FixedBlock(GroupScaled):
    """A group-scaled format whose block size the format itself fixes (OCP MX, NVIDIA NVFP4)."""

    @classmethod
    def make(cls, group: int | None = None) -> WeightFormat:
        block = cls.__dataclass_fields__["group"].default
        if group not in (None, block):
            raise FormatError(f"format {cls.name}: the block size is fixed at {block} by the format; got --group {group}")
        return cls()


@dataclass(frozen=True)
class MxFp4(FixedBlock):
    """FP4 E2M1 elements, an E8M0 power-of-two scale 2^d (d 0..7, relative to the row) per 32 inputs."""
    group: int = 32
    name: ClassVar[str] = "mxfp4"
    title: ClassVar[str] = "MXFP4"
    fid: ClassVar[int] = 2
    scale_bits: ClassVar[int] = MX_DELTA_BITS
    max_eff: ClassVar[int] = 12 << ((1 << MX_DELTA_BITS) - 1)

    def scale_options(self) -> np.ndarray:
        return 1 << np.arange(1 << MX_DELTA_BITS)

    def scale_int(self, scales: np.ndarray) -> np.ndarray:
        return np.left_shift(1, np.asarray(scales, np.int64))

    def row_factor_candidates(self, peak: np.ndarray) -> np.ndarray:
        # plain OCP MXFP4 as a candidate: E8M0 X_b = 2^(floor(log2 peak_b) - 2), u a power of two
        e = np.floor(np.log2(peak)) - 2
        u_plain = 2.0 ** (e.max(axis=1) - ((1 << MX_DELTA_BITS) - 1)) / 2.0
        return np.concatenate([super().row_factor_candidates(peak), u_plain[:, None]], axis=1)


@dataclass(frozen=True)
class NvFp4(FixedBlock):
    """FP4 E2M1 elements, an E4M3-like scale (8 + m) << e (m 0..7, e 0..3, relative to the row) per 16 inputs."""
    group: int = 16
    name: ClassVar[str] = "nvfp4"
    title: ClassVar[str] = "NVFP4"
    fid: ClassVar[int] = 3
    scale_bits: ClassVar[int] = 3 + NV_EXP_BITS
    max_eff: ClassVar[int] = 12 * 15 << ((1 << NV_EXP_BITS) - 1)

    def scale_options(self) -> np.ndarray:
        return np.unique([(8 + m) << e for e in range(1 << NV_EXP_BITS) for m in range(8)])

    def scale_codes(self, opt: np.ndarray) -> np.ndarray:
        val = self.scale_options()[opt]
        e = np.floor(np.log2(val / 8)).astype(np.int64)
        return ((val >> e) - 8) | (e << 3)

    def scale_int(self, scales: np.ndarray) -> np.ndarray:
        s = np.asarray(scales, np.int64)
        return (8 + (s & 7)) << (s >> 3)


# Every format, by name (the CLI's and the manifest's), in the order of the docs' tables.
FORMATS: dict[str, type[WeightFormat]] = {f.name: f for f in (Int8, Int4, MxFp4, NvFp4, Ternary)}
FORMAT_NAMES = tuple(FORMATS)


def make_format(name: str = "int8", group: int | None = None) -> WeightFormat:
    """The format `name`; `group` is the int4 group size (a power of two, 4..256, default 32)."""
    if name not in FORMATS:
        raise FormatError(f"format: unknown format {name!r}; choose one of {', '.join(FORMAT_NAMES)}")
    return FORMATS[name].make(group)


def format_from_description(desc: dict) -> WeightFormat:
    """The format a build's manifest "format" entry (WeightFormat.describe) names."""
    name = desc.get("name")
    if name not in FORMATS:
        raise FormatError(f"format: unknown format {name!r}; choose one of {', '.join(FORMAT_NAMES)}")
    cls = FORMATS[name]
    return cls.make(desc.get("group") if cls.group_option else None)


INT8 = make_format("int8")


# ------------------------------------------------------------------------------ codes and ROM words

def scale_int(fmt: WeightFormat, scales: np.ndarray) -> np.ndarray:
    """Scale code -> the integer factor of its group (int4 g; mxfp4 2^d; nvfp4 (8+m) << e)."""
    return fmt.scale_int(scales)


def decode(fmt: WeightFormat, codes: np.ndarray, scales: np.ndarray | int = 0) -> np.ndarray:
    """Element codes and their groups' scale codes (broadcast) -> w_eff (int64).

    Codes: int8 the signed value; int4 the 4-bit two's complement nibble; mxfp4/nvfp4 the FP4
    E2M1 nibble; ternary the value in {-1, 0, 1}."""
    return fmt.decode(codes, scales)


def pack_fields(fmt: WeightFormat, codes: np.ndarray, lanes: int) -> np.ndarray:
    """(words, lanes) element codes -> (words, fields) unsigned ROM fields (lane 0 lowest)."""
    return fmt.pack_fields(codes, lanes)


def unpack_fields(fmt: WeightFormat, fields: np.ndarray, lanes: int) -> np.ndarray:
    """Inverse of pack_fields (ternary bytes decode through trit_digits, as the RTL does)."""
    return fmt.unpack_fields(fields, lanes)


def fields_hex(fields: np.ndarray, bits: int) -> str:
    """(words, n) unsigned fields of `bits` bits -> one hex word per line, field 0 least significant."""
    f = np.asarray(fields, np.uint64)
    nwords, n = f.shape
    width = n * bits
    digits = -(-width // 4)
    if bits % 4 == 0:       # whole hex digits per field: no bit-level expansion (large ROMs)
        k = bits // 4
        nib = np.empty((nwords, n, k), np.uint8)
        rev = f[:, ::-1]
        for j in range(k):
            nib[:, :, k - 1 - j] = (rev >> np.uint64(4 * j)) & np.uint64(15)
        nib = nib.reshape(nwords, digits)
    else:
        lsb = ((f[:, :, None] >> np.arange(bits, dtype=np.uint64)) & np.uint64(1)).astype(np.uint8).reshape(nwords, width)
        msb = np.zeros((nwords, digits * 4), np.uint8)
        msb[:, digits * 4 - width:] = lsb[:, ::-1]
        nib = msb.reshape(nwords, digits, 4) @ np.array([8, 4, 2, 1], np.uint8)
    chars = np.frombuffer(b"0123456789abcdef", np.uint8)[nib]
    out = np.full((nwords, digits + 1), ord("\n"), np.uint8)
    out[:, :digits] = chars
    return out.tobytes().decode()


def hex_fields(text: str, n: int, bits: int) -> np.ndarray:
    """Inverse of fields_hex."""
    lines = text.split()
    width = n * bits
    digits = -(-width // 4)
    raw = np.frombuffer("".join(lines).encode(), np.uint8).reshape(len(lines), digits)
    nib = np.where(raw >= ord("a"), raw - ord("a") + 10, raw - ord("0")).astype(np.uint8)
    if bits % 4 == 0:
        k = bits // 4
        per_field = nib.reshape(len(lines), n, k)[:, ::-1, :].astype(np.int64)
        return (per_field << (4 * np.arange(k - 1, -1, -1))).sum(-1)
    msb = ((nib[:, :, None] >> np.array([3, 2, 1, 0], np.uint8)) & 1).reshape(len(lines), digits * 4)
    lsb = msb[:, ::-1][:, :width].reshape(len(lines), n, bits).astype(np.int64)
    return (lsb << np.arange(bits)).sum(-1)


def scale_words(fmt: WeightFormat, scodes: np.ndarray, cols: int, lanes: int) -> np.ndarray:
    """(rows, groups) scale codes -> (rows * words_per_row, scales_per_word): the codes each
    weight word needs, read from the scale ROM at the weight word's own address."""
    rows = scodes.shape[0]
    wpr = -(-cols // lanes)
    nsc = fmt.scales_per_word(lanes)
    if lanes >= fmt.group:
        idx = np.arange(wpr)[:, None] * nsc + np.arange(nsc)[None, :]        # group of each code slot
    else:
        idx = (np.arange(wpr) * lanes // fmt.group)[:, None]
    padded = np.zeros((rows, max(int(idx.max()) + 1, scodes.shape[1])), np.int64)
    padded[:, :scodes.shape[1]] = scodes
    return padded[:, idx].reshape(rows * wpr, nsc)


def decode_words(fmt: WeightFormat, codes: np.ndarray, swords: np.ndarray | None, lanes: int) -> np.ndarray:
    """(words, lanes) element codes + (words, scales_per_word) scale codes -> (words, lanes) w_eff."""
    if swords is None:
        return decode(fmt, codes)
    return decode(fmt, codes, swords[:, fmt.lane_scale_index(lanes)])


# ------------------------------------------------------------------------------ quantizing a matrix

def quantize_weights(w: np.ndarray, fmt: WeightFormat, what: str, hessian: np.ndarray | None = None) -> QuantWeights:
    """Float matrix (rows, cols) -> codes, scale codes and row factors of `fmt`, every scale
    chosen by a search for the least squared weight error (docs/arithmetic.md section 3a).
    With `hessian` (cols, cols), the second moment of the matrix's inputs over the calibration
    run, the elements (and group scales) of a format that `uses_calibration` are then chosen by
    GPTQ for the least output error. int8 rounds each row at its absolute maximum (section 2)."""
    w = np.asarray(w, np.float64)
    _check_finite(w, what)
    rows, cols = w.shape
    if hessian is not None and hessian.shape not in ((cols, cols), (rows, cols, cols)):
        raise FormatError(f"{what}: calibration Hessian shape {hessian.shape} does not match {rows} rows of {cols} inputs")
    return fmt.quantize(w, what, hessian)


def check_accumulator(w_eff: np.ndarray, what: str) -> None:
    """Every row's |sum w * a| over int8 activations (|a| <= 128) fits rf_matvec's 32-bit accumulator."""
    bound = np.abs(w_eff).sum(axis=1) * 128
    if bound.size and bound.max() > ACC_LIMIT:
        r = int(np.argmax(bound))
        raise FormatError(f"{what}: row {r}: accumulator bound {int(bound[r])} exceeds the 32-bit accumulator")
