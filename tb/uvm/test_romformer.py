"""pyuvm tests of romformer_top (cocotb tests; run them with tests/test_uvm.py).

Every generated token is predicted by sim_models.ChipModel and compared in order by the
scoreboard; register readback by sim_models.regmap.RegisterModel. Negative tests say in their
docstring what they expect. The model comes from ROMFORMER_BUILD (a compiled build dir).
"""
from __future__ import annotations

import itertools
import json
import os
import random
import zlib
from pathlib import Path

import cocotb
import numpy as np
from cocotb.handle import Deposit
from cocotb.triggers import ClockCycles, First, ReadOnly, RisingEdge, Timer, with_timeout
from pyuvm import ConfigDB, test, uvm_test

from sim_models.chip_model import ChipModel
from sim_models.compiler import load_build
from sim_models.lora import from_image, image_hash, random_adapter
from sim_models.regmap import BY_NAME, OKAY, SLVERR
from sim_models.schedule import Schedule
from tb.top.harness import CLOCK_NS, Harness
from tb.uvm.coverage import CROSSES, cross_holes
from tb.uvm.env import RomformerEnv
from tb.uvm.items import RegItem
from tb.uvm.sequences import (
    ERROR_BITS,
    AdapterBadAccessSeq,
    AdapterBusySeq,
    AdapterEnableSeq,
    AdapterLoadSeq,
    AdapterReadbackSeq,
    AdapterSeq,
    BadAccessSeq,
    ClearErrorsSeq,
    ConfigSeq,
    CtrlSeq,
    PromptSeq,
    RandomConfigSeq,
    RandomPromptSeq,
    RandomRwSeq,
    ReadAllSeq,
    RegSeq,
    WriteEveryRegisterSeq,
    random_reg_op,
)

# COCOTB_RANDOM_SEED of this run (at import, i.e. test collection): what reproduces a test. During a
# test cocotb.RANDOM_SEED is derived from it and the test's name.
REGRESSION_SEED = cocotb.RANDOM_SEED


