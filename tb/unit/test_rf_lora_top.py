"""The chip with adapter hardware (tb_romformer with LORA_RANK / LORA_TARGETS, tb.sim.run_adapter_top), on the
shared top-level harness (tb/top/test_generate.py TopTB: cocotb Clock, passive monitors and protocol checkers,
cocotbext-axi PromptSource / TokenSink / RegisterBus): the adapter image is loaded over AXI4-Lite
(ADAPTER_ADDR / ADAPTER_DATA), ADAPTER_SUM must equal the manifest's checksum, sampled words read back, a
write past the SRAM is refused; then greedy generation with the adapter disabled and enabled, every token
against sim_models.ChipModel (with / without the adapter) and every token interval and LAST_CYCLES against
the static schedule (with / without the adapter's cycles). While tokens stream, adapter writes are refused
(SLVERR, ERROR.ADAPTER_BUSY) and change nothing: the word, ADAPTER_SUM and ENABLE read back unchanged and the
tokens match. Coverage: every response whose tokens match samples the cross of the build's weight format and
the adapter off / on (tb/uvm/coverage.py romformer.cross.adapter_format), exported as
build/coverage/<sim>/<run>.{xml,txt} (<run>: the name of ROMFORMER_RESULT).

Environment (tb.sim.run_top): ROMFORMER_BUILD (compiled model), ROMFORMER_PROMPT (comma-separated ids),
ROMFORMER_N (tokens per prompt), LORA_ADAPTER (python -m sim_models adapter output).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import cocotb
import numpy as np
from cocotb.triggers import Timer

from sim_models.chip_model import ChipModel
from sim_models.lora import bus_load_writes, load_adapter
from sim_models.regmap import BY_NAME as REG
from sim_models.schedule import Schedule
from tb.axil import SLVERR
from tb.top.harness import CLOCK_NS
from tb.top.test_generate import TopTB
from tb.uvm.coverage import clear_database, export_reports, make_cross


@cocotb.test()
async def lora_top(dut) -> None:
    tb = TopTB(dut)
    qm, cfg = tb.qm, tb.qm.cfg
    adir = Path(os.environ["LORA_ADAPTER"])
    prompt = [int(t) for t in os.environ["ROMFORMER_PROMPT"].split(",")]
    n = int(os.environ.get("ROMFORMER_N", "8"))
    ia = load_adapter(adir)
    man = json.loads((adir / "manifest.json").read_text())
    img = [int(x, 16) for x in (adir / "adapter.hex").read_text().split()]
    checksum = int(man["checksum"], 16)
    clear_database()
    adapter_format = make_cross("adapter_format")
    await tb.reset()

    # ---- build configuration and loading
    assert await tb.read("ADAPTER_WORDS") == len(img) == man["words"]
    cfg_word = await tb.read("ADAPTER_CONFIG")
    assert cfg_word == man["rank_max"] | man["targets_mask"] << 8, f"ADAPTER_CONFIG {cfg_word:#x}"
    for name, value in bus_load_writes(img):
        await tb.write(name, value)                       # each must get OKAY (the core is idle)
    assert await tb.read("ADAPTER_SUM") == checksum, "ADAPTER_SUM != manifest checksum"
    rng = np.random.default_rng(int(os.environ.get("RANDOM_SEED", "1")))
    for a in sorted(set(rng.integers(0, len(img), 16).tolist()) | {0, len(img) - 1}):
        await tb.write("ADAPTER_ADDR", a)
        got = await tb.read("ADAPTER_DATA")
        assert got == img[a], f"readback word {a}: {got:#x} != {img[a]:#x}"
    await tb.write("ADAPTER_ADDR", len(img))
    assert await tb.regs.write(REG["ADAPTER_DATA"].offset, 0) == SLVERR, "a write past the SRAM must be SLVERR"
    await tb.write("ERROR", 0x3F)
    await tb.write("BUDGET", n)

    scheds = {False: tb.schedule, True: Schedule(cfg, tb.schedule.lanes, (ia.rank_max, ia.targets))}
    chip = ChipModel(qm)
    chip.configure(budget=n)
    checked = 0
    for enable, busy_write in ((False, False), (True, True), (True, False)):
        await tb.write("ADAPTER_CTRL", int(enable))
        if chip.pos + len(prompt) + n > cfg.seq_len:      # a new sequence when the context would overflow
            await tb.write("CTRL", 1)
            chip.new_sequence()
        pos0 = chip.pos + len(prompt) - 1
        chip.adapter = ia if enable else None
        want = [t for t, _ in chip.prompt(prompt)]
        first = len(tb.h.out.beats)
        prefill_ns = sum(tb.pass_ns(p, False, 0) for p in range(pos0 - len(prompt) + 1, pos0 + 1))
        cocotb.start_soon(tb.source.send(prompt, timeout_ns=prefill_ns))
        if busy_write:
            # while the forward passes run: refused, nothing changes
            for _ in range(100):
                if await tb.read("STATUS") & REG["STATUS"].field("BUSY").mask:
                    break
                await Timer(10 * CLOCK_NS, unit="ns")
            else:
                raise AssertionError("the core never became busy after the prompt")
            await tb.write("ADAPTER_ADDR", 5)
            assert await tb.regs.write(REG["ADAPTER_DATA"].offset, img[5] ^ 0xFFFFFFFF) == SLVERR, \
                "write while busy must be SLVERR"
            assert await tb.regs.write(REG["ADAPTER_CTRL"].offset, 0) == SLVERR, "enable change while busy must be SLVERR"
            assert (await tb.read("ERROR")) & REG["ERROR"].field("ADAPTER_BUSY").mask, "ERROR.ADAPTER_BUSY not set"
        beats = [await tb.next_beat(first + i, tb.pass_ns(pos0 + i, False, 0) + (prefill_ns if i == 0 else 0),
                                    f"token {i} (adapter {'on' if enable else 'off'})") for i in range(n)]
        got = [b.data for b in beats]
        assert got == want, f"adapter {'on' if enable else 'off'}: RTL {got} != golden {want}"
        adapter_format(qm.fmt.name, "on" if enable else "off")
        if cfg.vocab_size == 256:
            dut._log.info(f"adapter {'on ' if enable else 'off'}: {bytes(prompt).decode(errors='replace')!r} -> "
                          f"{bytes(got).decode(errors='replace')!r}")
        sched = scheds[enable]
        intervals = [round((b.time_ns - a.time_ns) / CLOCK_NS) for a, b in zip(beats, beats[1:])]
        predicted = [sched.token_interval(pos0 + i) for i in range(1, n)]
        assert intervals == predicted, f"adapter {'on' if enable else 'off'}: intervals {intervals} != schedule {predicted}"
        assert beats[-1].last and not any(b.last for b in beats[:-1]), "TLAST must be on the last token only"
        last = await tb.read("LAST_CYCLES")
        assert last == sched.cycles(pos0 + n - 1), f"LAST_CYCLES {last} != {sched.cycles(pos0 + n - 1)}"
        checked += n
        if busy_write:
            await tb.write("ADAPTER_ADDR", 5)
            assert await tb.read("ADAPTER_DATA") == img[5], "a refused write changed the SRAM"
            assert await tb.read("ADAPTER_SUM") == checksum
            assert await tb.read("ADAPTER_CTRL") == 1
            await tb.write("ERROR", 0x3F)
    tb.h.finish()
    export_reports(Path(os.environ["ROMFORMER_RESULT"]).stem)
    dut._log.info(f"LoRA top: {len(img)} words loaded, {checked} tokens and intervals match the golden model; "
                  f"cycles/token at pos {pos0}: {scheds[False].cycles(pos0)} base, {scheds[True].cycles(pos0)} "
                  f"with adapter")
