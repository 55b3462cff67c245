"""Model compiler: ROM layout, byte-identical output, and builds that read back bit-exactly."""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import EMBEDDED, ROOT, SHAPES, quantized
from sim_models.compiler import compile_model, load_build
from sim_models.golden import GoldenModel
from sim_models.schedule import Schedule, formula_cycles, words

SOURCE = {"checkpoint": "random", "sha256": "0" * 64, "calibration": "random tokens"}


@pytest.mark.parametrize("lanes", [8, 16, 32, 64])
def test_build_reads_back_bit_exact(tmp_path, shape, lanes):
    _, cfg = shape
    _, qm = quantized(cfg, seed=1)
    compile_model(qm, lanes, tmp_path, SOURCE)
    tokens = np.random.default_rng(0).integers(0, cfg.vocab_size, cfg.seq_len)
    np.testing.assert_array_equal(GoldenModel(load_build(tmp_path)).forward(tokens), GoldenModel(qm).forward(tokens))


def test_byte_identical(tmp_path):
    _, qm = quantized(SHAPES["odd_hidden"], seed=1)
    compile_model(qm, 8, tmp_path / "a", SOURCE)
    _, qm2 = quantized(SHAPES["odd_hidden"], seed=1)
    compile_model(qm2, 8, tmp_path / "b", SOURCE)
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_weight_layout(tmp_path):
    """Lane 0 is the low byte; rows are zero-padded to whole words; w1/w3 rows interleave."""
    cfg = SHAPES["odd_hidden"]
    _, qm = quantized(cfg, seed=1)
    lanes = 8
    man = compile_model(qm, lanes, tmp_path, SOURCE)
    lines = (tmp_path / "weights.hex").read_text().split()
    assert all(len(line) == 2 * lanes for line in lines)

    def lane(word: int, i: int) -> int:
        byte = int(lines[word][-2 * (i + 1):len(lines[word]) - 2 * i], 16)
        return byte - 256 if byte > 127 else byte

    wq = qm.layers[0]["wq"].w
    assert [lane(0, i) for i in range(lanes)] == wq[0, :lanes].tolist()
    w2 = man["regions"]["l0.w2"]
    wph = words(cfg.hidden_dim, lanes)
    assert w2["words_per_row"] == wph
    last = w2["base"] + wph - 1                       # end of w2 row 0: 27 = 3*8 + 3 -> 5 zero lanes
    assert [lane(last, i) for i in range(lanes)] == qm.layers[0]["w2"].w[0, 24:].tolist() + [0] * 5
    w13 = man["regions"]["l0.w13"]
    assert [lane(w13["base"] + words(cfg.dim, lanes), i) for i in range(lanes)] == qm.layers[0]["w3"].w[0, :lanes].tolist()


def test_manifest(tmp_path):
    cfg = SHAPES["gqa"]
    _, qm = quantized(cfg, seed=1)
    man = compile_model(qm, 16, tmp_path, SOURCE)
    assert man == json.loads((tmp_path / "manifest.json").read_text())
    assert man["rom_bits"] == sum(r["width"] * r["depth"] for r in man["rom"].values())
    assert man["sram"]["kv_cache"] == 2 * cfg.n_layers * cfg.seq_len * cfg.kv_dim * 8
    sched = Schedule(cfg, 16)
    f = man["cycles"]["formula"]
    for pos in range(cfg.seq_len):
        assert formula_cycles(f, pos) == sched.cycles(pos), pos
    assert man["cycles"]["weight_macs"] == qm.cfg.n_params() - cfg.vocab_size * cfg.dim * (not cfg.shared_classifier) \
        - (2 * cfg.n_layers + 1) * cfg.dim
    params = (tmp_path / "params.vh").read_text()
    assert "localparam integer LANES = 16;" in params and "localparam integer VOCAB = 64;" in params


def test_bad_lanes(tmp_path):
    _, qm = quantized(SHAPES["gqa"])
    with pytest.raises(ValueError, match="lanes"):
        compile_model(qm, 12, tmp_path, SOURCE)


