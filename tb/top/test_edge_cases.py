"""Directed races at the chip's edges (issue 7): register writes that land in the very cycle
something else happens. Each sweep moves one event a cycle at a time across the other, so the
cycle that used to lose data is always among the cases; expectations come from the chip model
(sim_models/chip_model.py) and the static schedule, compared with ==.

  new_seq_race         a prompt beat offered around a CTRL.NEW_SEQ write is never dropped
  clear_at_done        CTRL.CLEAR_COUNTERS in the cycle a forward pass completes clears
                       LAST_CYCLES as it clears CYCLES
  settings_latched     BUDGET / SAMPLING / INV_TEMP / TOP_K / STOP / SEED / NEW_SEQ written while
                       tokens stream apply to the next prompt; CONTEXT_FULL agrees with TLAST
"""
from __future__ import annotations

import cocotb
from cocotb.triggers import ClockCycles

from sim_models.chip_model import ChipModel
from sim_models.regmap import BY_NAME as REG
from tb.top.test_generate import TopTB

NEW_SEQ = REG["CTRL"].field("NEW_SEQ").mask
CLEAR_COUNTERS = REG["CTRL"].field("CLEAR_COUNTERS").mask
STOP_ENABLE = REG["STOP"].field("ENABLE").mask


async def fresh(tb: TopTB, budget: int) -> None:
    tb.source.flush()
    await tb.reset()
    await tb.write("BUDGET", budget)


async def wait_idle(tb: TopTB, bound_cycles: int, what: str) -> None:
    """Poll STATUS until IDLE without BUSY (bounded)."""
    idle, busy = REG["STATUS"].field("IDLE").mask, REG["STATUS"].field("BUSY").mask
    for _ in range(bound_cycles // 8 + 1):
        status = await tb.read("STATUS")
        if status & idle and not status & busy:
            return
        await ClockCycles(tb.clk, 8)
    raise AssertionError(f"timeout after {bound_cycles} cycles waiting for {what}: STATUS {status:#x}")


async def collect(tb: TopTB, first: int, bound_ns: float, what: str) -> list[tuple[int, bool]]:
    """Output beats from index `first` up to the one with TLAST."""
    beats: list[tuple[int, bool]] = []
    while not beats or not beats[-1][1]:
        b = await tb.next_beat(first + len(beats), bound_ns, what)
        beats.append((b.data, b.last))
    return beats


@cocotb.test()
async def new_seq_race(dut) -> None:
    tb = TopTB(dut)
    tok = 3 % tb.qm.cfg.vocab_size
    chip = ChipModel(tb.qm)
    chip.configure(budget=1)
    expected = chip.prompt([tok])
    bound = tb.pass_ns(0, False, 0)
    for offset in range(16):
        await fresh(tb, budget=1)
        first = len(tb.h.out.beats)

        async def beat_after(cycles: int) -> None:
            await ClockCycles(tb.clk, cycles)
            await tb.source.send([tok], timeout_ns=bound, what="prompt beat")

        cocotb.start_soon(beat_after(offset))
        await tb.write("CTRL", NEW_SEQ)
        got = await collect(tb, first, bound, f"the answer to a prompt beat offered {offset} cycles into a NEW_SEQ write")
        assert got == expected, f"offset {offset}: RTL {got} != chip model {expected}"
        assert await tb.read("TOKENS_IN") == 1, f"offset {offset}: TOKENS_IN"
    tb.h.finish()


@cocotb.test()
async def clear_at_done(dut) -> None:
    tb = TopTB(dut)
    tok = 3 % tb.qm.cfg.vocab_size
    cycles = tb.schedule.cycles(0, emit=False)
    seen: list[tuple[int, int, int]] = []
    for delay in range(cycles - 12, cycles + 8):
        await fresh(tb, budget=0)                      # prefill only: the pass ends in DONE -> IDLE
        cocotb.start_soon(tb.source.send([tok], timeout_ns=tb.pass_ns(0, False, 0), what="prompt beat"))
        await ClockCycles(tb.clk, delay)
        await tb.write("CTRL", CLEAR_COUNTERS)
        await wait_idle(tb, 2 * cycles + 100, "the forward pass to finish")
        busy, last = await tb.read("CYCLES_LO"), await tb.read("LAST_CYCLES")
        seen.append((delay, busy, last))
        assert last in (0, cycles), f"delay {delay}: LAST_CYCLES {last}, schedule {cycles}"
        # Cleared during the pass: CYCLES counts what followed, LAST_CYCLES is the whole pass.
        # Cleared in or after the DONE cycle: both are 0 -- never one without the other.
        assert (last == 0) == (busy == 0), f"delay {delay}: CYCLES {busy} but LAST_CYCLES {last} ({seen})"
    # The sweep is cycle-exact: the case cleared one cycle before DONE (CYCLES == 1) is followed
    # by the case cleared in the DONE cycle itself.
    steps = [b for _, b, _ in seen]
    assert 1 in steps and steps.index(1) + 1 < len(steps) and steps[steps.index(1) + 1] == 0, \
        f"the sweep missed the DONE cycle: {seen}"
    tb.h.finish()


@cocotb.test()
async def settings_latched(dut) -> None:
    tb = TopTB(dut)
    cfg = tb.qm.cfg
    prompt = [(7 * i + 1) % cfg.vocab_size for i in range(cfg.seq_len - 3)]
    chip = ChipModel(tb.qm)
    chip.configure(budget=16)
    expected = chip.prompt(prompt)
    assert len(expected) >= 3 and chip.errors, "the case must run into the end of the context"
    bound = tb.pass_ns(cfg.seq_len, True, 0)

    await fresh(tb, budget=16)
    first = len(tb.h.out.beats)
    cocotb.start_soon(tb.source.send(prompt, timeout_ns=bound * len(prompt), what="prompt"))
    await tb.next_beat(first, bound * len(prompt), "the first generated token")
    # Written while the prompt generates: every one of these applies to the next prompt only.
    later = dict(budget=1, sample=True, inv_temp=300, top_k=5, stop_token=expected[1][0])
    await tb.write("BUDGET", later["budget"])
    await tb.write("SAMPLING", 1)
    await tb.write("INV_TEMP", later["inv_temp"])
    await tb.write("TOP_K", later["top_k"])
    await tb.write("STOP", STOP_ENABLE | later["stop_token"])
    await tb.write("SEED", 1234)
    await tb.write("CTRL", NEW_SEQ)
    got = await collect(tb, first, bound, "the rest of the generation")
    assert got == expected, f"generation changed by writes made during it: RTL {got} != chip model {expected}"
    error = await tb.read("ERROR")
    assert error == chip.errors, f"ERROR {error:#x} != chip model {chip.errors:#x} (CONTEXT_FULL must follow TLAST)"

    chip.configure(**later)
    chip.seed(1234)
    chip.new_sequence()
    second = [5 % cfg.vocab_size, 6 % cfg.vocab_size]
    expected2 = chip.prompt(second)
    first = len(tb.h.out.beats)
    cocotb.start_soon(tb.source.send(second, timeout_ns=bound * 2, what="second prompt"))
    got2 = await collect(tb, first, bound * 3, "the second prompt's tokens")
    assert got2 == expected2, f"next prompt with the new settings: RTL {got2} != chip model {expected2}"
    assert await tb.read("POSITION") == chip.pos, "NEW_SEQ written during generation applies before the next prompt"
    tb.h.finish()
