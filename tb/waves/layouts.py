"""GTKWave layouts: the one list of signals each saved layout shows.

Each layout names its root scope (the cocotb toplevel of the dumps it is for) and groups of
signals relative to it. Icarus and Verilator 5 dumps (both written through tb.runner.run)
have the same hierarchy: the toplevel is the root scope on both ("tb_romformer",
"rf_matvec_tb", ...), Verilator only adds a "$rootio" scope and the parameters, so one
layout serves both simulators. Vector widths depend on the parameters of a run, so the
.gtkw text is generated from a dump (tb.waves.gtkw); tb/waves/<layout>.gtkw are generated
from each layout's reference dump (`python scripts/waves.py --regen`), and `make waves`
generates the layout for whatever dump it opens.

Signal format: "b" binary, "h" hex, "d" decimal, "s" signed decimal, "f:<file>" decimal
through a translate filter file in tb/waves/ (enum names).
"""
from __future__ import annotations

from dataclasses import dataclass, field

CORE_STATE_FILTER = "rf_core_state.txt"
ATT_STATE_FILTER = "rf_attention_state.txt"


@dataclass(frozen=True)
class Layout:
    name: str
    root: str                       # root scope = cocotb toplevel of the dump
    reference: str                  # run name (tb.runner.run name=) of the reference dump
    node: str                       # pytest node id of the test making the reference dump ({sim})
    title: str
    groups: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)

    def signals(self) -> list[str]:
        """Full hierarchical names (no bit ranges), in display order."""
        return [f"{self.root}.{path}" for _, sigs in self.groups for path, _ in sigs]


def _axil(prefix: str = "") -> list[tuple[str, str]]:
    p = prefix
    return [(f"{p}s_axil_awvalid", "b"), (f"{p}s_axil_awready", "b"), (f"{p}s_axil_awaddr", "h"),
            (f"{p}s_axil_wvalid", "b"), (f"{p}s_axil_wready", "b"), (f"{p}s_axil_wdata", "h"),
            (f"{p}s_axil_wstrb", "b"), (f"{p}s_axil_bvalid", "b"), (f"{p}s_axil_bready", "b"),
            (f"{p}s_axil_bresp", "b"), (f"{p}s_axil_arvalid", "b"), (f"{p}s_axil_arready", "b"),
            (f"{p}s_axil_araddr", "h"), (f"{p}s_axil_rvalid", "b"), (f"{p}s_axil_rready", "b"),
            (f"{p}s_axil_rdata", "h"), (f"{p}s_axil_rresp", "b")]


CORE = "dut.u_core."
REGS = "dut.u_regs."

