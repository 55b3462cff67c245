"""Predictor and comparator. Both take their inputs from the passive monitors only.

Predictor: observed prompts (input monitor, at TLAST) and observed register accesses (AXI4-Lite
monitor) drive sim_models.ChipModel and RegisterModel. Generation settings are latched per prompt
(issue 7): the prediction of a prompt uses the register values at its last input beat, and a SEED
written since the previous prompt reloads the PRNG there (the last value written wins).
Comparator: every output beat against the prediction, in order, with ==; register responses and
predictable readbacks; the TVALID interval between tokens of one response against the static
schedule (when ready did not stall); counters after CLEAR_COUNTERS within the bounds the monitors
allow. LoRA adapters: the predictor keeps the adapter SRAM as the bus wrote it (RegisterModel) and, when
ADAPTER_CTRL.ENABLE is set at a prompt's last input beat, decodes it (sim_models.lora.from_image) into the
ChipModel's adapter; such tokens are timed against the schedule with the adapter's cycles. Whether an
ADAPTER_CTRL / ADAPTER_DATA write finds the core idle (OKAY) or busy (SLVERR, ERROR.ADAPTER_BUSY) is
predicted from the monitors and the schedule (Scoreboard.core_state); inside the few cycles where
neither is certain the DUT's response is followed (counted as `ambiguous`) and its effect is still
modelled, so a write that took effect or not shows up in the readback and the tokens that follow.
Every failure names its check (CHECK_NAMES); the first one is logged with the commands that
reproduce it and open its waves; ROMFORMER_CHECK_REPORT (a path) receives the list as JSON.
"""
from __future__ import annotations

import json
import os
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import cocotb
import numpy as np
from cocotb.utils import get_sim_time
from pyuvm import ConfigDB, uvm_analysis_port, uvm_component, uvm_subscriber

from sim_models.chip_model import ChipModel
from sim_models.lora import CORE_ORDER, from_image, image_layout
from sim_models.regmap import BY_NAME, OKAY, RO, RW, RW1C, RegisterModel
from sim_models.schedule import Schedule
from tb.monitors import RegTxn, StreamBeat
from tb.runner import BUILD
from tb.top.harness import CLOCK_NS
from tb.uvm.agents import cfg_get
from tb.uvm.items import CheckedBeat, ErrorEvent, Expected, PromptItem, RegWrite, reg_name

# Registers whose readback the scoreboard predicts (the rest are live: counters are bounded below).
PREDICTED_READS = {r.name for r in BY_NAME.values() if r.access in (RW, RW1C) or r.reset is not None} | {
    "CONFIG", "SEQ_LEN", "ADAPTER_DATA", "ADAPTER_SUM", "ADAPTER_CONFIG", "ADAPTER_WORDS"}
CHECK_NAMES = ("token", "tlast", "unexpected_beat", "missing_beat", "cycles", "register_resp", "register_read",
               "counter", "timeout", "adapter", "coverage", "test")
