"""rf_axil_regs: the 64-bit CYCLES counter behind the 32-bit bus, read with cocotbext-axi.

A read of CYCLES_LO snapshots the high word; CYCLES_HI returns that snapshot, so a LO-then-HI
pair is never torn by a carry between the two reads (docs/registers.md). The expected
values come from sim_models.regmap.RegisterModel, the same model the random bench uses.
"""
from __future__ import annotations

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import RisingEdge
from cocotbext.axi import AxiLiteBus, AxiLiteMaster

from sim_models.regmap import BY_NAME, RegisterModel
from tb.unit.common import hold_reset

CORE_INPUTS = ("st_busy", "st_generating", "st_idle", "st_new_seq_pending", "st_pos", "err_set", "cnt_cycles",
               "cnt_tokens_in", "cnt_tokens_out", "cnt_last_cycles")


async def read(master: AxiLiteMaster, name: str) -> int:
    return await master.read_dword(BY_NAME[name].offset)


@cocotb.test()
async def cycles_hi_snapshot(dut) -> None:
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    master = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk, dut.rst_n, reset_active_level=False)
    await hold_reset(dut, CORE_INPUTS)
    model = RegisterModel(int(dut.LANES.value), int(dut.N_LAYERS.value), int(dut.VOCAB.value),
                          int(dut.SEQ_LEN.value))

    async def core_cycles(value: int) -> None:
        dut.cnt_cycles.value = value
        model.hw["cycles"] = value
        await RisingEdge(dut.clk)

    async def check(name: str) -> int:
        want, _ = model.read(BY_NAME[name].offset)
        got = await read(master, name)
        assert got == want, f"{name}: RTL {got:#010x}, register model {want:#010x}"
        return got

    assert await check("CYCLES_HI") == 0, "before any CYCLES_LO read the snapshot is the reset value 0"
    # LO read just before a carry into the high word, HI read after it: the pair must be 5:FFFFFFFF.
    await core_cycles((5 << 32) | 0xFFFF_FFFF)
    assert await check("CYCLES_LO") == 0xFFFF_FFFF
    await core_cycles(6 << 32 | 2)
    assert await check("CYCLES_HI") == 5, "CYCLES_HI must be the high word of the last CYCLES_LO read"
    assert await check("CYCLES_HI") == 5, "the snapshot holds until the next CYCLES_LO read"
    assert await check("CYCLES_LO") == 2
    assert await check("CYCLES_HI") == 6
