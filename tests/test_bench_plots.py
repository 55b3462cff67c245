"""scripts/bench_plots.py on synthetic numbers: every plot is written as a PNG with the Agg backend."""
from __future__ import annotations

import importlib.util
import struct

import matplotlib

from conftest import ROOT, SHAPES

_spec = importlib.util.spec_from_file_location("bench_plots", ROOT / "scripts" / "bench_plots.py")
bench_plots = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_plots)


def png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def row(model: str, fmt: str, bits: int, gap: float, ref_gap: float | None = None) -> dict:
    return {"model": model, "format": fmt, "weight_rom_bits": bits, "weights": 1000,
            "quality": {"gap": gap}, "vs_reference": {"gap": ref_gap} if ref_gap is not None else None}


ROWS = [row("base", "int8", 8200, 0.004), row("base", "int4", 4230, 0.03), row("base", "ternary", 1800, 1.5),
        row("trained", "int8", 8200, 0.002, 0.01), row("trained", "ternary", 1800, 0.002, 0.085)]


def test_every_plot_is_written(tmp_path):
    cfg = SHAPES["gqa"]
    result = {"prompt_tokens": [1, 2, 3], "cycles_per_token": [2000, 2010]}
    paths = bench_plots.write_plots(tmp_path / "img", [("gqa", cfg), ("mha", SHAPES["mha"])], (8, 16),
                                    ROWS, measured={"gqa": {8: result}})
    assert matplotlib.get_backend().lower() == "agg"
    assert [p.name for p in paths] == ["format_gap.png", "utilization.png", "phase_cycles.png"]
    for p in paths:
        w, h = png_size(p)
        assert w > 400 and h > 200, (p, w, h)
    # two models side by side: the utilization figure is wider than tall
    w, h = png_size(tmp_path / "img" / "utilization.png")
    assert w > 1.5 * h


def test_negative_gaps_and_no_format_rows(tmp_path):
    rows = ROWS + [row("trained", "int4", 4230, -0.001)]
    assert png_size(bench_plots.plot_format_gap(rows, tmp_path / "gap.png"))[0] > 400
    paths = bench_plots.write_plots(tmp_path, [("gqa", SHAPES["gqa"])], (8,))
    assert [p.name for p in paths] == ["utilization.png", "phase_cycles.png"]


def test_bits_per_weight_is_weight_rom_bits_over_weights():
    assert bench_plots.bits_per_weight(row("m", "int4", 4232, 0.0)) == 4.232


def test_results_link_the_plots():
    spec = importlib.util.spec_from_file_location("bench", ROOT / "scripts" / "bench.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rows = [dict(row("austen_byte (embedded)", fmt, bits, gap), stem="austen_byte", rom_bits=bits + 100,
                 nominal_bpw=8, cycles0=7363, util0=0.84, quality={"gap": gap, "float_loss": 1.2, "int_loss": 1.2 + gap,
                                                                   "agreement": 0.9})
            for fmt, bits, gap in (("int8", 8200, 0.004), ("int4", 4230, 0.03))]
    text = bench.render_formats(rows, {"int8": 0, "int4": 2336}, {})
    assert "](img/format_gap.png)" in text and "| austen_byte (embedded) | int4 |" in text