ADAPTER_REFUSABLE = ("ADAPTER_CTRL", "ADAPTER_DATA")    # writes refused while the core is not idle
# Core-state margins (cycles): from an input pin handshake until the core has surely taken the beat (skid
# buffer); from the last output beat at the pins until STATUS.IDLE is certain (the core handed it to the
# output skid before, and was idle from then on); per forward pass (hand-offs the schedule does not count)
# and at the end of a prompt without output, until STATUS.IDLE is certain.
ACCEPT_CYCLES, LAST_BEAT_CYCLES, PASS_OVERHEAD_CYCLES, IDLE_MARGIN_CYCLES = 4, 2, 4, 16
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
        lanes = int(ConfigDB().get(self, "", "LANES"))
        # The adapter hardware of the build: (maximum rank, targets), None without (ROMFORMER_LORA)
        self.lora: tuple[int, tuple[str, ...]] | None = cfg_get(self, "LORA", None)
        rank, targets = self.lora or (0, ())
        self.adapter_words = image_layout(p, lanes, rank, targets)["total"]["words"] if self.lora else 0
        self.regs = RegisterModel(lanes, p.n_layers, p.vocab_size, p.seq_len, rank,
                                  sum(1 << CORE_ORDER.index(m) for m in targets), self.adapter_words)
        self.lanes = lanes
        self.schedule: Schedule = ConfigDB().get(self, "", "SCHEDULE")
        self.lora_schedule = replace(self.schedule, adapter=self.lora) if self.lora else self.schedule
        self.image_ids: dict[bytes, int] = {}         # distinct adapter images seen enabled -> id (1, 2, ...)
        self.decoded: dict[int, object] = {}          # image id -> IntAdapter
        self.ambiguous = 0                            # adapter writes whose core state only the DUT knew
        # Supplied by the scoreboard: the core's state at a register access ("idle", "busy", "unknown"),
        # and how a check fails.
        self.core_state: Callable[[RegTxn], str] = lambda txn: "unknown"
        # Supplied by the scoreboard: the core state (Scoreboard.phase) when beat i of the current prompt arrived.
        self.input_state: Callable[[int], str | None] = lambda i: None
        self.fail: Callable[[str, str], None] = lambda check, what: None
        self.last_in_ns: float | None = None          # TLAST of the last prompt
        self.busy_until_ns = self.idle_after_ns = 0.0  # the core is busy at least until / idle at the latest after
        self.last_error = ""                          # the error case of the last refused access (coverage)
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
        image = self._adapter()
        beats = chip.prompt(item.tokens)
        n_passes = len(self.passes)
        self._record_passes(pos0, len(item.tokens), beats)
        self._busy_window(item, self.passes[n_passes:], sampled, c.top_k, bool(image), beats)
        first_pos = pos0 + len(item.tokens) - 1
        # Coverage: the core state when an error's cause reached the pins -- the offending prompt token
        # (the chip stopped at it: chip.pos - pos0), or generation for a context filled by the tokens.
        prompt_error = len(beats) == 1 and beats[0][0] == 0xFFFF and chip.errors & 0b011
        error_state = (self.input_state(chip.pos - pos0) if prompt_error else
                       "generating" if chip.errors & 0b100 else None)
        for i, (tok, last) in enumerate(beats):
            if self.n_beats == self.corrupt:
                tok ^= 1                      # fault injection: a wrong prediction on purpose
                self.logger.warning(f"fault injection: prediction of beat {self.n_beats} flipped to {tok}")
            err = tok == 0xFFFF and last and len(beats) == 1 and chip.errors & 0b011
            self.expected_ap.write(Expected(tok, last, chip.pos if err else first_pos + i, self.n_prompts,
                                            self.n_beats, sampled, chip.errors if last else 0, c.top_k, image,
                                            len(item.tokens), error_state if last else None))
            self.n_beats += 1
        self.n_prompts += 1

    def _adapter(self) -> int:
        """The adapter a prompt runs with (ADAPTER_CTRL.ENABLE and the SRAM at its last input beat) into
        the ChipModel; returns the image's id (0: disabled or no adapter hardware)."""
        self.chip.adapter = None
        if not self.lora or not self.regs.value("ADAPTER_CTRL", "ENABLE"):
            return 0
        mem = self.regs.adapter_mem
        missing = [a for a in range(self.adapter_words) if a not in mem]
        if missing:
            self.fail("adapter", f"prompt {self.n_prompts}: the adapter is enabled with {len(missing)} SRAM words "
                      f"never written (first: {missing[0]}); their content is undefined, nothing can predict it")
            return 0
        img = np.array([mem[a] for a in range(self.adapter_words)], np.int64)
        key = img.tobytes()
        if key not in self.image_ids:
            self.image_ids[key] = len(self.image_ids) + 1
        ident = self.image_ids[key]
        if ident not in self.decoded:
            rank, targets = self.lora
            self.decoded[ident] = from_image(self.chip.qm.cfg, self.lanes, rank, targets, img, "adapter SRAM")
        self.chip.adapter = self.decoded[ident]
        return ident

    def _busy_window(self, item: PromptItem, passes: list[tuple[int, bool]], sampled: bool, top_k: int,
                     adapter: bool, beats: list[tuple[int, bool]]) -> None:
        """The core is busy at least from a prompt's TLAST for the forward passes that must follow it (the
        last prompt token's and every generated token's but the last); the schedule's cycles are exact
        (LAST_CYCLES). A prompt with output beats leaves the core idle once its last beat is seen; one
        without (budget 0) at the latest when its passes are done, each started no later than its input
        beat or the end of the previous pass."""
        sched = self.lora_schedule if adapter else self.schedule
        t = item.beats[-1].time_ns if item.beats else get_sim_time("ns")
        error = len(beats) == 1 and beats[0][0] == 0xFFFF and self.chip.errors & 0b011
        raw = [sched.cycles(p, e, sampled, top_k) for p, e in passes]
        cyc = [r + PASS_OVERHEAD_CYCLES for r in raw]
        self.last_in_ns = t
        self.busy_until_ns = t + (0 if error else sum(raw[-max(1, len(beats)):])) * CLOCK_NS
        self.idle_after_ns = 0.0
        if not beats:
            times = [b.time_ns for b in item.beats][:len(cyc)]
            self.idle_after_ns = max((tk + sum(cyc[k:]) * CLOCK_NS for k, tk in enumerate(times)), default=t) + \
                IDLE_MARGIN_CYCLES * CLOCK_NS

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
        name = reg_name(txn.addr)
        self.last_error = ""
        if txn.op == "write" and name in ADAPTER_REFUSABLE:
            state = self.core_state(txn)
            if state == "unknown":          # within a few cycles of a state change: follow the DUT
                self.ambiguous += 1
                state = "idle" if txn.resp == OKAY else "busy"
                self.logger.info(f"{name} write at {txn.start_ns}..{txn.time_ns} ns: core state not certain, the "
                                 f"DUT answered {txn.resp} ({state})")
            self.regs.hw["idle"] = int(state == "idle")
            if state == "busy":
                self.last_error = "ADAPTER_BUSY"
        unwritten = (txn.op == "read" and name == "ADAPTER_DATA" and
                     self.regs.stored["ADAPTER_ADDR"] < self.adapter_words and
                     self.regs.stored["ADAPTER_ADDR"] not in self.regs.adapter_mem)
        if txn.op == "write":
            want, data = self.regs.write(txn.addr, txn.data, txn.strb), None
            if want != OKAY and not self.last_error:
                self.last_error = ("BAD_ADDRESS" if name in ("UNMAPPED", "ADAPTER_DATA") else
                                   "READ_ONLY_WRITE" if BY_NAME[name].access == RO else "")
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
            if want != OKAY:
                self.last_error = "BAD_ADDRESS"
            if unwritten:
                data = None                 # an SRAM word never written since reset: undefined
        for f in self.reg_listeners:
            f(txn, want, data)

    def reset(self) -> None:
        self.chip.reset()
        self.regs.reset()
        self.passes = []
        self.pending_seed = None
        self.last_in_ns, self.busy_until_ns, self.idle_after_ns = None, 0.0, 0.0


