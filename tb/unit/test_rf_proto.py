"""rf_proto against sim_models.chip_model.ChipModel (the token protocol the scoreboard predicts
with): random prompts (some with an out-of-range token, some past the end of the context), random
generation settings written at any time (latched at the prompt's last token), SEED writes, NEW_SEQ
between prompts, random output backpressure. The bench plays the sequencer's protocol states
(IDLE, ERRBEAT, a forward pass of random length, DONE, EMIT) and the output beat register, and the
model's forward pass is replaced by a token function of the token and position (the core's select
is not under test): every output beat, TLAST, error bit, latched setting and PRNG reload is checked.
"""
from __future__ import annotations

import random
from types import SimpleNamespace

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

from sim_models.chip_model import ChipConfig, ChipModel
from sim_models.limits import ERROR_TOKEN
from tb.unit.common import hold_reset


def next_token(tok: int, pos: int, vocab: int) -> int:
    """The bench's 'forward pass + select': the token after `tok` fed at position pos - 1."""
    return (tok * 7 + pos * 3 + 1) % vocab


class FakeModel:
    """GoldenModel's position bookkeeping; the logits are just the token fed."""
    def __init__(self) -> None:
        self.pos, self.adapter = 0, None

    def forward(self, toks: list[int]) -> list[tuple[int, int]]:
        self.pos += len(toks)
        return [(toks[-1], self.pos)]

    def reset(self) -> None:
        self.pos = 0


def chip_model(vocab: int, seq_len: int) -> ChipModel:
    chip = ChipModel.__new__(ChipModel)      # no QuantModel: the protocol rules only
    chip.qm = SimpleNamespace(cfg=SimpleNamespace(seq_len=seq_len, vocab_size=vocab))
    chip.config, chip.errors, chip.tokens_in, chip.tokens_out = ChipConfig(), 0, 0, 0
    chip.pending_seed, chip.adapter = None, None
    chip.model = FakeModel()
    chip.sampler = SimpleNamespace(seed=lambda seed: None)
    chip._pick = lambda logits: next_token(logits[0], logits[1], vocab)
    return chip


class Sequencer:
    """The core's protocol states around rf_proto, and what they observe."""
    def __init__(self, dut, rng: random.Random, vocab: int) -> None:
        self.dut, self.rng, self.vocab = dut, rng, vocab
        self.state, self.left, self.pos = "IDLE", 0, 0
        self.out_valid, self.out_data, self.out_last = 0, 0, 0
        self.beats: list[tuple[int, bool]] = []
        self.errors, self.seed_loads, self.settings = 0, 0, []
        self.ready_p = 1.0

    async def run(self) -> None:
        dut = self.dut
        while True:
            await FallingEdge(dut.clk)
            ready = int(self.rng.random() < self.ready_p)
            dut.idle.value = int(self.state == "IDLE")
            dut.fwd_end.value = int(self.state == "DONE")
            dut.emit_ack.value = int(self.state == "EMIT" and ready)
            dut.emit_final.value, dut.emit_token.value, dut.pos.value = self.out_last, self.out_data, self.pos
            if self.state == "DONE":
                dut.sel_token.value = next_token(int(dut.cur_tok.value), self.pos + 1, self.vocab)
            await ReadOnly()
            self.errors |= int(dut.err_set.value)
            self.seed_loads += int(dut.sel_seed_load.value)
            go, err_end, clear_pos = int(dut.go.value), int(dut.err_end.value), int(dut.clear_pos.value)
            emit_last, cur_emit = int(dut.emit_last.value), int(dut.cur_emit.value)
            sel = int(dut.sel_token.value)
            if self.state == "DONE" and cur_emit:
                self.settings.append((int(dut.gen_sample.value), int(dut.gen_inv_temp.value),
                                      int(dut.gen_top_k.value)))
            await RisingEdge(dut.clk)
            if self.state == "IDLE":
                if go:
                    self.state, self.left = "FWD", self.rng.randrange(1, 6)
                elif err_end:
                    self.state, self.out_valid, self.out_data, self.out_last = "ERRBEAT", 1, ERROR_TOKEN, 1
                if clear_pos:
                    self.pos = 0
            elif self.state == "FWD":
                self.left -= 1
                if self.left == 0:
                    self.state = "DONE"
            elif self.state == "DONE":
                self.pos += 1
                self.state = "EMIT" if cur_emit else "IDLE"
                if cur_emit:
                    self.out_valid, self.out_data, self.out_last = 1, sel, emit_last
            elif ready:    # ERRBEAT or EMIT: the beat is taken
                self.beats.append((self.out_data, bool(self.out_last)))
                self.out_valid = 0
                self.state = "FWD" if self.state == "EMIT" and not self.out_last else "IDLE"
                self.left = self.rng.randrange(1, 6)
                self.out_last = 0