class BaseTest(uvm_test):
    """Builds the env for the model in ROMFORMER_BUILD, resets the chip, runs `body`, waits until
    every predicted beat arrived. Subclasses set the stream patterns and override `body`."""

    IDLE_PATTERN = "none"
    READY_PATTERN = "none"
    CORRUPT_BEAT = -1
    EXPECT_MISMATCH = False
    FAULT = ""

    def build_phase(self) -> None:
        self.dut = cocotb.top
        self.name = type(self).__name__
        self.seed = cocotb.RANDOM_SEED ^ zlib.crc32(self.name.encode())
        self.rng = random.Random(self.seed)
        build = Path(os.environ["ROMFORMER_BUILD"])
        self.qm = load_build(build)
        self.cfg = self.qm.cfg
        lanes = json.loads((build / "manifest.json").read_text())["lanes"]
        self.schedule = Schedule(self.cfg, lanes, act=self.qm.act)
        self.lanes = lanes
        # The chip's adapter hardware (tests/test_uvm.py UVM_LORA): "RANK:target,target" or absent
        spec = os.environ.get("ROMFORMER_LORA", "")
        self.lora = (int(spec.split(":")[0]), tuple(spec.split(":")[1].split(","))) if spec else None
        self.harness = Harness(self.dut).start()
        for key, value in {"DUT": self.dut, "HARNESS": self.harness, "SCHEDULE": self.schedule,
                           "FAULT": self.FAULT, "CHIP": ChipModel(self.qm), "LANES": lanes, "LORA": self.lora,
                           "SEED": self.seed,
                           "REPRO_SEED": REGRESSION_SEED,
                           "TEST_NAME": self.name, "IDLE_PATTERN": self.IDLE_PATTERN,
                           "READY_PATTERN": self.READY_PATTERN, "CORRUPT_BEAT": self.CORRUPT_BEAT,
                           "EXPECT_MISMATCH": self.EXPECT_MISMATCH}.items():
            ConfigDB().set(None, "*", key, value)
        self.env = RomformerEnv("env", self)
        self.dut.rst_n.value = 0

    def end_of_elaboration_phase(self) -> None:
        self.sb = self.env.scoreboard
        self.monitor = self.env.tokens.monitor
        self.logger.info(f"{self.name}: COCOTB_RANDOM_SEED={REGRESSION_SEED} (test rng {self.seed}), model {self.cfg}, "
                         f"idle {self.IDLE_PATTERN}, ready {self.READY_PATTERN}")

    async def run_phase(self) -> None:
        self.raise_objection()
        await self.env.reset.pulse(4)
        await self.body()
        await self.drain()
        self.harness.finish()
        self.drop_objection()

    async def body(self) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------- virtual-sequence helpers
    async def prompt(self, tokens: list[int], wait: bool = True) -> list[int]:
        """Send a prompt; with wait, return the beats it caused once all of them arrived."""
        first = len(self.monitor.received)
        self.prefill = len(tokens)
        await PromptSeq("prompt", tokens, timeout_ns=(len(tokens) + 1) * self.pass_timeout_ns()).start(
            self.env.prompts.seqr)
        if not wait:
            return []
        await self.drain()
        return [b.data for b in self.monitor.received[first:]]

    async def regs(self, seq: RegSeq) -> RegSeq:
        await seq.start(self.env.axil.seqr)
        return seq

    async def write(self, reg: str, value: int) -> int:
        return (await self.regs(RegSeq("wr", [RegItem.write(reg, value)]))).items[0].resp

    async def read(self, reg: str) -> int:
        item = (await self.regs(RegSeq("rd", [RegItem.read(reg)]))).items[0]
        self.sb.check(item.resp == OKAY, f"read {reg}: response {item.resp}")
        return item.data

    async def expect_reg(self, reg: str, value: int) -> None:
        got = await self.read(reg)
        self.sb.check(got == value, f"{reg} = {got:#x}, expected {value:#x}")

    def pass_timeout_ns(self) -> float:
        """A generous bound for one forward pass plus the longest ready-low stretch."""
        return (self.schedule.cycles(self.cfg.seq_len - 1, True, True, 0) * 2 + 1000) * CLOCK_NS

    async def drain(self) -> None:
        """Wait until every predicted beat arrived (a bound per beat: no hang if one is lost)."""
        while self.sb.pending and not self.sb.mismatches:
            before = self.monitor.beats
            self.monitor.beat_seen.clear()
            passes = 1 + getattr(self, "prefill", 0)
            await First(self.monitor.beat_seen.wait(), Timer(passes * self.pass_timeout_ns(), unit="ns"))
            self.prefill = 0
            if self.monitor.beats == before:
                self.sb.check(False, f"timeout after {passes * self.pass_timeout_ns():.0f} ns: the core is silent, "
                              f"{self.sb.pending} predicted beats did not arrive", "timeout")
                return

    async def wait_status(self, field: str, value: int, what: str) -> None:
        """Poll STATUS (a read every 100 cycles) until `field` == value (bounded)."""
        f = BY_NAME["STATUS"].field(field)
        for _ in range(int(self.pass_timeout_ns() * self.cfg.seq_len / (100 * CLOCK_NS))):
            if (await self.read("STATUS") & f.mask) >> f.lsb == value:
                return
            await Timer(100 * CLOCK_NS, unit="ns")
        self.sb.check(False, f"timeout: {what}", "timeout")

    async def wait_idle(self) -> None:
        """For prompts without output: until STATUS.IDLE."""
        await self.wait_status("IDLE", 1, "the core did not become idle")

    async def new_sequence(self) -> None:
        """CTRL.NEW_SEQ, then until STATUS.NEW_SEQ_PENDING clears (it acts at the next idle point)."""
        await self.regs(CtrlSeq(new_seq=True))
        await self.wait_status("NEW_SEQ_PENDING", 0, "NEW_SEQ stayed pending")

    async def wait_beats(self, n: int, what: str) -> None:
        """Until the output monitor saw n beats in total (bounded by n forward passes)."""
        bound = (n + 1 + getattr(self, "prefill", 0)) * self.pass_timeout_ns()
        try:
            await with_timeout(self.harness.out.wait_beats(n), bound, "ns")
        except TimeoutError:
            self.sb.check(False, f"timeout after {bound:.0f} ns waiting for {what}: {self.monitor.beats} beats", "timeout")
            raise

    def random_prompt(self, max_len: int) -> list[int]:
        return RandomPromptSeq("p", self.rng, self.cfg.vocab_size, max_len).tokens

    # ------------------------------------------------------------- LoRA adapter helpers
    async def adapter(self, seq: AdapterSeq) -> AdapterSeq:
        await seq.start(self.env.adapter.seqr)
        return seq

    def adapter_words(self) -> int:
        """ADAPTER_WORDS of the chip; the Adapter* tests need adapter hardware (tests/test_uvm.py UVM_LORA)."""
        assert self.lora, f"{self.name} needs a chip with adapter hardware (ROMFORMER_LORA; tests/test_uvm.py UVM_LORA)"
        return self.sb.predictor.adapter_words

    def adapter_image(self) -> list[int]:
        """A random integer adapter for this chip (sim_models.lora.random_adapter: saturating and rounding
        cases), as the SRAM image."""
        rank, targets = self.lora
        return random_adapter(self.cfg, self.lanes, rank, targets, seed=self.rng.getrandbits(31)).image().tolist()

    def telling_prompt(self, images: list[list[int]], max_len: int, budget: int, tries: int = 40) -> list[int] | None:
        """A random prompt whose greedy tokens (from a fresh sequence) differ between the base model and
        each image, so the RTL's tokens show whether the adapter path acted (a scratch ChipModel decides);
        None when no prompt of `tries` does."""
        rank, targets = self.lora
        adapters = [from_image(self.cfg, self.lanes, rank, targets, np.array(im, np.int64)) for im in images]
        for _ in range(tries):
            prompt = self.random_prompt(max_len)
            outs = []
            for ad in [None] + adapters:
                chip = ChipModel(self.qm)
                chip.configure(budget=budget)
                chip.adapter = ad
                outs.append(chip.prompt(prompt))
            if all(o != outs[0] for o in outs[1:]):
                return prompt
        return None

    def telling_adapters(self, n: int, max_len: int, budget: int, draws: int = 8) -> tuple[list[list[int]], list[int]]:
        """n random adapter images and a telling prompt for them. A draw of random adapters can be too weak
        to change any short prompt's tokens (seed 1796652327: no prompt of 40 for the first pair); such a
        draw is replaced by a new one, so the stimulus does not depend on the seed being lucky."""
        for _ in range(draws):
            images = [self.adapter_image() for _ in range(n)]
            prompt = self.telling_prompt(images, max_len, budget)
            if prompt is not None:
                return images, prompt
        raise AssertionError(f"no draw of {draws} random adapter sets has a prompt whose tokens differ with each "
                             f"adapter: the random adapters are too weak for this model")

    def expect_covered(self, cross: str, **axes: tuple) -> None:
        """The bins of `cross` whose axes take the given values (the others: every value) were hit by this
        test: a directed test that stops reaching its coverage targets fails, not only the merged goal."""
        want = [tuple(b) for b in itertools.product(*(axes.get(a, bins) for a, bins in CROSSES[cross]))]
        holes = cross_holes(cross, want)
        self.sb.check(not holes, f"{self.name}: its stimulus did not reach {len(holes)} bins of the {cross} cross: "
                      f"{holes}", "coverage")

    async def load_adapter(self, image: list[int], what: str) -> None:
        """Load over the bus; ADAPTER_SUM (read by the sequence; the scoreboard predicts it too) must equal
        the image's checksum (sim_models.lora.image_hash, the manifest's checksum)."""
        seq = await self.adapter(AdapterLoadSeq(what, image))
        self.sb.check(all(r == OKAY for r in seq.items[0].resps), f"loading {what}: responses {set(seq.items[0].resps)}")
        self.sb.check(seq.sum == image_hash(image), f"{what}: ADAPTER_SUM {seq.sum:#010x} != checksum "
                      f"{image_hash(image):#010x}")


