"""New model = new ROM masks: two checkpoints of one shape compile to the same params.vh and
elaborate (yosys) to the same logic; only ROM initialisation contents differ."""
from __future__ import annotations

import pytest

from conftest import SHAPES
from sim_models.checkpoint import random_checkpoint, write_checkpoint
from sim_models.compiler import compile_checkpoint
from sim_models.netlist import compare, compare_builds, yosys_command


@pytest.mark.skipif(yosys_command() is None,
                    reason="yosys is not installed (make bootstrap installs it as root: apt-get install yosys)")
def test_same_shape_same_logic(tmp_path):
    builds = []
    for seed in (1, 2):
        ckpt = tmp_path / f"model{seed}.bin"
        write_checkpoint(random_checkpoint(SHAPES["odd_hidden"], seed=seed), ckpt)
        compile_checkpoint(ckpt, 8, tmp_path / f"build{seed}")
        builds.append(tmp_path / f"build{seed}")
    assert (builds[0] / "params.vh").read_text() == (builds[1] / "params.vh").read_text(), \
        "params.vh differs between two models of one shape: a model constant is a parameter, not ROM"
    result = compare_builds(builds[0], builds[1], tmp_path / "netlists")
    assert result.same_logic, "logic differs:\n" + "\n".join(result.logic_lines_differing[:10])
    assert result.rom_lines_differing > 0, "the two models' ROM images should differ"


def test_compare_finds_a_logic_difference():
    """The comparison is not blind: a changed cell outside a ROM INIT is reported."""
    a = "cell $mem_v2 $m\n  parameter \\INIT 8'00000001\nend\ncell $add $a\n  parameter \\A_WIDTH 8\nend\n"
    rom_only = a.replace("8'00000001", "8'00000010")
    assert compare(a, rom_only).same_logic and compare(a, rom_only).rom_lines_differing == 1
    logic = a.replace("A_WIDTH 8", "A_WIDTH 9")
    assert not compare(a, logic).same_logic