LAYOUTS: dict[str, Layout] = {l.name: l for l in [
    Layout("top", "tb_romformer", "top-random-gqa",
           "tests/test_rtl_top.py::test_random_shapes[gqa-{sim}]",
           "romformer_top: streams, register bus, sequencer, errors", [
               ("clock and reset", [("clk", "b"), ("rst_n", "b")]),
               ("token in (s_axis)", [("s_axis_tvalid", "b"), ("s_axis_tready", "b"), ("s_axis_tdata", "d"),
                                      ("s_axis_tlast", "b")]),
               ("token out (m_axis)", [("m_axis_tvalid", "b"), ("m_axis_tready", "b"), ("m_axis_tdata", "d"),
                                       ("m_axis_tlast", "b")]),
               ("sequencer (rf_core)", [(CORE + "state", "f:" + CORE_STATE_FILTER), (CORE + "layer", "d"),
                                        (CORE + "pos", "d"), (CORE + "cur_tok", "d"), (CORE + "gen_count", "d"),
                                        ("dut.st_busy", "b"), ("dut.st_generating", "b"), ("dut.st_idle", "b"),
                                        (CORE + "mv_start", "b"), (CORE + "mv_done", "b"),
                                        (CORE + "nrm_start", "b"), (CORE + "nrm_done", "b"),
                                        (CORE + "att_start", "b"), (CORE + "att_done", "b"),
                                        (CORE + "sel_start", "b"), (CORE + "sel_done", "b"),
                                        (CORE + "sel_token", "d")]),
               ("errors", [("dut.err_set", "b"), (CORE + "prompt_err", "b"), (REGS + "e_token_range", "b"),
                           (REGS + "e_ctx_full", "b"), (REGS + "e_ctx_overflow", "b"), (REGS + "e_bad_addr", "b"),
                           (REGS + "e_ro_write", "b"), (REGS + "err_any", "b")]),
               ("register bus (AXI4-Lite)", _axil()),
               ("counters", [(REGS + "cnt_cycles", "d"), (REGS + "cnt_last_cycles", "d"),
                             (REGS + "cnt_tokens_in", "d"), (REGS + "cnt_tokens_out", "d")]),
           ]),
    Layout("matvec", "rf_matvec_tb", "rf_matvec_L8", "tests/test_rtl_matvec.py::test_rf_matvec[{sim}-8]",
           "rf_matvec (+ weight and requant ROMs), LANES 8", [
               ("control", [("clk", "b"), ("rst_n", "b"), ("start", "b"), ("busy", "b"), ("done", "b"),
                            ("cfg_base", "d"), ("cfg_rows", "d"), ("cfg_wpr", "d"), ("cfg_rq_base", "d"),
                            ("cfg_out16", "b")]),
               ("ROM reads", [("w_addr", "d"), ("w_data", "h"), ("act_idx", "d"), ("act_word", "h"),
                              ("rq_addr", "d"), ("rq_data", "h")]),
               ("pipeline", [("u_dut.rows_left", "d"), ("u_dut.a_valid", "b"), ("u_dut.a_first", "b"),
                             ("u_dut.a_last", "b"), ("u_dut.p_valid", "b"), ("u_dut.ac_valid", "b"),
                             ("u_dut.acc", "s"), ("u_dut.q_valid", "b")]),
               ("result", [("y_valid", "b"), ("y_row", "d"), ("y_data", "s")]),
           ]),
    Layout("rmsnorm", "rf_rmsnorm", "rf_rmsnorm_l8_d20",
           "tests/test_rtl_norm_rope_swiglu.py::test_rmsnorm[l8_d20-{sim}]",
           "rf_rmsnorm, LANES 8, DIM 20", [
               ("control", [("clk", "b"), ("rst_n", "b"), ("start", "b"), ("norm_idx", "d"), ("nshift", "d"),
                            ("busy", "b"), ("done", "b")]),
               ("sum of squares", [("sq_clear", "b"), ("sq_we", "h"), ("en_m1", "b"), ("en_sq", "b"),
                                   ("en_acc", "b"), ("sq_sum", "d"), ("ssq", "d")]),
               ("rsqrt", [("en_rsq", "b"), ("idx_r", "d"), ("rsq", "d"), ("m", "d"), ("shtot", "d")]),
               ("scale", [("fidx", "d"), ("gaddr", "d"), ("en_f2", "b"), ("en_w", "b"), ("widx", "d"),
                          ("y_flat", "h")]),
           ]),
    Layout("attention", "rf_attention", "rf_attention_gqa", "tests/test_rtl_attention.py::test_attention[gqa-{sim}]",
           "rf_attention (+ per-head dividers), GQA config", [
               ("control", [("clk", "b"), ("rst_n", "b"), ("start", "b"), ("resume", "b"), ("layer", "d"), ("pos", "d"),
                            ("state", "f:" + ATT_STATE_FILTER), ("busy", "b"), ("done", "b")]),
               ("KV cache write", [("k_we", "b"), ("v_we", "b"), ("kv_layer", "d"), ("kv_pos", "d"), ("w_addr", "d"),
                                   ("k_row", "h"), ("v_row", "h")]),
               ("scores (pass 1)", [("s1_vld", "b"), ("s1_first", "b"), ("s1_t", "d"), ("t_cnt", "d"),
                                    ("t_last", "b"), ("r_addr", "d"), ("score_flat", "h")]),
               ("softmax and values (pass 2)", [("a1_vld", "b"), ("a2_vld", "b"), ("a3_vld", "b"),
                                                ("a4_vld", "b"), ("a4_last", "b"), ("e_flat", "h"),
                                                ("div_go", "b"), ("div_done", "b"), ("inv_flat", "h"),
                                                ("out_flat", "h")]),
           ]),
    Layout("select", "rf_select", "rf_select_v40_k16",
           "tests/test_rtl_select.py::test_rf_select[rf_select_v40_k16-{sim}]",
           "rf_select (greedy / top-k sampling) + xorshift32, VOCAB 40, K_MAX 16", [
               ("control", [("clk", "b"), ("rst_n", "b"), ("start", "b"), ("finish", "b"), ("mode_sample", "b"),
                            ("top_k", "d"), ("inv_temp", "d"), ("seed_load", "b"), ("seed", "h"),
                            ("busy", "b"), ("done", "b"), ("token", "d")]),
               ("logits in", [("l_valid", "b"), ("l_index", "d"), ("l_value", "s"), ("n_seen", "d")]),
               ("top-k", [("c_vld", "b"), ("k_run", "d"), ("k_sel", "d")]),
               ("sampling", [("prng", "h"), ("u_xorshift.state_out", "h"), ("thr", "d"), ("run_sum", "d"),
                             ("p_sum", "d"), ("found", "b"), ("pick", "d")]),
           ]),
    Layout("axil_regs", "rf_axil_regs", "rf_axil_regs", "tests/test_rtl_io.py::test_io_unit[rf_axil_regs-{sim}]",
           "rf_axil_regs: AXI4-Lite slave, register file, error flags", [
               ("clock and reset", [("clk", "b"), ("rst_n", "b")]),
               ("AXI4-Lite", _axil()),
               ("decode", [("wr_fire", "b"), ("wr_hit", "b"), ("wr_ro", "b"), ("rd_fire", "b"), ("rd_hit", "b"),
                           ("bad_addr", "b"), ("ro_write", "b")]),
               ("configuration", [("cfg_budget", "d"), ("cfg_inv_temp", "d"), ("cfg_sample", "b"),
                                  ("cfg_top_k", "d"), ("cfg_seed", "h"), ("cfg_seed_load", "b"),
                                  ("cfg_stop_en", "b"), ("cfg_stop_token", "d"), ("ctrl_new_seq", "b"),
                                  ("ctrl_clear_counters", "b")]),
               ("status and errors", [("st_busy", "b"), ("st_generating", "b"), ("st_idle", "b"),
                                      ("st_pos", "d"), ("err_set", "b"), ("e_token_range", "b"),
                                      ("e_ctx_full", "b"), ("e_ctx_overflow", "b"), ("e_bad_addr", "b"),
                                      ("e_ro_write", "b"), ("err_any", "b")]),
           ]),
]}