# ================================================================= tests
@test()
class Smoke(BaseTest):
    """The embedded model (or any build): a short prompt, greedy, a few tokens, ID / CONFIG / SEQ_LEN."""

    async def body(self) -> None:
        await self.regs(ReadAllSeq())
        await self.regs(ConfigSeq(budget=4))
        tokens = list(b"It is a")[: min(7, self.cfg.seq_len - 4)]
        await self.prompt([t % self.cfg.vocab_size for t in tokens])


@test()
class RandomPrompts(BaseTest):
    """Several random sequences: random configuration (greedy / sampled), prompt, idle gaps and
    random backpressure; each starts with NEW_SEQ."""

    IDLE_PATTERN = "random"
    READY_PATTERN = "random"

    async def body(self) -> None:
        for i in range(int(os.environ.get("ROMFORMER_UVM_ITER", 5))):
            await self.regs(CtrlSeq(new_seq=True))
            await self.regs(RandomConfigSeq(f"cfg{i}", self.rng, max_budget=6))
            await self.prompt(self.random_prompt(self.cfg.seq_len // 3))


@test()
class MultiTurn(BaseTest):
    """A second and third prompt continue the same sequence (position carries over)."""

    IDLE_PATTERN = "random"

    async def body(self) -> None:
        await self.regs(ConfigSeq(budget=3, sample=True, inv_temp=256, top_k=8, seed=self.rng.getrandbits(32)))
        for _ in range(3):
            await self.prompt(self.random_prompt(4))
            await self.expect_reg("POSITION", self.sb.chip.pos)


@test()
class NewSequence(BaseTest):
    """CTRL.NEW_SEQ clears the KV position: POSITION reads 0 and the same prompt gives the same
    tokens as a fresh start (a fresh ChipModel's prediction)."""

    async def body(self) -> None:
        prompt = self.random_prompt(5)
        await self.regs(ConfigSeq(budget=4))
        first = await self.prompt(prompt)
        await self.new_sequence()
        await self.expect_reg("POSITION", 0)
        again = await self.prompt(prompt)
        fresh = ChipModel(self.qm)
        fresh.configure(budget=4)
        want = [t for t, _ in fresh.prompt(prompt)]
        self.sb.check(first == want and again == want, f"NEW_SEQ: first {first}, again {again}, fresh {want}")


@test()
class ContextFull(BaseTest):
    """Negative: generation that reaches the end of the context ends with TLAST and sets
    ERROR.CONTEXT_FULL; a further prompt gets a 0xFFFF beat and ERROR.CONTEXT_OVERFLOW."""

    async def body(self) -> None:
        seq = self.cfg.seq_len
        await self.regs(ConfigSeq(budget=8))
        out = await self.prompt([self.rng.randrange(self.cfg.vocab_size) for _ in range(seq - 3)])
        self.sb.check(len(out) == 4, f"expected 4 tokens up to the end of the context, got {out}")
        await self.expect_reg("ERROR", ERROR_BITS["CONTEXT_FULL"])
        await self.expect_reg("POSITION", seq)
        out = await self.prompt([1, 2])
        self.sb.check(out == [0xFFFF], f"prompt into a full context: expected [0xFFFF], got {out}")
        await self.expect_reg("ERROR", ERROR_BITS["CONTEXT_FULL"] | ERROR_BITS["CONTEXT_OVERFLOW"])
        await self.regs(ClearErrorsSeq(bits=ERROR_BITS["CONTEXT_FULL"]))
        await self.regs(ClearErrorsSeq())
        # A prompt that fills the context exactly: one token, at the last position, then CONTEXT_FULL.
        await self.new_sequence()
        out = await self.prompt([self.rng.randrange(self.cfg.vocab_size) for _ in range(seq)])
        self.sb.check(len(out) == 1, f"a prompt of seq_len tokens: expected 1 token, got {out}")
        await self.expect_reg("ERROR", ERROR_BITS["CONTEXT_FULL"])
        await self.regs(ClearErrorsSeq())
        # One token in, a budget past the end: the output walks every position of the context,
        # sampled at a high temperature (T = 4, every candidate) so the tokens spread over the vocabulary.
        # A one-token prompt queued while that generation runs finds the context full: CONTEXT_OVERFLOW with
        # the core generating when its token arrived.
        await self.new_sequence()
        await self.regs(ConfigSeq(budget=seq + 4, sample=True, inv_temp=64, top_k=0, seed=self.rng.getrandbits(32)))
        first = self.monitor.beats
        await self.prompt(self.random_prompt(1), wait=False)
        await self.wait_beats(first + 1, "the first generated token")
        await self.prompt(self.random_prompt(1), wait=False)
        await self.drain()
        out = [b.data for b in self.monitor.received[first:]]
        self.sb.check(len(out) == seq + 1 and out[-1] == 0xFFFF, f"generation from position 0 and a queued prompt: "
                      f"expected {seq} tokens and 0xFFFF, got {len(out)} beats ending {out[-2:]}")
        await self.expect_reg("ERROR", ERROR_BITS["CONTEXT_FULL"] | ERROR_BITS["CONTEXT_OVERFLOW"])
        await self.regs(ClearErrorsSeq())
        self.expect_covered("error_state", case=("CONTEXT_OVERFLOW",), state=("idle", "generating"))
        self.expect_covered("error_state", case=("CONTEXT_FULL",), state=("generating",))


@test()
class ContextOverflow(BaseTest):
    """Negative: a prompt longer than seq_len: the tokens that fit stay in the context, the rest
    is dropped, one 0xFFFF beat with TLAST, ERROR.CONTEXT_OVERFLOW; after NEW_SEQ a prompt works."""

    async def body(self) -> None:
        seq = self.cfg.seq_len
        await self.regs(ConfigSeq(budget=2))
        out = await self.prompt([self.rng.randrange(self.cfg.vocab_size) for _ in range(seq + 3)])
        self.sb.check(out == [0xFFFF], f"overflowing prompt: expected [0xFFFF], got {out}")
        await self.expect_reg("POSITION", seq)
        await self.expect_reg("ERROR", ERROR_BITS["CONTEXT_OVERFLOW"])
        await self.regs(ClearErrorsSeq())
        await self.regs(CtrlSeq(new_seq=True))
        await self.prompt([self.rng.randrange(self.cfg.vocab_size) for _ in range(self.rng.randint(8, 15))])
        self.expect_covered("error_state", case=("CONTEXT_OVERFLOW",), state=("prompt",))


@test()
class TokenRange(BaseTest):
    """Negative: a token id >= VOCAB in a prompt: one 0xFFFF beat with TLAST, ERROR.TOKEN_RANGE,
    the tokens before it stay in the context; RW1C clears the flag; the next prompt works."""

    IDLE_PATTERN = "random"

    async def body(self) -> None:
        await self.regs(ConfigSeq(budget=3))
        bad = self.rng.choice([self.cfg.vocab_size, 0x7FFF, 0xFFFF])
        out = await self.prompt([3, 4, bad, 5])
        self.sb.check(out == [0xFFFF], f"bad token {bad}: expected [0xFFFF], got {out}")
        await self.expect_reg("ERROR", ERROR_BITS["TOKEN_RANGE"])
        await self.expect_reg("POSITION", 2)
        await self.regs(ClearErrorsSeq(bits=ERROR_BITS["TOKEN_RANGE"]))
        # a bad token queued while tokens are generated (answered after them), then one sent while idle
        first = self.monitor.beats
        await self.prompt(self.random_prompt(3), wait=False)
        await self.wait_beats(first + 1, "the first generated token")
        await self.prompt([bad], wait=False)
        await self.drain()
        self.sb.check(self.monitor.received[-1].data == 0xFFFF, "a bad token queued during generation: no 0xFFFF beat")
        await self.regs(ClearErrorsSeq())
        out = await self.prompt([bad])
        await self.regs(ClearErrorsSeq())
        self.expect_covered("error_state", case=("TOKEN_RANGE",))


@test()
class RegisterAccess(BaseTest):
    """Every register read; random RW writes with strobes read back; negative: unmapped accesses
    (SLVERR, ERROR.BAD_ADDRESS, reads 0), writes to RO registers (SLVERR, ERROR.READ_ONLY_WRITE),
    WO reads 0; RW1C clears; the core still works afterwards."""

    async def body(self) -> None:
        await self.regs(ReadAllSeq())
        await self.regs(RandomRwSeq("rw", self.rng, n=16))
        bad = await self.regs(BadAccessSeq("bad", self.rng))
        resps = [i.resp for i in bad.items]
        self.sb.check(resps[:-1] == [SLVERR] * (len(resps) - 1) and resps[-1] == OKAY,
                      f"bad accesses: responses {resps}")
        await self.expect_reg("ERROR", ERROR_BITS["BAD_ADDRESS"] | ERROR_BITS["READ_ONLY_WRITE"])
        await self.regs(ClearErrorsSeq(bits=ERROR_BITS["BAD_ADDRESS"]))
        await self.regs(ClearErrorsSeq())
        await self.regs(ConfigSeq(budget=2, sample=False, stop_enable=False))
        await self.prompt(self.random_prompt(3))
        await self.regs(ReadAllSeq())


@test()
class ResetMidGeneration(BaseTest):
    """rst_n is pulled low at a random time (not clock aligned) while tokens stream out; the
    env drops what was in flight; after reset the registers are back to reset values and a
    prompt gives the same tokens as a fresh chip."""

    READY_PATTERN = "random"

    async def body(self) -> None:
        await self.regs(ConfigSeq(budget=20))
        prompt = self.random_prompt(4)
        await self.prompt(prompt, wait=False)
        await self.wait_beats(2, "2 output beats before the reset")
        offset = self.rng.randint(1, int(self.pass_timeout_ns() / 4)) + 0.5   # ns: never on a clock edge
        await self.env.reset.pulse(self.rng.randint(2, 6), offset_ns=offset)
        self.logger.info(f"reset {offset:.1f} ns after beat 2; {self.monitor.beats} beats seen")
        await self.regs(ReadAllSeq())       # reset values (RegisterModel reset too)
        await self.expect_reg("POSITION", 0)
        await self.regs(ConfigSeq(budget=3))
        await self.prompt(prompt)
        # rst_n while idle, then while a prompt is being received (one forward pass per token: after one
        # pass, most of a 6-token prompt still waits); the chip works after each
        await ClockCycles(self.dut.clk, 20)
        await self.env.reset.pulse(self.rng.randint(2, 6), offset_ns=self.rng.randint(1, 50) + 0.5)
        send = cocotb.start_soon(self.prompt([self.rng.randrange(self.cfg.vocab_size) for _ in range(6)], wait=False))
        await ClockCycles(self.dut.clk, self.schedule.cycles(0))
        self.sb.check(self.sb.open_prompt_ns is not None, "the prompt was no longer being received")
        await self.env.reset.pulse(self.rng.randint(2, 6), offset_ns=self.rng.randint(1, 50) + 0.5)
        await send
        await self.regs(ConfigSeq(budget=1))
        await self.prompt(self.random_prompt(1))
        self.expect_covered("error_state", case=("RESET",))


@test()
class HeavyBackpressure(BaseTest):
    """Ready low for long random stretches, long idle gaps on the prompt: no token lost,
    duplicated or reordered (the scoreboard compares in order, and all must arrive)."""

    IDLE_PATTERN = "long"
    READY_PATTERN = "long"

    async def body(self) -> None:
        await self.regs(ConfigSeq(budget=10, sample=True, inv_temp=320, top_k=0, seed=self.rng.getrandbits(32)))
        await self.prompt([self.rng.randrange(self.cfg.vocab_size) for _ in range(12)])


@test()
class ModeLengthStall(BaseTest):
    """Every selection mode (greedy, sampled, top-k) x prompt length (one token, short: 2, long: seq_len/4) x
    output stall (none, short, long: READY_PATTERN cycle gives each 3-token response one of each), which closes
    romformer.cross.generation by itself. While each long prompt is received and while its tokens stream out,
    every writable register is written (WriteEveryRegisterSeq: the same settings, the adapter writes refused)
    with the bus error cases: the prompt and generating rows of romformer.cross.write_state and error_state."""

    READY_PATTERN = "cycle"

    async def body(self) -> None:
        vocab = self.cfg.vocab_size
        lengths = (1, 2, max(3, self.cfg.seq_len // 4))
        for mode, (sample, inv_temp, top_k) in (("greedy", (0, 0, 0)), ("sampled", (1, 256, 0)),
                                                 ("top_k", (1, 256, 4))):
            settings = {"BUDGET": 3, "SAMPLING": sample, "INV_TEMP": inv_temp, "TOP_K": top_k, "STOP": 0,
                        "SEED": self.rng.getrandbits(32)}
            await self.new_sequence()
            await self.regs(RegSeq(f"cfg_{mode}", [RegItem.write(r, v) for r, v in settings.items()]))
            for n in lengths[:-1]:
                await self.prompt([self.rng.randrange(vocab) for _ in range(n)])
            first = self.monitor.beats
            send = cocotb.start_soon(self.prompt([self.rng.randrange(vocab) for _ in range(lengths[-1])], wait=False))
            await ClockCycles(self.dut.clk, self.schedule.cycles(0))
            self.sb.check(self.sb.open_prompt_ns is not None, f"{mode}: the long prompt was no longer being received")
            await self.regs(WriteEveryRegisterSeq(f"{mode}_prompt", self.rng, settings))
            await send
            await self.wait_beats(first + 1, f"{mode}: the first token of the long prompt")
            await self.regs(WriteEveryRegisterSeq(f"{mode}_generating", self.rng, settings))
            await self.drain()
            self.sb.check(self.monitor.beats - first == 3, f"{mode}: {self.monitor.beats - first} tokens, budget 3")
        self.expect_covered("generation")
        self.expect_covered("write_state", state=("prompt", "generating"))
        self.expect_covered("error_state", case=("BAD_ADDRESS", "READ_ONLY_WRITE", "ADAPTER_BUSY"),
                            state=("prompt", "generating"))


@test()
class SamplingSeed(BaseTest):
    """Top-k sampling: the same seed gives the same tokens (after NEW_SEQ), RTL equals golden."""

    async def body(self) -> None:
        seed = self.rng.getrandbits(32)
        await self.regs(ConfigSeq(budget=6, sample=True, inv_temp=384, top_k=16, seed=seed))
        prompt = self.random_prompt(3)
        a = await self.prompt(prompt)
        await self.regs(CtrlSeq(new_seq=True))
        await self.regs(ConfigSeq(seed=seed))
        b = await self.prompt(prompt)
        self.sb.check(a == b, f"same seed {seed}: {a} != {b}")
        await self.regs(CtrlSeq(new_seq=True))
        await self.regs(ConfigSeq(seed=0, top_k=0))
        await self.prompt(prompt)


@test()
class StopToken(BaseTest):
    """STOP.ENABLE: generation ends right after the stop token (TLAST on it)."""

    async def body(self) -> None:
        prompt = self.random_prompt(3)
        scratch = ChipModel(self.qm)
        scratch.configure(budget=8)
        free = [t for t, _ in scratch.prompt(prompt)]
        stop = free[2]
        await self.regs(ConfigSeq(budget=8, stop=stop, stop_enable=True))
        out = await self.prompt(prompt)
        self.sb.check(out == free[: free.index(stop) + 1], f"stop token {stop}: got {out}, free run {free}")


@test()
class BudgetZero(BaseTest):
    """BUDGET 0: the prompt is only prefilled (nothing emitted); a continuation then generates."""

    async def body(self) -> None:
        await self.regs(ConfigSeq(budget=0))
        prompt = self.random_prompt(5)
        await self.prompt(prompt)
        await self.wait_idle()
        self.sb.check(self.monitor.beats == 0, f"budget 0 emitted {self.monitor.beats} beats")
        await self.expect_reg("POSITION", len(prompt))
        await self.expect_reg("TOKENS_OUT", 0)
        await self.expect_reg("TOKENS_IN", len(prompt))
        await self.regs(ConfigSeq(budget=3))
        await self.prompt(self.random_prompt(2))


@test()
class Counters(BaseTest):
    """TOKENS_IN, TOKENS_OUT, CYCLES and LAST_CYCLES against what the testbench measured and the
    static schedule; TVALID intervals (ready always high) against Schedule.token_interval."""

    async def body(self) -> None:
        await self.regs(ConfigSeq(budget=5, sample=True, inv_temp=256, top_k=4, seed=9))
        await self.prompt(self.random_prompt(3))
        await self.regs(CtrlSeq(clear_counters=True))
        await self.expect_reg("TOKENS_IN", 0)
        await self.expect_reg("CYCLES_LO", 0)
        prompt = self.random_prompt(4)
        start = len(self.monitor.received)
        await self.prompt(prompt)
        beats = self.monitor.received[start:]
        await self.expect_reg("TOKENS_IN", len(prompt))
        await self.expect_reg("TOKENS_OUT", len(beats))
        sampled = True
        p_last = self.sb.chip.pos - 1
        await self.expect_reg("LAST_CYCLES", self.schedule.cycles(p_last, True, sampled, 4))
        predicted = sum(self.schedule.cycles(p, e, sampled, 4) for p, e in self.sb.passes)
        lo, hi = await self.read("CYCLES_LO"), await self.read("CYCLES_HI")
        self.sb.check(hi << 32 | lo == predicted, f"CYCLES {hi << 32 | lo} != predicted {predicted} "
                      f"(sum of LAST_CYCLES over {len(self.sb.passes)} forward passes)")
        first_pos = self.sb.chip.pos - len(beats) + 1
        intervals = [round((b.time_ns - a.time_ns) / CLOCK_NS) for a, b in zip(beats, beats[1:])]
        want = [self.schedule.token_interval(first_pos + i, True, 4) for i in range(len(intervals))]
        self.sb.check(intervals == want, f"TVALID intervals {intervals} != schedule {want}")


@test()
class FaultPrediction(BaseTest):
    """The suite can fail: the predictor flips beat 2 on purpose; passes only if the scoreboard
    reports that mismatch."""

    CORRUPT_BEAT = 2
    EXPECT_MISMATCH = True

    async def body(self) -> None:
        await self.regs(ConfigSeq(budget=4))
        await self.prompt(self.random_prompt(3))

    def check_phase(self) -> None:
        assert any("beat 2 " in m for m in self.sb.mismatches), f"expected a mismatch at beat 2: {self.sb.mismatches}"


@test()
class FaultRtlDeposit(BaseTest):
    """The suite can fail: the core's out_data register is overwritten (Deposit, token ^ 1) for
    beat 1 inside the RTL; passes only if the scoreboard reports that mismatch."""

    EXPECT_MISMATCH = True

    async def body(self) -> None:
        await self.regs(ConfigSeq(budget=4))
        core = self.dut.dut.u_core
        await self.prompt(self.random_prompt(3), wait=False)
        await self.wait_beats(1, "output beat 0")
        await with_timeout(RisingEdge(core.out_valid), 2 * self.pass_timeout_ns(), "ns")
        await ReadOnly()
        good = core.out_data.value.to_unsigned()
        await Timer(1, unit="ns")
        core.out_data.value = Deposit(good ^ 1)
        self.logger.info(f"fault injected: u_core.out_data {good} -> {good ^ 1} for beat 1")

    def check_phase(self) -> None:
        assert any(m.startswith("beat 1 ") for m in self.sb.mismatches), \
            f"expected a mismatch at beat 1: {self.sb.mismatches}"


@test()
class RegisterTraffic(BaseTest):
    """Issue 7: random settings writes (BUDGET, SAMPLING, INV_TEMP, TOP_K, STOP, SEED), CTRL.NEW_SEQ /
    CLEAR_COUNTERS and register reads at random times while tokens stream out (random gaps and
    backpressure). Settings are latched per prompt: a write observed after prompt k's first output
    beat applies to prompt k+1 (the predictor latches at the prompt's last input beat); counters
    are checked within the bounds the monitors allow."""

    IDLE_PATTERN = "random"
    READY_PATTERN = "random"

    async def body(self) -> None:
        vocab, seq = self.cfg.vocab_size, self.cfg.seq_len
        await self.regs(ConfigSeq(budget=4))
        for i in range(int(os.environ.get("ROMFORMER_UVM_ITER", 6))):
            if self.sb.chip.pos > seq - 12:     # a prompt (<= 4) and its tokens (<= 6) always fit
                await self.regs(CtrlSeq(new_seq=True))
            first = self.monitor.beats
            await self.prompt(self.random_prompt(4), wait=False)
            await ClockCycles(self.dut.clk, 2)   # the input monitor has seen TLAST: the prediction exists
            expected_out = self.sb.pending
            if expected_out:
                await self.wait_beats(first + 1, f"the first output beat of prompt {i}")
            else:
                await self.wait_idle()          # budget 0: the core is past the prompt once idle
            for _ in range(self.rng.randint(1, 6)):      # while the response streams out
                await Timer(self.rng.randint(1, self.pass_timeout_ns() // 8 // CLOCK_NS) * CLOCK_NS + 0.5, unit="ns")
                await self.regs(RegSeq("op", [random_reg_op(self.rng, vocab, 6)]))
            await self.drain()
            self.logger.info(f"prompt {i}: {self.monitor.beats - first} beats (predicted {expected_out})")
        await self.regs(ReadAllSeq())


@test()
class FaultInjection(BaseTest):
    """Must FAIL: ROMFORMER_FAULT (tb/uvm/faults.py) corrupts what a monitor reports -- a lost,
    duplicated or mis-TLASTed beat, a token one cycle late, a wrong register read. tests/test_faults.py
    runs it in a sub-run and asserts the failure and the name of the check that fired."""

    FAULT = os.environ.get("ROMFORMER_FAULT", "")

    async def body(self) -> None:
        await self.regs(ConfigSeq(budget=5))
        await self.expect_reg("BUDGET", 5)
        await self.prompt(self.random_prompt(3))


@test()
class PromptSoak(BaseTest):
    """Many short seeded prompts through cocotbext-axi with random TVALID gaps and TREADY
    backpressure, random settings between prompts, NEW_SEQ before the context fills: every token
    bit-exact, none lost or duplicated (the scoreboard compares each beat in order and all must
    arrive). ROMFORMER_SOAK_<SIM> prompts (make regression raises it on Verilator)."""

    IDLE_PATTERN = "random"
    READY_PATTERN = "random"

    async def body(self) -> None:
        sim = "VERILATOR" if "verilator" in (cocotb.SIM_NAME or "").lower() else "ICARUS"
        n = int(os.environ.get(f"ROMFORMER_SOAK_{sim}", 40 if sim == "VERILATOR" else 6))
        for i in range(n):
            if self.sb.chip.pos > self.cfg.seq_len - 8:
                await self.regs(CtrlSeq(new_seq=True))
            if i % 4 == 0:
                await self.regs(RandomConfigSeq(f"cfg{i}", self.rng, max_budget=3))
            await self.prompt(self.random_prompt(3))
        self.logger.info(f"soak: {n} prompts, {self.monitor.beats} output beats, all matched")


# ================================================================= LoRA adapter (issue 10)
@test()
class AdapterSwap(BaseTest):
    """The adapter agent loads image A over AXI4-Lite (ADAPTER_SUM = its checksum, words read back at
    both ends and at random), enables it and generates; disables it (the base chip's tokens and cycles);
    loads image B and generates with it after NEW_SEQ (a swap between prompt sequences); rewrites part of
    B (a third image) and continues the same sequence. Every token is predicted by ChipModel with the
    adapter decoded from the SRAM as the bus wrote it, every interval and LAST_CYCLES by the schedule
    with / without the adapter's cycles."""

    async def body(self) -> None:
        words = self.adapter_words()
        await self.regs(ReadAllSeq())
        (a, b), prompt = self.telling_adapters(2, 4, 3)
        await self.load_adapter(a, "image A")
        await self.adapter(AdapterReadbackSeq("readback", [(0, 2), (words - 2, 2), (self.rng.randrange(words - 4), 4)]))
        await self.regs(ConfigSeq(budget=3))
        out: dict[str, list[int]] = {}
        for what, image in (("A", a), ("base", None), ("B", b)):
            if image is b:
                await self.load_adapter(b, "image B")
            await self.adapter(AdapterEnableSeq(f"enable_{what}", image is not None))
            await self.new_sequence()
            out[what] = await self.prompt(prompt)
            sched = self.sb.predictor.lora_schedule if image is not None else self.schedule
            await self.expect_reg("LAST_CYCLES", sched.cycles(self.sb.chip.pos - 1, True, False, 0))
        # A third image: B with its U multipliers (the last words) rewritten; the sequence continues.
        tail = [w ^ 0x1F00 for w in b[-8:]]
        await self.adapter(AdapterEnableSeq("disable", False))
        await self.adapter(AdapterLoadSeq("patch", tail, start=words - 8))
        await self.adapter(AdapterEnableSeq("enable_B2", True))
        out["B2"] = await self.prompt(self.random_prompt(2))
        self.logger.info(f"adapter swap: {out}")
        self.sb.check(out["A"] != out["base"] and out["B"] != out["base"],
                      f"the adapters changed no token ({out}) although the prompt was chosen so that they do")
        self.sb.check(self.sb.predictor.ambiguous == 0, f"{self.sb.predictor.ambiguous} adapter writes at uncertain times")


@test()
class AdapterBusy(BaseTest):
    """Negative: adapter writes while the core is not idle -- while a prompt is being received and while
    tokens are generated -- ADAPTER_DATA and ADAPTER_CTRL (both values) get SLVERR and ERROR.ADAPTER_BUSY and
    change nothing (ADAPTER_ADDR writes and ADAPTER_DATA reads are allowed, OKAY); a whole load attempted
    while tokens stream: every ADAPTER_DATA write refused (CTRL.ADAPTER_SUM_CLEAR is a plain CTRL pulse and
    does clear ADAPTER_SUM); the SRAM words, ENABLE and the tokens of that prompt and the next are the
    loaded adapter's."""

    READY_PATTERN = "random"

    async def body(self) -> None:
        words = self.adapter_words()
        image = self.adapter_image()
        await self.load_adapter(image, "image")
        await self.adapter(AdapterEnableSeq("enable", True))
        await self.regs(ConfigSeq(budget=3))
        for phase in ("prompt", "generation"):
            first = self.monitor.beats
            if phase == "prompt":     # one forward pass per prompt token: after one pass, beats 5 and 6 still wait
                tokens = [self.rng.randrange(self.cfg.vocab_size) for _ in range(6)]
                send = cocotb.start_soon(self.prompt(tokens, wait=False))
                await ClockCycles(self.dut.clk, self.schedule.cycles(0))
                self.sb.check(self.sb.open_prompt_ns is not None, "the prompt was no longer being received")
            else:
                send = cocotb.start_soon(self.prompt(self.random_prompt(3), wait=False))
                await self.wait_beats(first + 1, "the first generated token")
            busy = await self.adapter(AdapterBusySeq(f"busy_{phase}", self.rng, words))
            resps = busy.items[0].resps
            self.sb.check(resps[:5] == [OKAY, SLVERR, SLVERR, SLVERR, OKAY] and resps[5] == OKAY,
                          f"adapter writes while busy ({phase}): responses {resps}")
            self.sb.check(busy.items[0].data == [image[busy.word]], f"word {busy.word} read {busy.items[0].data}")
            if phase == "generation":   # a load attempt: SUM_CLEAR and ADDR are taken, every DATA write refused
                start = self.rng.randrange(words - 16)
                load = await self.adapter(AdapterLoadSeq("load_busy", [self.rng.getrandbits(32) for _ in range(16)],
                                                         start))
                self.sb.check(load.items[0].resps[2:-1] == [SLVERR] * 16 and load.sum == 0,
                              f"a load while busy: responses {load.items[0].resps}, ADAPTER_SUM {load.sum:#x}")
            await send
            await self.drain()
            await self.expect_reg("ERROR", ERROR_BITS["ADAPTER_BUSY"])
            await self.expect_reg("ADAPTER_CTRL", 1)
            await self.expect_reg("ADAPTER_SUM", image_hash(image) if phase == "prompt" else 0)
            spans = [(busy.word, 1)] + ([(start, 16)] if phase == "generation" else [])
            back = await self.adapter(AdapterReadbackSeq("after", spans))
            self.sb.check(sum((it.data for it in back.items), []) == sum(([image[a + i] for i in range(k)]
                                                                         for a, k in spans), []),
                          "the SRAM changed under refused writes")
            await self.regs(ClearErrorsSeq())
            await self.new_sequence()
        await self.prompt(self.random_prompt(3))
        self.sb.check(self.sb.predictor.ambiguous == 0, f"{self.sb.predictor.ambiguous} adapter writes at uncertain times")


@test()
class AdapterErrors(BaseTest):
    """Negative: ADAPTER_DATA past the SRAM (ADAPTER_ADDR = ADAPTER_WORDS, random above, 0xFFFF): write SLVERR +
    ERROR.BAD_ADDRESS, read 0 with OKAY, ADAPTER_ADDR not stepped; writes to ADAPTER_SUM / CONFIG / WORDS:
    SLVERR + ERROR.READ_ONLY_WRITE; a corrupted image (one word flipped): ADAPTER_SUM differs from the
    checksum (what software must check before ENABLE) -- the chip then runs what its SRAM holds, and the
    predictor, which models the SRAM as written, still predicts every token; reloading the good image
    restores the checksum."""

    async def body(self) -> None:
        words = self.adapter_words()
        bad = await self.adapter(AdapterBadAccessSeq("bad", self.rng, words))
        resps = bad.items[0].resps
        want = [OKAY, SLVERR, OKAY, OKAY, OKAY] * 3 + [SLVERR] * 3 + [OKAY] * 4
        self.sb.check(resps == want, f"bad adapter accesses: responses {resps}, expected {want}")
        self.sb.check(bad.items[0].data[1:9:3] == [0, 0, 0], f"reads past the SRAM: {bad.items[0].data}")
        await self.expect_reg("ERROR", ERROR_BITS["BAD_ADDRESS"] | ERROR_BITS["READ_ONLY_WRITE"])
        await self.regs(ClearErrorsSeq())
        image = self.adapter_image()
        corrupt = list(image)
        k = self.rng.randrange(words)
        corrupt[k] ^= 1 << self.rng.randrange(32)
        seq = await self.adapter(AdapterLoadSeq("corrupt", corrupt))
        self.sb.check(seq.sum != image_hash(image), f"a flipped word {k} left ADAPTER_SUM at the image's checksum")
        await self.adapter(AdapterEnableSeq("enable", True))
        await self.regs(ConfigSeq(budget=3))
        prompt = self.random_prompt(3)
        await self.prompt(prompt)
        await self.adapter(AdapterEnableSeq("disable", False))
        await self.load_adapter(image, "good image")
        await self.adapter(AdapterEnableSeq("enable", True))
        await self.new_sequence()
        await self.prompt(prompt)
        self.sb.check(self.sb.predictor.ambiguous == 0, f"{self.sb.predictor.ambiguous} adapter writes at uncertain times")