# Shapes the fixed-width RTL cannot hold (sim_models/limits.py): each names the field.
OVER_LIMITS = {
    "vocab_size": dict(vocab_size=0x10000),      # 0xFFFF is the error beat; 65,536 would wrap to 0
    "seq_len": dict(seq_len=0x10000),            # the 16-bit position counter must hold seq_len
    "n_layers": dict(n_layers=128),              # norm index 2 * 127 + 1 = 255 is the last 8-bit one
    "hidden_dim": dict(hidden_dim=0x8000),       # w1/w3 rows 2 * hidden_dim in 16 bits
}


@pytest.mark.parametrize("field", sorted(OVER_LIMITS))
def test_chip_limits_rejected(tmp_path, field):
    """The compiler refuses a shape the RTL would silently wrap, names the field, writes nothing."""
    import dataclasses

    from sim_models.checkpoint import CheckpointError
    from sim_models.limits import check_chip_limits

    _, qm = quantized(SHAPES["gqa"])
    big = dataclasses.replace(qm.cfg, **OVER_LIMITS[field])
    with pytest.raises(CheckpointError, match=f"{field}: .*exceeds the chip's limit") as err:
        compile_model(dataclasses.replace(qm, cfg=big), 8, tmp_path / "out", SOURCE)
    assert err.value.field == field and not (tmp_path / "out").exists()
    # one below the limit passes the check
    limit = dataclasses.replace(qm.cfg, **{k: v - 1 if k != "hidden_dim" else v // 2 - 1
                                         for k, v in OVER_LIMITS[field].items()})
    check_chip_limits(limit)


def openblas_kernels() -> tuple[str, str] | None:
    """Two OpenBLAS kernels this CPU runs whose float rounding differs (FMA vs SSE), when numpy
    uses a DYNAMIC_ARCH OpenBLAS (OPENBLAS_CORETYPE then picks the kernel), else None."""
    cfg = np.show_config(mode="dicts")
    blas = cfg.get("Build Dependencies", {}).get("blas", {})
    if "openblas" not in str(blas.get("name", "")).lower() or "DYNAMIC_ARCH" not in str(blas):
        return None
    if platform.machine() not in ("x86_64", "AMD64"):
        return None
    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    return ("Haswell", "Prescott") if " avx2 " in flags and " fma " in flags else None


KERNEL_CASES = {"int8": ["compile", str(EMBEDDED), "--format", "int8"],
                "int4": ["compile", str(EMBEDDED), "--format", "int4"],
                "adapter": ["adapter", str(EMBEDDED), str(ROOT / "models" / "adapters" / "kjv_qv_r8")]}


@pytest.mark.long
@pytest.mark.parametrize("case", sorted(KERNEL_CASES))
def test_rom_images_do_not_depend_on_the_blas_kernel(tmp_path, case):
    """The same checkpoint gives the same ROM masks on any machine: the embedded model (and the
    LoRA adapter's SRAM image on it) compiled under two OpenBLAS kernels (different float rounding
    in the calibration's products) gives byte-identical build files. (Found: float32 calibration
    moved requant multipliers and norm gains by one LSB between CPUs; the adapter's manifest
    scales differed in the last bit.)"""
    kernels = openblas_kernels()
    if kernels is None:
        pytest.skip("needs numpy on a DYNAMIC_ARCH OpenBLAS and an x86-64 CPU with AVX2/FMA "
                    "(OPENBLAS_CORETYPE selects the kernel)")
    procs = [subprocess.Popen([sys.executable, "-m", "sim_models", *KERNEL_CASES[case], "--lanes", "8",
                               "--out", str(tmp_path / kernel)], cwd=ROOT, text=True,
                              env={**os.environ, "OPENBLAS_CORETYPE": kernel, "OPENBLAS_NUM_THREADS": "1"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for kernel in kernels]
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
    a, b = (tmp_path / k for k in kernels)
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    assert [n for n in names if (a / n).read_bytes() != (b / n).read_bytes()] == []
