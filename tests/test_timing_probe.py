"""scripts/timing_probe.py without running a tool: the probe wrapper (every input from the shift
register, every output into a register, widths as the block's ports) elaborates with Icarus, and
the critical-path parser reads nextpnr's routed report."""
from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
_spec = importlib.util.spec_from_file_location("timing_probe", ROOT / "scripts" / "timing_probe.py")
probe = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(probe)

PORTS = [("input", "clk", 1), ("input", "rst_n", 1), ("input", "acc", 48), ("input", "shift", 6),
         ("output", "y", 16), ("output", "done", 1)]

REPORT = """Info: Critical path report for clock 'clk' (posedge -> posedge):
Info:       type curr  total name
Info:   clk-to-q  0.52  0.52 Source u.q_shift_DFF.Q
Info:    routing  1.71  2.23 Net sr[197] (1,2) -> (3,4)
Info:                          Sink x.C
Info:                          Defined in:
Info:                               hdl/rf_matvec.v:229.7-234.6
Info:      logic  0.24  2.47 Source x.F
Info:    routing  1.00  3.47 Net y (3,4) -> (5,6)
Info:                          Defined in:
Info:                               hdl/rf_rsr.v:25.18-25.32
Info:                               hdl/rf_rsr.v:25.18-25.32
Info:      setup  0.10  3.57 Source z.DI
Info: 0.86 ns logic, 2.71 ns routing

Info: Critical path report for cross-domain path '<async>' -> 'posedge clk':
"""


def test_critical_path_parser() -> None:
    path = probe.critical_path(REPORT)
    assert path == {"total_ns": 3.57, "logic_ns": 0.86, "routing_ns": 2.71,
                    "through": ["hdl/rf_matvec.v:229", "hdl/rf_rsr.v:25"]}
    assert probe.critical_path("Info: no report\n") == {}


@pytest.mark.skipif(shutil.which("iverilog") is None, reason="iverilog not installed")
def test_wrapper_elaborates(tmp_path: Path) -> None:
    block = tmp_path / "block.v"
    block.write_text("module probe_block (input wire clk, input wire rst_n, input wire [47:0] acc, input wire [5:0] shift,\n"
                     "  output reg [15:0] y, output reg done);\n"
                     "  always @(posedge clk) begin y <= acc[15:0] ^ {10'd0, shift}; done <= rst_n; end\nendmodule\n")
    top = tmp_path / "probe_top.v"
    top.write_text(probe.wrapper(PORTS))
    text = top.read_text()
    assert "reg  [54:0] sr;" in text and "wire [16:0] o;" in text     # rst_n + acc + shift = 55 input bits, y + done = 17
    proc = subprocess.run(["iverilog", "-g2012", "-Wall", "-s", "probe_top", "-o", str(tmp_path / "a.out"),
                           str(top), str(block)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_a_block_derived_with_its_parameters_is_found() -> None:
    """rf_divider is derived as $paramod\\rf_divider\\P_BITS=...: the probe found no module for it."""
    mods = ["\\romformer_top", "$paramod\\rf_divider\\P_BITS=s32'00000000000000000000000000011010",
            "$paramod$a1b2\\rf_attention", "\\rf_sat", "$paramod\\rf_divider_x\\N=1"]
    assert probe.modules_of("rf_divider", mods) == [mods[1]]
    assert probe.modules_of("rf_attention", mods) == [mods[2]]
    assert probe.modules_of("rf_sat", mods) == [mods[3]]
