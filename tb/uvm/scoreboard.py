"""Scoreboard: ChipModel (sim_models) predicts every output beat; the RegisterModel predicts
every register response and every readback that is not a live value. Beats are compared in
order with ==. The first mismatch is reported with its position, the expected and the actual
token, the simulation time, the seed and the commands that reproduce it and open its waves.
"""
from __future__ import annotations

import os
from collections import deque

import cocotb
from cocotb.utils import get_sim_time
from pyuvm import ConfigDB, uvm_analysis_port, uvm_component, uvm_subscriber

from sim_models.chip_model import ChipModel
from sim_models.regmap import BY_NAME, RW, RW1C, RegisterModel
from tb.uvm.agents import cfg_get
from tb.uvm.items import CheckedBeat, Expected, OutBeat, PromptItem, RegItem

# Registers whose readback the scoreboard predicts (the rest are live: checked by the tests).
PREDICTED_READS = {r.name for r in BY_NAME.values() if r.access in (RW, RW1C) or r.reset is not None} | {
    "CONFIG", "SEQ_LEN"}


def repro_commands(test: str, sim: str, seed: int) -> tuple[str, str]:
    """The command that reruns this test with this seed, and the one that opens its waves."""
    rerun = (f"COCOTB_RANDOM_SEED={seed} UVM_FULL=1 .venv/bin/python -m pytest -q tests/test_uvm.py "
             f"-k \"{test} and {sim}\"")
    waves = f"COCOTB_RANDOM_SEED={seed} make waves TEST=uvm-{test} SIM={sim}"
    return rerun, waves


