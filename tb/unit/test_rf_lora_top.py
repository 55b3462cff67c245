"""romformer_top with adapter hardware (LORA_RANK / LORA_TARGETS): the adapter image is loaded over
AXI4-Lite (ADAPTER_ADDR / ADAPTER_DATA), ADAPTER_SUM must equal the manifest's checksum, sampled words
read back; then greedy generation with the adapter enabled and disabled, every token against the golden
model (GoldenModel(qm, adapter=...) / without) and every token interval against the static schedule
(with / without the adapter's cycles). While tokens stream, adapter writes are refused (SLVERR,
ERROR.ADAPTER_BUSY) and change nothing: the next prompt still matches the golden model.

Environment: ROMFORMER_BUILD (compiled model), LORA_ADAPTER (python -m sim_models adapter output),
LORA_PROMPT (comma-separated ids), LORA_N (tokens per prompt).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge
from cocotbext.axi import AxiLiteBus, AxiLiteMaster

from sim_models.compiler import load_build
from sim_models.golden import GoldenModel
from sim_models.lora import bus_load_writes, load_adapter
from sim_models.regmap import BY_NAME
from sim_models.schedule import Schedule

REG = {n: r.offset for n, r in BY_NAME.items()}


class Top:
    def __init__(self, dut) -> None:
        self.dut = dut
        self.cycle = 0
        self.out: list[tuple[int, int, int]] = []      # (cycle, token, last)
        self.axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk, dut.rst_n, reset_active_level=False)

    async def start(self) -> None:
        d = self.dut
        Clock(d.clk, 10, unit="ns").start()
        d.rst_n.value = 0
        d.s_axis_tvalid.value, d.s_axis_tdata.value, d.s_axis_tlast.value, d.m_axis_tready.value = 0, 0, 0, 1
        for _ in range(4):
            await RisingEdge(d.clk)
        d.rst_n.value = 1
        cocotb.start_soon(self.monitor())

    async def monitor(self) -> None:
        d = self.dut
        while True:
            await RisingEdge(d.clk)
            self.cycle += 1
            await ReadOnly()
            if int(d.m_axis_tvalid.value) and int(d.m_axis_tready.value):
                self.out.append((self.cycle, int(d.m_axis_tdata.value), int(d.m_axis_tlast.value)))

    async def write(self, name: str, value: int, addr: int | None = None) -> int:
        r = await self.axil.write(REG[name] if addr is None else addr, int(value).to_bytes(4, "little"))
        return int(r.resp)

    async def read(self, name: str) -> int:
        return int(await self.axil.read_dword(REG[name]))

    async def prompt(self, tokens: list[int]) -> None:
        """One beat per token: driven after a falling edge, taken at the first rising edge with TREADY."""
        d = self.dut
        for i, t in enumerate(tokens):
            await FallingEdge(d.clk)
            d.s_axis_tvalid.value, d.s_axis_tdata.value, d.s_axis_tlast.value = 1, t, int(i == len(tokens) - 1)
            while True:
                await ReadOnly()
                ready = int(d.s_axis_tready.value)
                await RisingEdge(d.clk)
                if ready:
                    break
                await FallingEdge(d.clk)
        await FallingEdge(d.clk)
        d.s_axis_tvalid.value = 0

    async def wait_beats(self, count: int) -> None:
        while len(self.out) < count:
            await RisingEdge(self.dut.clk)


def golden_greedy(gm: GoldenModel, adapter, prompt: list[int], n: int) -> tuple[list[int], int]:
    """The tokens the chip must emit for `prompt`, greedy, continuing gm's sequence (the adapter as
    enabled for this prompt; the last token is not fed back, as on the chip); and the start position."""
    gm.adapter = adapter
    pos0 = gm.pos + len(prompt) - 1
    logits = gm.forward(prompt)[-1]
    out = []
    for i in range(n):
        tok = int(np.argmax(logits))
        out.append(tok)
        if i < n - 1:
            logits = gm.forward([tok])[-1]
    return out, pos0


@cocotb.test()
async def lora_top(dut) -> None:
    build, adir = Path(os.environ["ROMFORMER_BUILD"]), Path(os.environ["LORA_ADAPTER"])
    prompt = [int(t) for t in os.environ["LORA_PROMPT"].split(",")]
    n = int(os.environ.get("LORA_N", "8"))
    qm, ia = load_build(build), load_adapter(adir)
    man = json.loads((adir / "manifest.json").read_text())
    img = [int(x, 16) for x in (adir / "adapter.hex").read_text().split()]
    lanes = json.loads((build / "manifest.json").read_text())["lanes"]
    top = Top(dut)
    await top.start()

    # ---- build configuration and loading
    assert await top.read("ADAPTER_WORDS") == len(img) == man["words"]
    cfg_word = await top.read("ADAPTER_CONFIG")
    assert cfg_word == man["rank_max"] | man["targets_mask"] << 8, f"ADAPTER_CONFIG {cfg_word:#x}"
    for name, value in bus_load_writes(img):
        assert await top.write(name, value) == 0, f"loading: {name} <= {value:#x} refused"
    assert await top.read("ADAPTER_SUM") == int(man["checksum"], 16), "ADAPTER_SUM != manifest checksum"
    rng = np.random.default_rng(int(os.environ.get("RANDOM_SEED", "1")))
    for a in sorted(set(rng.integers(0, len(img), 16).tolist()) | {0, len(img) - 1}):
        await top.write("ADAPTER_ADDR", a)
        got = await top.read("ADAPTER_DATA")
        assert got == img[a], f"readback word {a}: {got:#x} != {img[a]:#x}"
    assert await top.write("ADAPTER_DATA", 0) == 2, "a write past the SRAM must be SLVERR"   # ADDR = len(img)
    assert await top.write("ERROR", 0x3F) == 0
    await top.write("BUDGET", n)

    base_sched = Schedule(qm.cfg, lanes)
    lora_sched = Schedule(qm.cfg, lanes, (ia.rank_max, ia.targets))
    gm = GoldenModel(qm)
    checked = 0
    for enable, busy_write in ((0, False), (1, True), (1, False)):
        assert await top.write("ADAPTER_CTRL", enable) == 0
        if gm.pos + len(prompt) + n > qm.cfg.seq_len:      # a new sequence when the context would overflow
            assert await top.write("CTRL", 1) == 0
            gm.reset()
        want, pos0 = golden_greedy(gm, ia if enable else None, prompt, n)
        first = len(top.out)
        await top.prompt(prompt)
        if busy_write:
            # while the forward passes run: refused, nothing changes
            while await top.read("STATUS") & 1 == 0:
                pass
            assert await top.write("ADAPTER_ADDR", 5) == 0
            assert await top.write("ADAPTER_DATA", img[5] ^ 0xFFFFFFFF) == 2, "write while busy must be SLVERR"
            assert await top.write("ADAPTER_CTRL", 0) == 2, "enable change while busy must be SLVERR"
            assert (await top.read("ERROR")) & 0x20, "ERROR.ADAPTER_BUSY not set"
        await top.wait_beats(first + n)
        beats = top.out[first:first + n]
        got = [t for _, t, _ in beats]
        assert got == want, f"adapter {'on' if enable else 'off'}: RTL {got} != golden {want}"
        if qm.cfg.vocab_size == 256:
            dut._log.info(f"adapter {'on ' if enable else 'off'}: {bytes(prompt).decode(errors='replace')!r} -> "
                          f"{bytes(got).decode(errors='replace')!r}")
        sched = lora_sched if enable else base_sched
        dut._log.info("intervals " + str([(beats[i][0] - beats[i - 1][0], sched.token_interval(pos0 + i))
                                          for i in range(1, n)]) + f" last_cycles {await top.read('LAST_CYCLES')} "
                      f"sched {sched.cycles(pos0 + n - 1)} pos0 {pos0}")
        for i in range(1, n):
            interval = beats[i][0] - beats[i - 1][0]
            pos = pos0 + i
            assert interval == sched.token_interval(pos), (
                f"adapter {'on' if enable else 'off'} token {i} (pos {pos}): {interval} cycles, "
                f"schedule {sched.token_interval(pos)}")
        assert beats[-1][2] == 1
        last = await top.read("LAST_CYCLES")
        assert last == sched.cycles(pos0 + n - 1), f"LAST_CYCLES {last} != {sched.cycles(pos0 + n - 1)}"
        checked += n
        if busy_write:
            await top.write("ADAPTER_ADDR", 5)
            assert await top.read("ADAPTER_DATA") == img[5], "a refused write changed the SRAM"
            assert await top.read("ADAPTER_SUM") == int(man["checksum"], 16)
            assert await top.read("ADAPTER_CTRL") == 1
            await top.write("ERROR", 0x3F)
    dut._log.info(f"LoRA top: {len(img)} words loaded, {checked} tokens and intervals match the golden model; "
                  f"cycles/token at pos {pos0}: {base_sched.cycles(pos0)} base, {lora_sched.cycles(pos0)} with adapter")
