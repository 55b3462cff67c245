"""rf_axis_skid: random valid/ready on both sides; no beat lost, duplicated or reordered.

Also checks the AXI4-Stream rules on the master side (m_valid/m_data held until
accepted), full throughput when both sides are always ready, and that s_ready
does not depend combinationally on m_ready.
"""
from __future__ import annotations

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge, Timer

from tb.unit.common import hold_reset


async def reset(dut) -> None:
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    await hold_reset(dut, ("s_valid", "s_data", "m_ready"))


async def stream(dut, rng: random.Random, n: int, p_valid: float, p_ready: float) -> int:
    """Send n random beats; returns the cycles taken. Checks order and the master-side rules."""
    width = int(dut.WIDTH.value)
    beats = [rng.getrandbits(width) for _ in range(n)]
    sent, got, cycles = 0, [], 0
    s_valid = False
    held = None   # (data) offered on m while not accepted
    while len(got) < n:
        await RisingEdge(dut.clk)
        cycles += 1
        assert cycles < 20 * n + 100, "stream stalled"
        # drive: keep an offered beat until it is accepted (AXI: valid may not drop)
        if not s_valid and sent < n and rng.random() < p_valid:
            s_valid = True
        dut.s_valid.value = int(s_valid)
        dut.s_data.value = beats[sent] if s_valid else rng.getrandbits(width)
        dut.m_ready.value = int(rng.random() < p_ready)
        await ReadOnly()
        m_valid, m_ready = int(dut.m_valid.value), int(dut.m_ready.value)
        if held is not None:
            assert m_valid and dut.m_data.value.to_unsigned() == held, "m_valid/m_data changed before acceptance"
        if m_valid and m_ready:
            got.append(dut.m_data.value.to_unsigned())
            held = None
        elif m_valid:
            held = dut.m_data.value.to_unsigned()
        if s_valid and int(dut.s_ready.value):
            sent += 1
            s_valid = False
    assert got == beats, "beats lost, duplicated or reordered"
    for _ in range(2):   # every beat delivered: nothing may be left (no duplicate)
        await RisingEdge(dut.clk)
        dut.s_valid.value = 0
        dut.m_ready.value = 1
        await ReadOnly()
        assert int(dut.m_valid.value) == 0, "extra beat after the stream"
    return cycles


@cocotb.test()
async def random_handshakes(dut) -> None:
    rng = random.Random(cocotb.RANDOM_SEED)
    await reset(dut)
    for p_valid, p_ready in [(0.5, 0.5), (0.9, 0.3), (0.3, 0.9), (1.0, 0.5), (0.5, 1.0), (0.8, 0.8)]:
        await stream(dut, rng, 400, p_valid, p_ready)
    # nothing left behind: the buffer is empty after the streams
    for _ in range(3):
        await RisingEdge(dut.clk)
        dut.m_ready.value = 1
    await ReadOnly()
    assert int(dut.m_valid.value) == 0, "extra beat after the stream"


@cocotb.test()
async def full_throughput(dut) -> None:
    rng = random.Random(cocotb.RANDOM_SEED + 1)
    await reset(dut)
    n = 200
    cycles = await stream(dut, rng, n, 1.0, 1.0)
    assert cycles <= n + 2, f"{n} beats took {cycles} cycles with both sides always ready"


@cocotb.test()
async def s_ready_is_registered(dut) -> None:
    """s_ready does not change when m_ready toggles within a cycle, in every buffer state."""
    rng = random.Random(cocotb.RANDOM_SEED + 2)
    await reset(dut)
    held = False     # a beat offered and refused at the last edge stays offered (AXI4-Stream)
    for _ in range(300):
        await RisingEdge(dut.clk)
        if not held:
            dut.s_valid.value = int(rng.random() < 0.7)
            dut.s_data.value = rng.getrandbits(int(dut.WIDTH.value))
        dut.m_ready.value = 0
        await Timer(1, unit="ns")
        before = int(dut.s_ready.value)
        dut.m_ready.value = 1
        await Timer(1, unit="ns")
        assert int(dut.s_ready.value) == before, "combinational path m_ready -> s_ready"
        dut.m_ready.value = int(rng.random() < 0.4)
        held = bool(int(dut.s_valid.value)) and not before