class Scoreboard(uvm_component):
    """The comparator (and the owner of the predictor): monitors in, named checks out."""

    def build_phase(self) -> None:
        self.predictor = Predictor("predictor", self)
        self.expected_export = uvm_subscriber.uvm_AnalysisImp("expected_export", self, self.write_expected)
        self.beat_export = uvm_subscriber.uvm_AnalysisImp("beat_export", self, self.write_beat)
        self.in_beat_export = uvm_subscriber.uvm_AnalysisImp("in_beat_export", self, self.write_in_beat)
        self.checked_ap = uvm_analysis_port("checked_ap", self)   # CheckedBeat -> coverage
        self.error_ap = uvm_analysis_port("error_ap", self)       # ErrorEvent -> coverage
        self.write_ap = uvm_analysis_port("write_ap", self)       # RegWrite -> coverage
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
        self.open_prompt_ns: float | None = None                  # first input beat of a prompt without TLAST yet
        self.prompt_states: list[str | None] = []                 # core state at each beat of the current prompt
        self.reset_state: str | None = None                       # core state when rst_n last fell

    def connect_phase(self) -> None:
        ConfigDB().get(self, "", "RESET").subscribe(self.on_reset)
        self.predictor.expected_ap.connect(self.expected_export)
        self.predictor.reg_listeners.append(self.check_reg)
        self.predictor.core_state = self.core_state
        self.predictor.input_state = lambda i: self.prompt_states[i] if 0 <= i < len(self.prompt_states) else None
        self.predictor.fail = lambda check, what: self._fail(check, what)

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
        if self.open_prompt_ns is None:          # a prompt's first beat: what was the core doing?
            self.prompt_states = [self.phase(beat.time_ns)]
        else:
            self.prompt_states.append("prompt")
        if self.open_prompt_ns is None and not beat.last:
            self.open_prompt_ns = beat.time_ns
        elif beat.last:
            self.open_prompt_ns = None

    def core_state(self, txn: RegTxn) -> str:
        """Was the core idle (STATUS.IDLE) when this register write executed (between the first address /
        data handshake and the response)? "busy": certainly not (a prompt is being received, or the
        schedule's forward passes after the last TLAST had not run out); "idle": certainly (nothing in
        flight, every predicted beat seen, past the latest end the schedule allows); else "unknown"."""
        p, c = self.predictor, CLOCK_NS
        if self.in_reset:
            return "unknown"
        if self.open_prompt_ns is not None:
            return "busy" if txn.start_ns >= self.open_prompt_ns + ACCEPT_CYCLES * c else "unknown"
        if p.last_in_ns is None:
            return "idle"                  # no prompt since reset
        if txn.start_ns >= p.last_in_ns + ACCEPT_CYCLES * c and txn.time_ns <= p.busy_until_ns:
            return "busy"
        return "idle" if self._idle_certain(txn.start_ns) else "unknown"

    def _idle_certain(self, t_ns: float) -> bool:
        """Nothing in flight, every predicted beat seen, past the latest end the schedule allows."""
        last_out = self.out_times[-1][0] if self.out_times else 0.0
        return not self.expected and t_ns >= max(self.predictor.idle_after_ns, last_out + LAST_BEAT_CYCLES * CLOCK_NS)

    def phase(self, start_ns: float, end_ns: float | None = None) -> str | None:
        """The core state over [start_ns, end_ns] for coverage (tb/uvm/coverage.py CORE_STATES): "prompt" (a
        prompt is being received: its first beat taken, TLAST not yet), "generating" (a prompt's TLAST taken,
        its response in flight: predicted beats not all delivered, or its forward passes still due), "idle"
        (certainly idle); None when not certain (in reset, or within the margins of a change)."""
        p, c = self.predictor, CLOCK_NS
        end = start_ns if end_ns is None else end_ns
        if self.in_reset:
            return None
        if self.open_prompt_ns is not None:
            return "prompt" if start_ns >= self.open_prompt_ns + ACCEPT_CYCLES * c else None
        if p.last_in_ns is None:
            return "idle"
        if start_ns >= p.last_in_ns + ACCEPT_CYCLES * c and (self.expected or end <= p.busy_until_ns):
            return "generating"
        return "idle" if self._idle_certain(start_ns) else None

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
                    self.error_ap.write(ErrorEvent(name, want.error_state))

    def _check_interval(self, want: Expected, beat: StreamBeat) -> None:
        """Tokens of one response, ready high when each became valid: the cycles from one
        handshake to the next TVALID are the schedule's token interval minus the handshake cycle."""
        prev, self.prev = self.prev, (want, beat)
        if prev is None or want.data == 0xFFFF:
            return
        p_want, p_beat = prev
        if p_want.prompt != want.prompt or p_want.last or p_beat.stall_cycles or beat.stall_cycles:
            return
        sched = self.predictor.lora_schedule if want.adapter else self.schedule
        cycles = sched.token_interval(want.pos, want.sampled, want.top_k) - 1
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
        state = self.phase(txn.start_ns, txn.time_ns)
        if txn.resp != 0 and self.predictor.last_error:
            self.error_ap.write(ErrorEvent(self.predictor.last_error, state))
        if txn.op == "write" and state:
            self.write_ap.write(RegWrite(name, state))
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
        if asserted:
            self.reset_state = self.phase(get_sim_time("ns"))
        self.in_reset = asserted
        if not asserted:
            dropped = len(self.expected)
            self.expected.clear()
            self.predictor.reset()
            self.prev = None
            self.open_prompt_ns = None
            self.prompt_states = []
            now = get_sim_time("ns")
            self.clear_window = (now, now)
            if dropped or self.predictor.n_prompts:
                self.error_ap.write(ErrorEvent("RESET", self.reset_state))   # not the initial reset
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