class Scoreboard(uvm_component):
    """In-order comparison of the output stream with ChipModel's prediction."""

    def build_phase(self) -> None:
        self.prompt_export = uvm_subscriber.uvm_AnalysisImp("prompt_export", self, self.write_prompt)
        self.beat_export = uvm_subscriber.uvm_AnalysisImp("beat_export", self, self.write_beat)
        self.reg_export = uvm_subscriber.uvm_AnalysisImp("reg_export", self, self.write_reg)
        self.checked_ap = uvm_analysis_port("checked_ap", self)   # CheckedBeat -> coverage
        self.error_ap = uvm_analysis_port("error_ap", self)       # error case names -> coverage
        self.chip: ChipModel = ConfigDB().get(self, "", "CHIP")
        p = self.chip.qm.cfg
        self.regs = RegisterModel(int(ConfigDB().get(self, "", "LANES")), p.n_layers, p.vocab_size, p.seq_len)
        self.corrupt = int(cfg_get(self, "CORRUPT_BEAT", os.environ.get("ROMFORMER_UVM_CORRUPT", -1)))
        self.expect_mismatch = bool(cfg_get(self, "EXPECT_MISMATCH", False))
        self.test_name = str(cfg_get(self, "TEST_NAME", "test"))
        self.repro_seed = int(cfg_get(self, "REPRO_SEED", cocotb.RANDOM_SEED))
        self.expected: deque[Expected] = deque()
        self.n_prompts = self.n_beats = self.n_regs = 0
        self.matched = 0
        self.mismatches: list[str] = []
        self.in_reset = False
        self.passes: list[tuple[int, bool]] = []   # (pos, emit) of every predicted forward pass
        self.tokens_in = self.tokens_out = 0       # what the counters should say (since the last clear)

    def connect_phase(self) -> None:
        ConfigDB().get(self, "", "RESET").subscribe(self.on_reset)

    # ------------------------------------------------------------- predictor inputs
    def write_prompt(self, item: PromptItem) -> None:
        chip, pos0 = self.chip, self.chip.pos
        chip.errors = 0
        sampled = bool(chip.config.sample and chip.config.inv_temp)
        beats = chip.prompt(item.tokens)
        self.tokens_in += len(item.tokens)
        self._record_passes(pos0, len(item.tokens), beats)
        first_pos = pos0 + len(item.tokens) - 1
        for i, (tok, last) in enumerate(beats):
            if self.n_beats == self.corrupt:
                tok ^= 1                      # fault injection: a wrong prediction on purpose
                self.logger.warning(f"fault injection: prediction of beat {self.n_beats} flipped to {tok}")
            err = tok == 0xFFFF and last and len(beats) == 1 and chip.errors & 0b011
            self.expected.append(Expected(tok, last, chip.pos if err else first_pos + i, self.n_prompts,
                                          self.n_beats, sampled, chip.errors if last else 0))
            self.n_beats += 1
        self.n_prompts += 1

    def _record_passes(self, pos0: int, n_prompt: int, beats: list[tuple[int, bool]]) -> None:
        """Forward passes the chip runs for this prompt (for CYCLES and LAST_CYCLES)."""
        if beats and beats[0][0] == 0xFFFF and len(beats) == 1 and self.chip.errors & 0b011:
            done = self.chip.pos - pos0
            self.passes += [(pos0 + i, False) for i in range(done)]
            return
        emit = bool(beats)
        self.passes += [(pos0 + i, emit and i == n_prompt - 1) for i in range(n_prompt)]
        self.passes += [(pos0 + n_prompt + i, True) for i in range(len(beats) - 1)]

    def write_reg(self, item: RegItem) -> None:
        self.n_regs += 1
        if item.op == "write":
            want = self.regs.write(item.addr, item.data, item.strb)
            self._apply_pulses()
        else:
            want_data, want = self.regs.read(item.addr)
            if item.resp == want and item.reg_name in PREDICTED_READS and item.data != want_data:
                self._fail(f"register {item.reg_name}: read {item.data:#x}, RegisterModel predicts {want_data:#x}")
        if item.resp != want:
            self._fail(f"register {item}: response {item.resp}, RegisterModel predicts {want}")
        if item.resp != 0:
            self.error_ap.write("BAD_ADDRESS" if item.reg_name == "UNMAPPED" else "READ_ONLY_WRITE")
        self._sync_config()

    def _apply_pulses(self) -> None:
        for pulse in self.regs.pulses:
            if pulse == "SEED_LOAD":
                self.chip.seed(self.regs.value("SEED", "VALUE"))
            elif pulse == "NEW_SEQ":
                self.chip.new_sequence()
            elif pulse == "CLEAR_COUNTERS":
                self.tokens_in = self.tokens_out = 0
                self.passes = []
        self.regs.pulses.clear()

    def _sync_config(self) -> None:
        v = self.regs.value
        self.chip.configure(budget=v("BUDGET", "TOKENS"), sample=bool(v("SAMPLING", "SAMPLE")),
                            inv_temp=v("INV_TEMP", "VALUE"), top_k=v("TOP_K", "K"),
                            stop_token=v("STOP", "TOKEN") if v("STOP", "ENABLE") else None)

    # ------------------------------------------------------------- comparison
    def write_beat(self, beat: OutBeat) -> None:
        if not self.expected:
            if not self.in_reset:
                self._fail(f"unexpected beat {beat.data:#06x} (last={beat.last}) at {beat.time_ns} ns: "
                           f"nothing was predicted", beat=beat)
            return
        want = self.expected.popleft()
        match = want.data == beat.data and want.last == beat.last
        self.checked_ap.write(CheckedBeat(want, beat, match))
        if not match:
            self._fail(f"beat {want.index} (prompt {want.prompt}, position {want.pos}): expected token "
                       f"{want.data} last={want.last}, actual {beat.data} last={beat.last}", beat=beat)
            return
        self.matched += 1
        self.tokens_out += want.data != 0xFFFF
        if want.last and want.errors:
            self.regs.set_errors(want.errors)
            for bit, name in ((1, "TOKEN_RANGE"), (2, "CONTEXT_OVERFLOW"), (4, "CONTEXT_FULL")):
                if want.errors & bit:
                    self.error_ap.write(name)

    def _fail(self, what: str, beat: OutBeat | None = None) -> None:
        first = not self.mismatches
        self.mismatches.append(what)
        if not first:
            return
        sim = cocotb.SIM_NAME.lower().split()[0] if cocotb.SIM_NAME else "sim"
        sim = "verilator" if "verilator" in sim else "icarus"
        rerun, waves = repro_commands(self.test_name, sim, self.repro_seed)
        t = beat.time_ns if beat else get_sim_time("ns")
        log = self.logger.warning if self.expect_mismatch else self.logger.error
        log(f"SCOREBOARD MISMATCH in {self.test_name} at {t} ns, seed {self.repro_seed}: {what}\n"
            f"  reproduce: {rerun}\n  waves:     {waves}")

    def check(self, ok: bool, what: str) -> bool:
        """A test-level check (live registers, counters, timing) reported like a beat mismatch."""
        if not ok:
            self._fail(what)
        return ok

    # ------------------------------------------------------------- reset
    def on_reset(self, asserted: bool) -> None:
        """Beats still in flight may complete while rst_n is low; afterwards everything is flushed."""
        self.in_reset = asserted
        if not asserted:
            dropped = len(self.expected)
            self.expected.clear()
            self.chip.reset()
            self.regs.reset()
            self.tokens_in = self.tokens_out = 0
            self.passes = []
            if dropped or self.n_prompts:
                self.error_ap.write("RESET")      # a reset during operation (not the initial one)
            self.logger.info(f"reset: {dropped} predicted beats dropped, models reset")

    # ------------------------------------------------------------- end of test
    @property
    def pending(self) -> int:
        return len(self.expected)

    def check_phase(self) -> None:
        if self.pending and not self.mismatches:
            self._fail(f"{self.pending} predicted beats never arrived (first: {self.expected[0]})")
        summary = (f"scoreboard: {self.n_prompts} prompts, {self.matched} beats matched, {self.n_regs} register "
                   f"accesses, {len(self.mismatches)} mismatches")
        self.logger.info(summary)
        if self.expect_mismatch:
            assert self.mismatches, "fault injected, but the scoreboard reported no mismatch: the suite cannot fail"
            self.logger.info(f"fault detected as expected: {self.mismatches[0]}")
        else:
            assert not self.mismatches, f"scoreboard: {self.mismatches[0]}"
