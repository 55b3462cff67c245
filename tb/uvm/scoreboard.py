"""Predictor and comparator. Both take their inputs from the passive monitors only.

Predictor: observed prompts (input monitor, at TLAST) and observed register accesses (AXI4-Lite
monitor) drive sim_models.ChipModel and RegisterModel. Generation settings are latched per prompt
(issue 7): the prediction of a prompt uses the register values at its last input beat, and a SEED
written since the previous prompt reloads the PRNG there (the last value written wins).
Comparator: every output beat against the prediction, in order, with ==; register responses and
predictable readbacks; the TVALID interval between tokens of one response against the static
schedule (when ready did not stall); counters after CLEAR_COUNTERS within the bounds the monitors
allow. Every failure names its check (CHECK_NAMES); the first one is logged with the commands that
reproduce it and open its waves; ROMFORMER_CHECK_REPORT (a path) receives the list as JSON.
"""
from __future__ import annotations

import json
import os
from collections import deque
from pathlib import Path

import cocotb
from cocotb.utils import get_sim_time
from pyuvm import ConfigDB, uvm_analysis_port, uvm_component, uvm_subscriber

from sim_models.chip_model import ChipModel
from sim_models.regmap import BY_NAME, RW, RW1C, RegisterModel
from sim_models.schedule import Schedule
from tb.monitors import RegTxn, StreamBeat
from tb.runner import BUILD
from tb.uvm.agents import cfg_get
from tb.uvm.items import CheckedBeat, Expected, PromptItem, reg_name

# Registers whose readback the scoreboard predicts (the rest are live: counters are bounded below).
PREDICTED_READS = {r.name for r in BY_NAME.values() if r.access in (RW, RW1C) or r.reset is not None} | {
    "CONFIG", "SEQ_LEN"}
CHECK_NAMES = ("token", "tlast", "unexpected_beat", "missing_beat", "cycles", "register_resp", "register_read",
               "counter", "timeout", "test")
SKID_DEPTH = 2          # beats an rf_axis_skid can hold between a pin handshake and the core


def repro_commands(test: str, sim: str, seed: int) -> tuple[str, str]:
    """The command that reruns this test with this seed, and the one that opens its waves."""
    rerun = (f"COCOTB_RANDOM_SEED={seed} UVM_FULL=1 .venv/bin/python -m pytest -q tests/test_uvm.py "
             f"-k \"{test} and {sim}\"")
    waves = f"COCOTB_RANDOM_SEED={seed} make waves TEST=uvm-{test} SIM={sim}"
    return rerun, waves


