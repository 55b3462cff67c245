"""Plots of `make bench`'s numbers (PNG, matplotlib's Agg backend), written into docs/img/:

- format_gap.png: loss gap (integer minus float, nats/token) against the bits per weight each
  weight format takes in ROM, one line per model; quantization-aware trained models also
  against the float baseline they came from.
- utilization.png: MAC-lane utilization against position for every LANES (the schedule, which
  the RTL matches cycle for cycle), with the RTL's measured tokens where bench ran them.
- phase_cycles.png: cycles per token split by phase (matvec, attention, norms, ...) for every
  LANES, at the first and the last position.

Every function takes the data scripts/bench.py measures (format rows, model configurations,
RTL result JSON) and returns the path it wrote.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sim_models.schedule import Schedule  # noqa: E402

FORMAT_COLORS = {"int8": "#1f77b4", "int4": "#ff7f0e", "mxfp4": "#2ca02c", "nvfp4": "#9467bd", "ternary": "#d62728"}
MARKERS = ("o", "s", "^", "D", "v", "P")
PHASE_COLORS = {"matvec": "#1f77b4", "attention": "#ff7f0e", "rmsnorm": "#2ca02c", "classifier": "#9467bd",
                "embed": "#8c564b", "select": "#e377c2", "done": "#7f7f7f"}
DPI = 120


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return path


def bits_per_weight(row: Mapping) -> float:
    return row["weight_rom_bits"] / row["weights"]


def plot_format_gap(rows: Sequence[Mapping], path: Path) -> Path:
    """rows: scripts/bench.py format_rows (model, format, quality.gap, weight_rom_bits, weights,
    vs_reference for models judged against a float baseline too)."""
    fig, ax = plt.subplots(figsize=(7.0, 4.6))
    models = list(dict.fromkeys(r["model"] for r in rows))
    gaps = [r["quality"]["gap"] for r in rows] + [r["vs_reference"]["gap"] for r in rows if r.get("vs_reference")]
    for i, model in enumerate(models):
        mine = sorted((r for r in rows if r["model"] == model), key=bits_per_weight)
        marker = MARKERS[i % len(MARKERS)]
        ax.plot([bits_per_weight(r) for r in mine], [r["quality"]["gap"] for r in mine], color="0.6", lw=1, zorder=1)
        for r in mine:
            ax.scatter(bits_per_weight(r), r["quality"]["gap"], marker=marker, s=55, zorder=3,
                       color=FORMAT_COLORS.get(r["format"], "k"), edgecolor="k", linewidth=0.5)
            ref = r.get("vs_reference")
            if ref and r["format"] != "int8":
                ax.scatter(bits_per_weight(r), ref["gap"], marker=marker, s=55, zorder=3, facecolor="none",
                           edgecolor=FORMAT_COLORS.get(r["format"], "k"), linewidth=1.5)
        ax.scatter([], [], marker=marker, color="0.8", edgecolor="k", linewidth=0.5, label=model)
    for fmt, color in FORMAT_COLORS.items():
        if any(r["format"] == fmt for r in rows):
            ax.scatter([], [], marker="s", color=color, label=fmt)
    if any(r.get("vs_reference") for r in rows):
        ax.scatter([], [], marker="o", facecolor="none", edgecolor="k", label="trained model vs float baseline")
    if min(gaps) > 0:
        ax.set_yscale("log")
    else:
        ax.set_yscale("symlog", linthresh=1e-3)
    ax.set_xlabel("bits per weight (weight ROM bits / weights)")
    ax.set_ylabel("loss gap to float (nats/token)")
    ax.set_title("Weight formats: ROM size against quality")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return _save(fig, path)


def plot_utilization(models: Sequence[tuple[str, object]], lanes: Sequence[int], path: Path,
                     measured: Mapping[str, Mapping[int, Mapping]] | None = None) -> Path:
    """models: (name, Config); measured: model name -> LANES -> an RTL result.json (tb/top/test_generate.py)
    whose tokens are drawn at their positions."""
    fig, axes = plt.subplots(1, len(models), figsize=(5.2 * len(models), 4.0), squeeze=False, sharey=True,
                             layout="constrained")
    for ax, (name, cfg) in zip(axes[0], models):
        positions = range(cfg.seq_len)
        for k, n in enumerate(lanes):
            sched = Schedule(cfg, n)
            color = f"C{k}"
            ax.plot(list(positions), [100 * sched.utilization(p) for p in positions], color=color, label=f"LANES {n}")
            run = (measured or {}).get(name, {}).get(n)
            if run:
                first = len(run["prompt_tokens"]) - 1
                ideal = sched.ideal_cycles()
                ax.scatter([first + i for i in range(len(run["cycles_per_token"]))],
                           [100 * ideal / c for c in run["cycles_per_token"]], color=color, edgecolor="k", zorder=3)
        ax.set_title(f"{name}")
        ax.set_xlabel("position")
        ax.grid(True, alpha=0.3)
    axes[0][0].set_ylabel("MAC-lane utilization (%)")
    if measured:
        axes[0][0].scatter([], [], color="0.8", edgecolor="k", label="RTL (measured)")
    axes[0][0].legend(fontsize=8)
    fig.suptitle("MAC-lane utilization = ideal cycles (weight MACs / LANES) / cycles per token")
    return _save(fig, path)


def plot_phase_cycles(name: str, cfg, lanes: Sequence[int], path: Path) -> Path:
    """Stacked bars of Schedule.phases for every LANES at position 0 and at the last position."""
    last = cfg.seq_len - 1
    bars = [(n, pos, Schedule(cfg, n).phases(pos)) for n in lanes for pos in (0, last)]
    phases = list(dict.fromkeys(k for _, _, ph in bars for k in ph))
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(bars) + 1.6))
    labels = [f"LANES {n}, pos {pos}" for n, pos, _ in bars]
    left = [0] * len(bars)
    for phase in phases:
        widths = [ph.get(phase, 0) for _, _, ph in bars]
        ax.barh(labels, widths, left=left, color=PHASE_COLORS.get(phase), label=phase, edgecolor="white", linewidth=0.5)
        left = [a + b for a, b in zip(left, widths)]
    for y, total in enumerate(left):
        ax.text(total, y, f" {total:,}", va="center", fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("cycles per token")
    ax.set_xlim(0, max(left) * 1.15)
    ax.set_title(f"{name}: cycles per token by phase")
    ax.legend(fontsize=8, loc="lower right", framealpha=0.9)
    ax.grid(True, axis="x", alpha=0.3)
    return _save(fig, path)


def write_plots(out_dir: Path, models: Sequence[tuple[str, object]], lanes: Sequence[int],
                format_rows: Sequence[Mapping] = (), measured: Mapping[str, Mapping[int, Mapping]] | None = None,
                ) -> list[Path]:
    """Every plot there is data for; the phase plot is of the first model."""
    paths = []
    if format_rows:
        paths.append(plot_format_gap(format_rows, out_dir / "format_gap.png"))
    if models:
        paths.append(plot_utilization(models, lanes, out_dir / "utilization.png", measured))
        paths.append(plot_phase_cycles(models[0][0], models[0][1], lanes, out_dir / "phase_cycles.png"))
    return paths
