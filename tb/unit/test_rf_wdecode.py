"""rf_wdecode against sim_models.formats (decode_words of unpack_fields): every element code
with every scale code in every lane, every ternary byte value (0..255, including the 13 the
compiler never writes) in every byte slot, then random words. The format comes from
$RF_WDECODE_FORMAT / $RF_WDECODE_GROUP / $RF_WDECODE_LANES (tests/test_rtl_wdecode.py)."""
from __future__ import annotations

import os

import cocotb
import numpy as np
from cocotb.triggers import Timer

from sim_models.formats import decode_words, make_format, unpack_fields


def to_int(fields: np.ndarray, bits: int) -> int:
    return sum(int(v) << (bits * j) for j, v in enumerate(fields))


@cocotb.test()
async def decode_vectors(dut) -> None:
    name = os.environ["RF_WDECODE_FORMAT"]
    group = int(os.environ["RF_WDECODE_GROUP"]) or None
    lanes = int(os.environ["RF_WDECODE_LANES"])
    fmt = make_format(name, group)
    nf, fb = fmt.fields(lanes)
    nsc, sb = max(1, fmt.scales_per_word(lanes)), max(1, fmt.scale_bits)
    rng = np.random.default_rng(cocotb.RANDOM_SEED)
    # exhaustive: vector k puts field value (k + j) mod 2^fb in field j, scale (k // 2^fb + j) in code j
    n_ex = (1 << fb) * (1 << sb)
    k = np.arange(n_ex)[:, None]
    fields = np.concatenate([(k + np.arange(nf)) % (1 << fb), rng.integers(0, 1 << fb, (600, nf))])
    scales = np.concatenate([(k // (1 << fb) + np.arange(nsc)) % (1 << sb), rng.integers(0, 1 << sb, (600, nsc))])
    codes = unpack_fields(fmt, fields, lanes)
    want = decode_words(fmt, codes, scales if fmt.group else None, lanes)
    assert want.min() >= -(1 << (fmt.wbits - 1)) and want.max() < 1 << (fmt.wbits - 1), "decode exceeds WBITS"
    for v in range(len(fields)):
        dut.w_word.value = to_int(fields[v], fb)
        dut.s_word.value = to_int(scales[v], sb)
        await Timer(1, unit="ns")
        raw = int(dut.w_eff.value)
        got = [((raw >> (fmt.wbits * i)) & ((1 << fmt.wbits) - 1)) for i in range(lanes)]
        got = [g - (1 << fmt.wbits) if g >> (fmt.wbits - 1) else g for g in got]
        assert got == want[v].tolist(), f"{name} vector {v}: fields {fields[v].tolist()} scales {scales[v].tolist()}: " \
                                        f"rtl {got} != golden {want[v].tolist()}"
    dut._log.info("rf_wdecode %s LANES %d: %d words match sim_models.formats.decode", name, lanes, len(fields))
