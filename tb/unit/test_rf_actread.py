"""rf_actread: random buffers, source and word indices every cycle. Port A (the matvec's, grouped
registers) gives word idx_a of the selected buffer one cycle later, port B (the adapter's) the
same selection combinationally; words past a buffer's end read 0."""
from __future__ import annotations

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge, Timer


@cocotb.test()
async def actread_random(dut) -> None:
    rng = random.Random(cocotb.RANDOM_SEED)
    lanes, idx_bits = int(dut.LANES.value), int(dut.IDX_BITS.value)
    sizes = [int(dut.W0.value), int(dut.W1.value), int(dut.W2.value)]
    wl = 8 * lanes
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    def word(bufs: list[list[int]], src: int, idx: int) -> int:
        s = src if src in (1, 2) else 0      # src 3 reads buffer 0, as 0 does
        return bufs[s][idx] if idx < sizes[s] else 0

    prev = None
    for cycle in range(500):
        await FallingEdge(dut.clk)
        bufs = [[rng.getrandbits(wl) for _ in range(w)] for w in sizes]
        if prev is not None and rng.random() < 0.5:
            bufs = prev[0]                    # buffers held for a while, as in a phase
        # port A: a word of the read groups (4 words each, as many as the longest buffer needs)
        src, ia, ib = rng.randrange(4), rng.randrange(4 * -(-max(sizes) // 4)), rng.randrange(1 << idx_bits)
        for i, name in enumerate(("buf0", "buf1", "buf2")):
            getattr(dut, name).value = sum(w << (wl * j) for j, w in enumerate(bufs[i]))
        dut.src.value, dut.idx_a.value, dut.idx_b.value = src, ia, ib
        await Timer(1, unit="ns")
        assert int(dut.word_b.value) == word(bufs, src, ib), f"cycle {cycle}: port B src {src} word {ib}"
        await RisingEdge(dut.clk)
        await ReadOnly()
        # the group registers loaded at this edge, muxed by the index registered at it
        assert int(dut.word_a.value) == word(bufs, src, ia), f"cycle {cycle}: port A src {src} word {ia}"
        prev = (bufs, src, ia)
    dut._log.info("rf_actread: 500 cycles match")
