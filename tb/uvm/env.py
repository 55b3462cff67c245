"""The romformer environment: prompt agent, token agent, AXI4-Lite agent, reset driver,
scoreboard (ChipModel + RegisterModel) and coverage.

ConfigDB keys (set by the test for "*"): DUT, CHIP (sim_models ChipModel), LANES, SEED,
TEST_NAME, IDLE_PATTERN, READY_PATTERN (none / random / long), CORRUPT_BEAT (fault injection:
flip the prediction of that beat), EXPECT_MISMATCH (the test passes only if the scoreboard fails).
"""
from __future__ import annotations

from pyuvm import ConfigDB, uvm_env

from tb.uvm.agents import AxiLiteAgent, PromptAgent, ResetDriver, TokenAgent
from tb.uvm.coverage import Coverage
from tb.uvm.scoreboard import Scoreboard


class RomformerEnv(uvm_env):
    def build_phase(self) -> None:
        self.reset = ResetDriver("reset", self)
        ConfigDB().set(None, "*", "RESET", self.reset)
        self.prompts = PromptAgent("prompts", self)
        self.tokens = TokenAgent("tokens", self)
        self.axil = AxiLiteAgent("axil", self)
        self.scoreboard = Scoreboard("scoreboard", self)
        self.coverage = Coverage("coverage", self)

    def connect_phase(self) -> None:
        sb, cov = self.scoreboard, self.coverage
        self.prompts.ap.connect(sb.prompt_export)
        self.prompts.ap.connect(cov.prompt_export)
        self.tokens.ap.connect(sb.beat_export)
        self.axil.ap.connect(sb.reg_export)
        self.axil.ap.connect(cov.reg_export)
        sb.checked_ap.connect(cov.checked_export)
        sb.error_ap.connect(cov.error_export)
