"""Top level: the embedded model generates on the RTL; every token is checked against the golden model.

Configuration comes from the environment (set by tb/sim.py and tests/test_rtl_top.py):
ROMFORMER_BUILD (compiled model dir), ROMFORMER_PROMPT (token ids), ROMFORMER_N,
ROMFORMER_INV_TEMP (0 = greedy), ROMFORMER_TOP_K, ROMFORMER_SEED, ROMFORMER_RESULT
(where to write result.json), ROMFORMER_LIVE (print tokens as they arrive).
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import cocotb
from cocotb.triggers import ClockCycles, Timer, with_timeout
from cocotb.utils import get_sim_time

from sim_models.compiler import load_build
from sim_models.corpus import decode_bytes
from sim_models.generate import int_generate
from sim_models.regmap import BY_NAME as REG
from sim_models.schedule import Schedule
from tb.axil import OKAY, RegisterBus
from tb.streams import PromptSource, TokenSink
from tb.top.harness import CLOCK_NS, Harness


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class TopTB:
    """romformer_top (in tb_romformer, clocked by cocotb's Clock): cocotbext-axi drivers,
    passive monitors and protocol checkers (Harness), the golden model and the schedule."""

    def __init__(self, dut) -> None:
        self.dut = dut
        self.clk = dut.clk
        self.h = Harness(dut).start()
        self.source = PromptSource(dut, dut.clk, dut.rst_n)
        self.sink = TokenSink(dut, dut.clk, dut.rst_n)
        self.regs = RegisterBus(dut, dut.clk, dut.rst_n)
        self.build = Path(os.environ["ROMFORMER_BUILD"])
        self.qm = load_build(self.build)
        manifest = json.loads((self.build / "manifest.json").read_text())
        self.schedule = Schedule(self.qm.cfg, manifest["lanes"], act=self.qm.act)

    async def reset(self) -> None:
        self.dut.rst_n.value = 0
        await ClockCycles(self.clk, 4)
        self.dut.rst_n.value = 1
        await ClockCycles(self.clk, 1)

    def pass_ns(self, pos: int, sampled: bool, top_k: int) -> float:
        """A bound for one forward pass at pos: twice the schedule's prediction plus slack."""
        return (2 * self.schedule.cycles(min(pos, self.qm.cfg.seq_len - 1), True, sampled, top_k) + 200) * CLOCK_NS

    async def write(self, name: str, value: int) -> None:
        resp = await self.regs.write(REG[name].offset, value)
        assert resp == OKAY, f"write {name}: response {resp}"

    async def read(self, name: str) -> int:
        value, resp = await self.regs.read(REG[name].offset)
        assert resp == OKAY, f"read {name}: response {resp}"
        return value

    async def next_beat(self, n: int, timeout_ns: float, what: str):
        """The n-th output beat (0-based) seen by the output monitor, bounded."""
        try:
            await with_timeout(self.h.out.wait_beats(n + 1), timeout_ns, "ns")
        except TimeoutError as e:
            raise AssertionError(f"timeout after {timeout_ns:.0f} ns waiting for {what} (output beat {n}): "
                                 f"the core is silent; {len(self.h.out.beats)} beats seen") from e
        return self.h.out.beats[n]


@cocotb.test()
async def generate(dut) -> None:
    tb = TopTB(dut)
    cfg = tb.qm.cfg
    prompt = [int(t) for t in os.environ.get("ROMFORMER_PROMPT", "1").split(",")]
    n = env_int("ROMFORMER_N", 16)
    inv_temp, top_k, seed = env_int("ROMFORMER_INV_TEMP", 0), env_int("ROMFORMER_TOP_K", 0), env_int("ROMFORMER_SEED", 0)
    live = os.environ.get("ROMFORMER_LIVE") == "1"
    byte_model = cfg.vocab_size == 256

    golden = int_generate(tb.qm, prompt, n, inv_temp=inv_temp, top_k=top_k, seed=seed)

    await tb.reset()
    await tb.write("BUDGET", n)
    await tb.write("SAMPLING", int(inv_temp > 0))
    await tb.write("INV_TEMP", inv_temp)
    await tb.write("TOP_K", top_k)
    await tb.write("SEED", seed)

    def show(beat) -> None:
        if live:
            text = decode_bytes([beat.data]) if byte_model else f"{beat.data} "
            sys.stdout.write(text)
            sys.stdout.flush()

    tb.h.out.listeners.append(show)
    if live:
        sys.stdout.write("\n" + (decode_bytes(prompt) if byte_model else " ".join(map(str, prompt)) + " | "))
    wall0 = time.perf_counter()
    wake0 = tb.h.wakeups()
    sampled = inv_temp > 0
    prefill_ns = sum(tb.pass_ns(p, sampled, top_k) for p in range(len(prompt)))
    cocotb.start_soon(tb.source.send(prompt, timeout_ns=prefill_ns))
    beats, forward_cycles = [], []
    while not beats or not beats[-1].last:
        pos = len(prompt) - 1 + len(beats)
        wait_ns = tb.pass_ns(pos, sampled, top_k) + (prefill_ns if not beats else 0)
        beats.append(await tb.next_beat(len(beats), wait_ns, f"token {len(beats)} (position {pos})"))
        # The next forward pass takes thousands of cycles; this read takes a few, so
        # LAST_CYCLES still holds the pass that produced this token.
        forward_cycles.append(await tb.read("LAST_CYCLES"))
        if len(beats) > len(golden) + 1:
            break
    wall = time.perf_counter() - wall0
    wakeups = tb.h.wakeups() - wake0
    tb.h.finish()
    if live:
        sys.stdout.write("\n")

    tokens = [b.data for b in beats]
    positions = [len(prompt) - 1 + i for i in range(len(tokens))]
    predicted = [tb.schedule.cycles(p, emit=True, sampled=sampled, top_k=top_k) for p in positions]
    # Seen from outside (ready always high): TVALID to TVALID of consecutive tokens.
    intervals = [round((b.time_ns - a.time_ns) / CLOCK_NS) for a, b in zip(beats, beats[1:])]
    predicted_intervals = [tb.schedule.token_interval(p, sampled=sampled, top_k=top_k) for p in positions[1:]]
    total_cycles = round((beats[-1].time_ns - tb.h.inp.beats[0].time_ns) / CLOCK_NS)
    result = {
        "model": tb.build.name, "simulator": cocotb.SIM_NAME, "lanes": tb.schedule.lanes,
        "prompt_tokens": prompt, "generated_tokens": tokens, "golden_tokens": golden,
        "match": tokens == golden, "cycles_per_token": forward_cycles, "predicted_cycles_per_token": predicted,
        "token_intervals": intervals, "predicted_token_intervals": predicted_intervals,
        "cycles_match": forward_cycles == predicted and intervals == predicted_intervals,
        "total_cycles": total_cycles, "ideal_cycles_per_token": tb.schedule.ideal_cycles(),
        "utilization": [round(tb.schedule.ideal_cycles() / c, 4) for c in forward_cycles],
        "wall_seconds": round(wall, 3), "sim_cycles_per_second": round(total_cycles / wall, 1) if wall else None,
        "inv_temp": inv_temp, "top_k": top_k, "seed": seed,
        "monitor_wakeups": wakeups, "monitor_wakeups_per_token": round(wakeups / max(1, len(tokens)), 1),
    }
    # live (make sim): tb/sim.py prints the summary; the cycle lists stay in result.json
    (cocotb.log.debug if live else cocotb.log.info)("forward cycles: RTL %s predicted %s; intervals %s predicted %s",
                                                    forward_cycles, predicted, intervals, predicted_intervals)
    if os.environ.get("ROMFORMER_RESULT"):
        Path(os.environ["ROMFORMER_RESULT"]).write_text(json.dumps(result, indent=1) + "\n")
    for i, (got, want) in enumerate(zip(tokens, golden)):
        assert got == want, (f"token {i} (position {positions[i]}): RTL {got} != golden {want}; "
                             f"seed {cocotb.RANDOM_SEED}")
    assert len(tokens) == len(golden), f"RTL emitted {len(tokens)} tokens, golden {len(golden)}"
    assert forward_cycles == predicted, f"cycles per token (LAST_CYCLES): RTL {forward_cycles} != predicted {predicted}"
    assert intervals == predicted_intervals, f"TVALID intervals: RTL {intervals} != predicted {predicted_intervals}"


@cocotb.test()
async def free_run(dut) -> None:
    """The simulator on its own: send the prompt, then sleep for ROMFORMER_FREE_RUN_NS of
    simulated time with no per-token Python activity. `make bench` compares its simulated
    cycles per second with `generate` to measure what the testbench costs."""
    tb = TopTB(dut)
    prompt = [int(t) for t in os.environ.get("ROMFORMER_PROMPT", "1").split(",")]
    await tb.reset()
    await tb.write("BUDGET", env_int("ROMFORMER_N", 16))
    wall0 = time.perf_counter()
    t0 = get_sim_time("ns")
    await tb.source.send(prompt, timeout_ns=sum(tb.pass_ns(p, False, 0) for p in range(len(prompt))))
    await Timer(int(os.environ["ROMFORMER_FREE_RUN_NS"]), unit="ns")
    wall = time.perf_counter() - wall0
    cycles = round((get_sim_time("ns") - t0) / CLOCK_NS)
    if os.environ.get("ROMFORMER_RESULT"):
        Path(os.environ["ROMFORMER_RESULT"]).write_text(json.dumps(
            {"simulator": cocotb.SIM_NAME, "cycles": cycles, "wall_seconds": round(wall, 3),
             "sim_cycles_per_second": round(cycles / wall, 1), "tokens_seen": len(tb.h.out.beats)}) + "\n")
    assert tb.h.out.beats, "free run: the core emitted nothing"
