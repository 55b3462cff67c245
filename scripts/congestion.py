"""Which blocks sit where nextpnr's router2 finds congestion.

    python scripts/congestion.py build/synth/<build>/placed.json HEAT_PREFIX [--iter N]

HEAT_PREFIX is the `--router2-heatmap` prefix of a route run of that placement (make synth
STAGES=route PNR_ARGS='--router2-heatmap build/synth/<build>/heat'). Two views:
  by net         overused wires per net (heat_congestion_by_net_N.csv), summed per block
                 (the net's hierarchical name, e.g. u_core.u_attention)
  by coordinate  overused wires per tile (heat_congestion_by_coordinate_N.csv, one row per x), shared among the
                 blocks of the cells placed on that tile (a cell's block: the most common block of
                 the named nets on its pins)
"""
from __future__ import annotations

import argparse
import collections
import csv
import json
import re
from pathlib import Path

BEL = re.compile(r"X(\d+)/Y(\d+)/")


def block_of(name: str, depth: int) -> str | None:
    """u_core.u_attention.pv[3] -> u_core.u_attention (depth 2); None for tool-made names."""
    if name.startswith("$"):
        return None
    parts = re.sub(r"\[\d+\]$", "", name).split("$")[0].split(".")[:-1]   # the instance path
    while parts and not re.match(r"(u|g)_", parts[-1]) and "[" not in parts[-1]:
        parts.pop()   # a register or wire name (a.b.c of a struct-like name): not a block
    return ".".join(parts[:depth]) if parts else "top"


def cell_blocks(placed: Path, depth: int) -> dict[tuple[int, int], collections.Counter]:
    top = next(iter(json.loads(placed.read_text())["modules"].values()))
    bit_block: dict[int, str] = {}
    for name, net in top["netnames"].items():
        b = block_of(name, depth)
        if b:
            for bit in net["bits"]:
                if isinstance(bit, int):
                    bit_block.setdefault(bit, b)
    tiles: dict[tuple[int, int], collections.Counter] = collections.defaultdict(collections.Counter)
    for cell in top["cells"].values():
        m = BEL.match(cell.get("attributes", {}).get("NEXTPNR_BEL", ""))
        if not m:
            continue
        votes = collections.Counter(bit_block[b] for bits in cell["connections"].values() for b in bits
                                    if isinstance(b, int) and b in bit_block)
        if votes:
            tiles[(int(m.group(1)), int(m.group(2)))][votes.most_common(1)[0][0]] += 1
    return tiles


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("placed", type=Path)
    p.add_argument("heat", help="the --router2-heatmap prefix")
    p.add_argument("--iter", type=int, default=1)
    p.add_argument("--depth", type=int, default=2, help="hierarchy levels of a block name (2: u_core.u_attention)")
    a = p.parse_args(argv)
    by_net: collections.Counter = collections.Counter()
    with open(f"{a.heat}_congestion_by_net_{a.iter}.csv") as f:
        for row in csv.reader(f):
            if len(row) == 2 and row[1].isdigit():
                by_net[block_of(row[0], a.depth) or "(tool-named nets)"] += int(row[1])
    total = sum(by_net.values())
    print(f"overused wires per net, iteration {a.iter}: {total:,}")
    for b, n in by_net.most_common(12):
        print(f"  {b:40s} {n:>9,}  {100 * n / total:5.1f}%")
    with open(f"{a.heat}_congestion_by_coordinate_{a.iter}.csv") as f:
        grid = [[int(v) for v in row if v != ""] for row in csv.reader(f)]
    tiles = cell_blocks(a.placed, a.depth)
    share: collections.Counter = collections.Counter()
    ncells: collections.Counter = collections.Counter()
    for blocks in tiles.values():
        ncells.update(blocks)
    for (x, y), blocks in tiles.items():
        heat = grid[x][y] if x < len(grid) and y < len(grid[x]) else 0   # the CSV's rows are x
        n = sum(blocks.values())
        for b, c in blocks.items():
            share[b] += heat * c / n
    total = sum(share.values())
    print(f"overuse on the tiles of each block's cells (shared by cell count): {total:,.0f}; the block's "
          "share of the placed cells, and its overuse per cell")
    for b, n in share.most_common(12):
        print(f"  {b:40s} {n:>9,.0f}  {100 * n / total:5.1f}%  cells {100 * ncells[b] / sum(ncells.values()):5.1f}%"
              f"  {n / ncells[b]:6.2f}")


if __name__ == "__main__":
    main()
