"""scripts/congestion.py: block names from net names, and the two congestion views on a tiny
placement and heatmap written here (no nextpnr run)."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("congestion", ROOT / "scripts" / "congestion.py")
congestion = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(congestion)


def test_block_of_takes_the_instance_path():
    assert congestion.block_of("u_core.u_attention.pv[3]", 2) == "u_core.u_attention"
    assert congestion.block_of("u_core.u_attention.g_head[1].acc[0]", 3) == "u_core.u_attention.g_head[1]"
    assert congestion.block_of("u_core.res_y[7]", 2) == "u_core"
    assert congestion.block_of("s_axil_wready$TRELLIS_IO_OUT", 2) == "top"
    assert congestion.block_of("$abc$123$lut", 2) is None


def test_views_attribute_overuse_to_blocks(tmp_path, capsys):
    placed = tmp_path / "placed.json"
    cells = {"a": {"attributes": {"NEXTPNR_BEL": "X1/Y0/SLICEA"}, "connections": {"A": [2], "Z": [3]}},
             "b": {"attributes": {"NEXTPNR_BEL": "X0/Y1/SLICEB"}, "connections": {"A": [4]}}}
    nets = {"u_core.u_attention.p_t[0]": {"bits": [2]}, "u_core.u_attention.pv[0]": {"bits": [3]},
            "u_core.u_select.c_key[0]": {"bits": [4]}}
    placed.write_text(json.dumps({"modules": {"romformer_top": {"cells": cells, "netnames": nets}}}))
    (tmp_path / "h_congestion_by_coordinate_1.csv").write_text("0,6,\n2,0,\n")
    (tmp_path / "h_congestion_by_net_1.csv").write_text("u_core.u_attention.p_t[0],9\n$abc$1,1\n")
    congestion.main([str(placed), str(tmp_path / "h")])
    out = capsys.readouterr().out
    assert "overused wires per net, iteration 1: 10" in out and "u_core.u_attention" in out
    assert "(shared by cell count): 8" in out
    lines = [ln.split() for ln in out.splitlines() if ln.startswith("  u_core")]
    # the CSV has one row per x: a (X1/Y0) sits on heat 2, b (X0/Y1) on heat 6
    assert ["u_core.u_attention", "2", "25.0%", "cells", "50.0%", "2.00"] in lines
    assert ["u_core.u_select", "6", "75.0%", "cells", "50.0%", "6.00"] in lines
