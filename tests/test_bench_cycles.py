"""scripts/bench_cycles.py: the cycle breakdown adds up to the schedule, the routes ledger is read
strictly and written by scripts/synth.py's summary."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from conftest import EMBEDDED, SHAPES
from sim_models.checkpoint import read_checkpoint
from sim_models.schedule import Schedule

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bench_cycles", ROOT / "scripts" / "bench_cycles.py")
bc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bc)


@pytest.mark.parametrize("lanes", [8, 16, 32, 64])
@pytest.mark.parametrize("pos", [0, 63])
def test_breakdown_adds_up_to_the_schedule(lanes, pos):
    cfg = read_checkpoint(EMBEDDED).config
    b = bc.breakdown(cfg, lanes, pos)
    s = Schedule(cfg, lanes)
    assert sum(b.values()) == pytest.approx(s.cycles(pos), abs=1e-6)
    assert b["weights (ideal)"] == s.ideal_cycles()
    assert b["lane padding"] >= 0 and b["matrix phases beyond their stream"] > 0


def test_padding_is_zero_when_rows_tile_the_lanes():
    cfg = SHAPES["gqa"]                           # dim 32, hidden 52: rows of 4-lane words exactly
    assert bc.breakdown(cfg, 4, 0)["lane padding"] == 0
    assert bc.breakdown(cfg, 8, 0)["lane padding"] > 0


def test_routes_ledger_names_file_and_field(tmp_path):
    p = tmp_path / "routes.json"
    p.write_text(json.dumps({"routes": [{"lanes": 16, "fmax_mhz": 50.0, "commit": "abc", "date": "2026-01-01"}]}))
    with pytest.raises(SystemExit, match=r"routes.json: routes\[0\] has no field 'cycles_per_token_pos0'"):
        bc.load_routes(p)
    p.write_text(json.dumps({"routes": {}}))
    with pytest.raises(SystemExit, match="routes.json: field 'routes'"):
        bc.load_routes(p)
    assert bc.load_routes(tmp_path / "absent.json") == []


def test_record_route_round_trip(tmp_path):
    p = tmp_path / "routes.json"
    summary = {"lanes": 16, "model": "m.bin", "format": "int8", "part": "LFE5U-85F", "cycles_per_token_pos0": 12_000,
               "route": {"fmax_mhz": {"clk": 52.5, "other": 60.0},
                         "utilization": {"TRELLIS_COMB": {"used": 40_000, "available": 83_640}}}}
    rec = bc.record_route(summary, "route", p)
    assert rec["fmax_mhz"] == 52.5 and rec["lut"] == 40_000 and rec["hdl_tree"] == bc.hdl_tree()
    routes = bc.load_routes(p)
    assert routes == [rec]
    table = "\n".join(bc.render_routes(routes, bc.hdl_tree()))
    assert f"| 16 | static | auto | 1 | 52.50 MHz | 40,000 | 12,000 | {52.5e6 / 12_000:,.0f} |" in table
    assert "| yes |" in table
    assert "| no |" in "\n".join(bc.render_routes(routes, "another tree"))
    rec = bc.record_route({**summary, "act": "mx B32"}, "route", p)     # an --act mx build's route says so
    assert rec["act"] == "mx B32" and "| 16 | mx B32 | auto | 1 | 52.50 MHz |" in "\n".join(bc.render_routes([rec], ""))


def test_committed_ledger_reads():
    for r in bc.load_routes():
        assert r["fmax_mhz"] > 0 and r["cycles_per_token_pos0"] > 0
