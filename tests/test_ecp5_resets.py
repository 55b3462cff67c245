"""scripts/ecp5_resets.py on crafted netlists: which LUTs are reset inverters, and which may go."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("ecp5_resets", ROOT / "scripts" / "ecp5_resets.py")
ecp5_resets = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ecp5_resets)

LUT_DIRS = {"A": "input", "B": "input", "C": "input", "D": "input", "Z": "output"}
FF_DIRS = {"CLK": "input", "CE": "input", "LSR": "input", "DI": "input", "Q": "output"}


def lut(init: str, a="0", b="0", c="0", d="0", z=0) -> dict:
    return {"type": "LUT4", "parameters": {"INIT": init}, "port_directions": LUT_DIRS,
            "connections": {"A": [a], "B": [b], "C": [c], "D": [d], "Z": [z]}}


def ff(lsr: int, ce: int | str, q: int) -> dict:
    return {"type": "TRELLIS_FF", "parameters": {}, "port_directions": FF_DIRS,
            "connections": {"CLK": [2], "CE": [ce], "LSR": [lsr], "DI": [9], "Q": [q]}}


@pytest.mark.parametrize("cell, expected", [
    (lut("0000000011111111", d=3), 3),          # Z = !D, A..C tied low
    (lut("0101010101010101", a=3), 3),          # Z = !A
    (lut("1010101010101010", a=3), None),       # Z = A: a buffer
    (lut("0000000011111111", c=4, d=3), None),  # two signals
    (lut("1111111111111111", d=3), None),       # constant
])
def test_inverted_input(cell, expected):
    assert ecp5_resets.inverted_input(cell) == expected


def test_registers_share_one_inverter_and_a_used_inverter_stays(tmp_path):
    # bit 3: rst_n. Register 1 (enable 20): FFs 30, 31 with inverters 10, 11. Register 2 (enable 21):
    # FF 32 with inverter 12, which also feeds a LUT: it stays, the register's one inverter.
    cells = {"inv10": lut("0000000011111111", d=3, z=10), "inv11": lut("0000000011111111", d=3, z=11),
             "inv12": lut("0000000011111111", d=3, z=12), "user": lut("1010101010101010", a=12, z=40),
             "ff30": ff(10, 20, 30), "ff31": ff(11, 20, 31), "ff32": ff(12, 21, 32)}
    path = tmp_path / "top.json"
    path.write_text(json.dumps({"modules": {"top": {"ports": {}, "cells": cells}}}))
    counts = ecp5_resets.share_reset_inverters(path, "top")
    assert counts == {"flip_flops": 3, "reset_inverters_before": 3, "reset_inverters_after": 2, "luts_removed": 1,
                      "lsr_nets_before": 3, "lsr_nets_after": 2}
    after = json.loads(path.read_text())["modules"]["top"]["cells"]
    assert sorted(after) == ["ff30", "ff31", "ff32", "inv10", "inv12", "user"]
    assert after["ff31"]["connections"]["LSR"] == [10] and after["ff32"]["connections"]["LSR"] == [12]


def test_flip_flops_without_an_enable_keep_their_own(tmp_path):
    # no enable (CE tied high): pipeline tags across the die, not one register: not shared
    cells = {"inv10": lut("0000000011111111", d=3, z=10), "inv11": lut("0000000011111111", d=3, z=11),
             "ff30": ff(10, "1", 30), "ff31": ff(11, "1", 31)}
    path = tmp_path / "top.json"
    path.write_text(json.dumps({"modules": {"top": {"ports": {}, "cells": cells}}}))
    assert ecp5_resets.share_reset_inverters(path, "top")["luts_removed"] == 0
    assert sorted(json.loads(path.read_text())["modules"]["top"]["cells"]) == sorted(cells)


def test_a_file_without_the_module_is_refused(tmp_path):
    path = tmp_path / "top.json"
    path.write_text('{"modules": {}}')
    with pytest.raises(SystemExit, match="top.json: no module 'romformer_top'"):
        ecp5_resets.share_reset_inverters(path, "romformer_top")