class Predictor(uvm_component):
    """Observed prompts and register accesses -> expected output beats (ChipModel)."""

    def build_phase(self) -> None:
        self.prompt_export = uvm_subscriber.uvm_AnalysisImp("prompt_export", self, self.write_prompt)
        self.reg_export = uvm_subscriber.uvm_AnalysisImp("reg_export", self, self.write_reg)
        self.expected_ap = uvm_analysis_port("expected_ap", self)
        self.chip: ChipModel = ConfigDB().get(self, "", "CHIP")
        p = self.chip.qm.cfg
        self.regs = RegisterModel(int(ConfigDB().get(self, "", "LANES")), p.n_layers, p.vocab_size, p.seq_len)
        self.corrupt = int(cfg_get(self, "CORRUPT_BEAT", -1))
        self.n_prompts = self.n_beats = 0
        self.pending_seed: int | None = None
        self.passes: list[tuple[int, bool]] = []      # (pos, emit) of every predicted forward pass
        self.reg_listeners: list = []                 # f(txn, predicted_resp, predicted_data)

    def write_prompt(self, item: PromptItem) -> None:
        chip, pos0 = self.chip, self.chip.pos
        self._latch()
        chip.errors = 0
        c = chip.config
        sampled = bool(c.sample and c.inv_temp)
        beats = chip.prompt(item.tokens)
        self._record_passes(pos0, len(item.tokens), beats)
        first_pos = pos0 + len(item.tokens) - 1
        for i, (tok, last) in enumerate(beats):
            if self.n_beats == self.corrupt:
                tok ^= 1                      # fault injection: a wrong prediction on purpose
                self.logger.warning(f"fault injection: prediction of beat {self.n_beats} flipped to {tok}")
            err = tok == 0xFFFF and last and len(beats) == 1 and chip.errors & 0b011
            self.expected_ap.write(Expected(tok, last, chip.pos if err else first_pos + i, self.n_prompts,
                                            self.n_beats, sampled, chip.errors if last else 0, c.top_k))
            self.n_beats += 1
        self.n_prompts += 1

    def _latch(self) -> None:
        """The settings a prompt runs with: the registers at its last token; a pending seed."""
        v = self.regs.value
        self.chip.configure(budget=v("BUDGET", "TOKENS"), sample=bool(v("SAMPLING", "SAMPLE")),
                            inv_temp=v("INV_TEMP", "VALUE"), top_k=v("TOP_K", "K"),
                            stop_token=v("STOP", "TOKEN") if v("STOP", "ENABLE") else None)
        if self.pending_seed is not None:
            self.chip.seed(self.pending_seed)
            self.pending_seed = None

    def _record_passes(self, pos0: int, n_prompt: int, beats: list[tuple[int, bool]]) -> None:
        if beats and beats[0][0] == 0xFFFF and len(beats) == 1 and self.chip.errors & 0b011:
            self.passes += [(pos0 + i, False) for i in range(self.chip.pos - pos0)]
            return
        emit = bool(beats)
        self.passes += [(pos0 + i, emit and i == n_prompt - 1) for i in range(n_prompt)]
        self.passes += [(pos0 + n_prompt + i, True) for i in range(len(beats) - 1)]

    def write_reg(self, txn: RegTxn) -> None:
        if txn.op == "write":
            want, data = self.regs.write(txn.addr, txn.data, txn.strb), None
            for pulse in self.regs.pulses:
                if pulse == "SEED_LOAD":
                    self.pending_seed = self.regs.value("SEED", "VALUE")
                elif pulse == "NEW_SEQ":
                    self.chip.new_sequence()
                elif pulse == "CLEAR_COUNTERS":
                    self.passes = []
            self.regs.pulses.clear()
        else:
            data, want = self.regs.read(txn.addr)
        for f in self.reg_listeners:
            f(txn, want, data)

    def reset(self) -> None:
        self.chip.reset()
        self.regs.reset()
        self.passes = []
        self.pending_seed = None