@cocotb.test()
async def protocol_random(dut) -> None:
    rng = random.Random(cocotb.RANDOM_SEED)
    vocab, seq_len = int(dut.VOCAB.value), int(dut.SEQ_LEN.value)
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    await hold_reset(dut, ["in_valid", "in_data", "in_last", "ctrl_new_seq", "cfg_budget", "cfg_sample",
                           "cfg_inv_temp", "cfg_top_k", "cfg_seed_load", "cfg_stop_token", "cfg_stop_en",
                           "idle", "fwd_end", "emit_ack", "emit_final", "emit_token", "sel_token", "pos"])
    seq = Sequencer(dut, rng, vocab)
    cocotb.start_soon(seq.run())
    chip = chip_model(vocab, seq_len)
    regs = {"cfg_budget": 64, "cfg_sample": 0, "cfg_inv_temp": 256, "cfg_top_k": 0, "cfg_stop_token": 0,
            "cfg_stop_en": 0}
    for k, v in regs.items():
        getattr(dut, k).value = v

    def write_settings() -> None:
        # any 16-bit budget (a large one ends at the full context) and stop token (>= VOCAB: never hit)
        regs.update(cfg_budget=rng.choice((0, 1, 2, 5, 40, rng.randrange(1 << 16))), cfg_sample=rng.randrange(2),
                    cfg_inv_temp=rng.randrange(1 << 16), cfg_top_k=rng.randrange(256),
                    cfg_stop_token=rng.randrange(vocab) if rng.random() < 0.8 else rng.randrange(1 << 16),
                    cfg_stop_en=int(rng.random() < 0.5))
        for k, v in regs.items():
            getattr(dut, k).value = v

    seed_written = False
    for n in range(40):
        seq.ready_p = rng.choice((1.0, 0.5, 0.2))
        if rng.random() < 0.25:                           # NEW_SEQ between prompts
            await FallingEdge(dut.clk)
            dut.ctrl_new_seq.value = 1
            await FallingEdge(dut.clk)
            dut.ctrl_new_seq.value = 0
            chip.new_sequence()
        prompt = [rng.randrange(vocab) for _ in range(rng.randrange(1, 4))]
        if rng.random() < 0.15:
            prompt[rng.randrange(len(prompt))] = rng.choice((vocab + rng.randrange(100), rng.randrange(vocab, 1 << 16)))
        latched = None
        for i, tok in enumerate(prompt):
            dut.in_valid.value, dut.in_data.value, dut.in_last.value = 1, tok, int(i == len(prompt) - 1)
            while True:
                await FallingEdge(dut.clk)                # settings writes race the prompt
                if rng.random() < 0.3:
                    write_settings()
                if rng.random() < 0.05:
                    dut.cfg_seed_load.value, seed_written = 1, True
                await ReadOnly()
                taken = int(dut.tok_in.value)
                if taken and i == len(prompt) - 1:
                    latched = dict(regs)
                await RisingEdge(dut.clk)
                dut.cfg_seed_load.value = 0
                if taken:
                    break
            dut.in_valid.value = 0
        chip.configure(budget=latched["cfg_budget"], sample=bool(latched["cfg_sample"]),
                       inv_temp=latched["cfg_inv_temp"], top_k=latched["cfg_top_k"],
                       stop_token=latched["cfg_stop_token"] if latched["cfg_stop_en"] else None)
        loads_before, settings_before = seq.seed_loads, len(seq.settings)
        want = chip.prompt(prompt)
        for _ in range(2000):                             # until the protocol is idle again
            await RisingEdge(dut.clk)
            if seq.state == "IDLE" and len(seq.beats) == len(want):
                break
        for _ in range(3):                                # the error flags follow the last beat
            await RisingEdge(dut.clk)
        got, seq.beats = seq.beats, []
        assert got == want, f"prompt {n} {prompt} (settings {latched}): beats {got} != {want}"
        assert seq.errors == chip.errors, f"prompt {n}: error bits {seq.errors:03b} != {chip.errors:03b}"
        assert seq.seed_loads - loads_before == int(seed_written), f"prompt {n}: PRNG reloads"
        seed_written = False
        latched_sel = (latched["cfg_sample"], latched["cfg_inv_temp"], latched["cfg_top_k"])
        assert all(s == latched_sel for s in seq.settings[settings_before:]), f"prompt {n}: settings"
    dut._log.info("rf_proto: 40 prompts match ChipModel")
