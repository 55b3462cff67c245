"""The romformer environment: prompt agent (driver + passive input monitor), token agent
(responder + passive output monitor), AXI4-Lite agent (driver + passive monitor), LoRA adapter agent
(sequencer, a driver layered on the AXI4-Lite sequencer, a monitor fed by the AXI4-Lite monitor), reset driver,
predictor / comparator (Scoreboard) and coverage. Protocol checkers ride on the monitors'
taps (tb/top/harness.py); a violation fails the test.

ConfigDB keys (set by the test for "*"): DUT, HARNESS, CHIP (sim_models ChipModel), SCHEDULE,
LANES, LORA (the build's adapter hardware: (maximum rank, targets) or None), SEED, TEST_NAME, IDLE_PATTERN,
READY_PATTERN (none / random / long / cycle: tb/uvm/agents.py), CORRUPT_BEAT (flip the prediction of that beat), EXPECT_MISMATCH (the
test passes only if the scoreboard fails), FAULT (tb/uvm/faults.py: corrupt what the monitors report, to prove a check fires).
"""
from __future__ import annotations

from pyuvm import ConfigDB, uvm_env

from tb.uvm.agents import AdapterAgent, AxiLiteAgent, PromptAgent, ResetDriver, TokenAgent, cfg_get
from tb.uvm.coverage import Coverage
from tb.uvm.faults import FaultInjector
from tb.uvm.scoreboard import Scoreboard


class RomformerEnv(uvm_env):
    def build_phase(self) -> None:
        self.reset = ResetDriver("reset", self)
        ConfigDB().set(None, "*", "RESET", self.reset)
        self.prompts = PromptAgent("prompts", self)
        self.tokens = TokenAgent("tokens", self)
        self.axil = AxiLiteAgent("axil", self)
        self.adapter = AdapterAgent("adapter", self)
        self.scoreboard = Scoreboard("scoreboard", self)
        self.coverage = Coverage("coverage", self)
        self.faults = FaultInjector("faults", self, str(cfg_get(self, "FAULT", "") or ""))

    def connect_phase(self) -> None:
        sb, cov, f = self.scoreboard, self.coverage, self.faults
        pred = sb.predictor
        self.prompts.ap.connect(pred.prompt_export)
        self.prompts.ap.connect(cov.prompt_export)
        self.prompts.monitor.beat_ap.connect(sb.in_beat_export)
        self.prompts.monitor.beat_ap.connect(cov.in_beat_export)
        self.tokens.ap.connect(f.beat_export)
        f.beat_ap.connect(sb.beat_export)
        f.beat_ap.connect(cov.out_beat_export)
        self.axil.ap.connect(f.reg_export)
        f.reg_ap.connect(pred.reg_export)
        f.reg_ap.connect(cov.reg_export)
        f.reg_ap.connect(self.adapter.monitor.reg_export)
        self.adapter.driver.axil_seqr = self.axil.seqr          # the adapter agent is layered on AXI4-Lite
        self.adapter.ap.connect(cov.adapter_export)
        sb.checked_ap.connect(cov.checked_export)
        sb.error_ap.connect(cov.error_export)
        sb.write_ap.connect(cov.write_export)