class Scoreboard(uvm_component):
    """The comparator (and the owner of the predictor): monitors in, named checks out."""

    def build_phase(self) -> None:
        self.predictor = Predictor("predictor", self)
        self.expected_export = uvm_subscriber.uvm_AnalysisImp("expected_export", self, self.write_expected)
        self.beat_export = uvm_subscriber.uvm_AnalysisImp("beat_export", self, self.write_beat)
        self.in_beat_export = uvm_subscriber.uvm_AnalysisImp("in_beat_export", self, self.write_in_beat)
        self.checked_ap = uvm_analysis_port("checked_ap", self)   # CheckedBeat -> coverage
        self.error_ap = uvm_analysis_port("error_ap", self)       # error case names -> coverage
        self.expect_mismatch = bool(cfg_get(self, "EXPECT_MISMATCH", False))
        self.test_name = str(cfg_get(self, "TEST_NAME", "test"))
        self.repro_seed = int(cfg_get(self, "REPRO_SEED", cocotb.RANDOM_SEED))
        self.schedule: Schedule = ConfigDB().get(self, "", "SCHEDULE")
        self.expected: deque[Expected] = deque()
        self.matched = self.n_regs = 0
        self.mismatches: list[str] = []
        self.failed_checks: list[str] = []
        self.in_reset = False
        self.prev: tuple[Expected, StreamBeat] | None = None
        self.in_times: list[float] = []
        self.out_times: list[tuple[float, bool]] = []             # (time, error beat)
        self.clear_window = (0.0, 0.0)                            # (issued, responded) of the last clear

    def connect_phase(self) -> None:
        ConfigDB().get(self, "", "RESET").subscribe(self.on_reset)
        self.predictor.expected_ap.connect(self.expected_export)
        self.predictor.reg_listeners.append(self.check_reg)

    @property
    def chip(self) -> ChipModel:
        return self.predictor.chip

    @property
    def passes(self) -> list[tuple[int, bool]]:
        return self.predictor.passes

    def write_expected(self, e: Expected) -> None:
        self.expected.append(e)

    def write_in_beat(self, beat: StreamBeat) -> None:
        self.in_times.append(beat.time_ns)

    # ------------------------------------------------------------- output beats
    def write_beat(self, beat: StreamBeat) -> None:
        self.out_times.append((beat.time_ns, beat.data == 0xFFFF))
        if not self.expected:
            if not self.in_reset:
                self._fail("unexpected_beat", f"unexpected beat {beat.data:#06x} (last={beat.last}) at "
                           f"{beat.time_ns} ns: nothing was predicted", beat=beat)
            return
        want = self.expected.popleft()
        match = want.data == beat.data and want.last == beat.last
        self.checked_ap.write(CheckedBeat(want, beat, match))
        if not match:
            check = "token" if want.data != beat.data else "tlast"
            self._fail(check, f"beat {want.index} (prompt {want.prompt}, position {want.pos}): expected token "
                       f"{want.data} last={want.last}, actual {beat.data} last={beat.last}", beat=beat)
            return
        self._check_interval(want, beat)
        self.matched += 1
        if want.last and want.errors:
            self.predictor.regs.set_errors(want.errors)
            for bit, name in ((1, "TOKEN_RANGE"), (2, "CONTEXT_OVERFLOW"), (4, "CONTEXT_FULL")):
                if want.errors & bit:
                    self.error_ap.write(name)

    def _check_interval(self, want: Expected, beat: StreamBeat) -> None:
        """Tokens of one response, ready high when each became valid: the cycles from one
        handshake to the next TVALID are the schedule's token interval minus the handshake cycle."""
        prev, self.prev = self.prev, (want, beat)
        if prev is None or want.data == 0xFFFF:
            return
        p_want, p_beat = prev
        if p_want.prompt != want.prompt or p_want.last or p_beat.stall_cycles or beat.stall_cycles:
            return
        cycles = self.schedule.token_interval(want.pos, want.sampled, want.top_k) - 1
        if beat.gap_cycles != cycles:
            self._fail("cycles", f"beat {want.index} (position {want.pos}): {beat.gap_cycles} cycles after the "
                       f"previous token, schedule predicts {cycles}", beat=beat)

    # ------------------------------------------------------------- registers
    def check_reg(self, txn: RegTxn, want_resp: int, want_data: int | None) -> None:
        self.n_regs += 1
        name = reg_name(txn.addr)
        if txn.resp != want_resp:
            self._fail("register_resp", f"{txn.op} {name}@{txn.addr:#x}: response {txn.resp}, RegisterModel "
                       f"predicts {want_resp}")
        elif want_data is not None and name in PREDICTED_READS and txn.data != want_data:
            self._fail("register_read", f"register {name}: read {txn.data:#x}, RegisterModel predicts "
                       f"{want_data:#x}")
        elif txn.op == "read" and name in ("TOKENS_IN", "TOKENS_OUT"):
            self._check_counter(name, txn)
        if txn.resp != 0:
            self.error_ap.write("BAD_ADDRESS" if name == "UNMAPPED" else "READ_ONLY_WRITE")
        if txn.op == "write" and name == "CTRL" and txn.data & 2 and txn.resp == 0:
            self.clear_window = (txn.start_ns, txn.time_ns)

    def _check_counter(self, name: str, txn: RegTxn) -> None:
        """Beats the monitors saw since the clear was issued (upper bound) / answered (lower bound),
        with the slack of the skid buffer between the pins and the core's counter."""
        issued, answered = self.clear_window
        if name == "TOKENS_IN":
            hi = sum(issued <= t <= txn.time_ns for t in self.in_times)
            lo = sum(answered < t <= txn.start_ns for t in self.in_times) - SKID_DEPTH
        else:
            hi = sum(issued <= t <= txn.time_ns for t, _ in self.out_times) + SKID_DEPTH
            lo = sum(answered < t <= txn.start_ns and not err for t, err in self.out_times)
        if not max(0, lo) <= txn.data <= hi:
            self._fail("counter", f"{name} = {txn.data}, the monitors allow [{max(0, lo)}, {hi}] since the last "
                       f"CLEAR_COUNTERS ({issued}..{answered} ns)")

    # ------------------------------------------------------------- reporting
    def _fail(self, check: str, what: str, beat: StreamBeat | None = None) -> None:
        first = not self.mismatches
        self.mismatches.append(what)
        self.failed_checks.append(check)
        if not first:
            return
        sim = "verilator" if "verilator" in (cocotb.SIM_NAME or "").lower() else "icarus"
        rerun, waves = repro_commands(self.test_name, sim, self.repro_seed)
        t = beat.time_ns if beat else get_sim_time("ns")
        log = self.logger.warning if self.expect_mismatch else self.logger.error
        log(f"SCOREBOARD MISMATCH [{check}] in {self.test_name} at {t} ns, seed {self.repro_seed}: {what}\n"
            f"  reproduce: {rerun}\n  waves:     {waves}")

    def check(self, ok: bool, what: str, check: str = "test") -> bool:
        """A test-level check (live registers, counters, timing) reported like a beat mismatch."""
        if not ok:
            self._fail(check, what)
        return ok

    # ------------------------------------------------------------- reset
    def on_reset(self, asserted: bool) -> None:
        """Beats still in flight may complete while rst_n is low; afterwards everything is flushed."""
        self.in_reset = asserted
        if not asserted:
            dropped = len(self.expected)
            self.expected.clear()
            self.predictor.reset()
            self.prev = None
            now = get_sim_time("ns")
            self.clear_window = (now, now)
            if dropped or self.predictor.n_prompts:
                self.error_ap.write("RESET")      # a reset during operation (not the initial one)
            self.logger.info(f"reset: {dropped} predicted beats dropped, models reset")

    # ------------------------------------------------------------- end of test
    @property
    def pending(self) -> int:
        return len(self.expected)

    def report(self) -> None:
        sim = "verilator" if "verilator" in (cocotb.SIM_NAME or "").lower() else "icarus"
        summary = BUILD / "results" / sim / "scoreboard" / f"{self.test_name}.json"
        summary.parent.mkdir(parents=True, exist_ok=True)
        summary.write_text(json.dumps({"test": self.test_name, "seed": self.repro_seed, "prompts":
                                       self.predictor.n_prompts, "beats": self.matched,
                                       "mismatches": len(self.mismatches)}) + "\n")
        path = os.environ.get("ROMFORMER_CHECK_REPORT")
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(json.dumps({"test": self.test_name, "failed_checks": self.failed_checks,
                                              "mismatches": self.mismatches[:20]}, indent=1) + "\n")

    def check_phase(self) -> None:
        if self.pending:
            self._fail("missing_beat", f"{self.pending} predicted beats never arrived (first: {self.expected[0]})")
        self.logger.info(f"scoreboard: {self.predictor.n_prompts} prompts, {self.matched} beats matched, "
                         f"{self.n_regs} register accesses, {len(self.mismatches)} mismatches")
        self.report()
        if self.expect_mismatch:
            assert self.mismatches, "fault injected, but the scoreboard reported no mismatch: the suite cannot fail"
            self.logger.info(f"fault detected as expected: {self.mismatches[0]}")
        else:
            assert not self.mismatches, f"scoreboard [{self.failed_checks[0]}]: {self.mismatches[0]}"
