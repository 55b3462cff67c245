"""rf_axil_regs against sim_models.regmap.RegisterModel, through cocotbext-axi's AXI4-Lite
channel drivers (tb/axil.py AxiLiteChannels: any strobe, AW / W in either order).

Writes go with AW and W together, AW first or W first (random gaps), random bready / rready
delays, and random arvalid timing. Every response
and read value is compared with the Python register model; the core-facing
outputs (cfg_*, pulses) are compared after every write; status, counters and
err_set pulses are driven randomly from the core side.
"""
from __future__ import annotations

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

from sim_models.regmap import BY_NAME, OKAY, REGISTERS, RO, RWA, SLVERR, RegisterModel
from tb.axil import AxiLiteChannels
from tb.unit.common import hold_reset

PULSES = {"NEW_SEQ": "ctrl_new_seq", "CLEAR_COUNTERS": "ctrl_clear_counters", "SEED_LOAD": "cfg_seed_load"}
CFG = [("cfg_budget", "BUDGET", "TOKENS"), ("cfg_sample", "SAMPLING", "SAMPLE"), ("cfg_inv_temp", "INV_TEMP", "VALUE"),
       ("cfg_top_k", "TOP_K", "K"), ("cfg_seed", "SEED", "VALUE"), ("cfg_stop_token", "STOP", "TOKEN"),
       ("cfg_stop_en", "STOP", "ENABLE")]
HW_PORTS = {"busy": ("st_busy", 1), "generating": ("st_generating", 1), "idle": ("st_idle", 1),
            "new_seq_pending": ("st_new_seq_pending", 1), "pos": ("st_pos", 16), "cycles": ("cnt_cycles", 64),
            "tokens_in": ("cnt_tokens_in", 32), "tokens_out": ("cnt_tokens_out", 32),
            "last_cycles": ("cnt_last_cycles", 32)}


def u(sig) -> int:
    """Unsigned value of a signal (1-bit signals are Logic, wider ones LogicArray)."""
    v = sig.value
    return v.to_unsigned() if hasattr(v, "to_unsigned") else int(v)


class Bench:
    def __init__(self, dut, seed_offset: int = 0) -> None:
        self.dut = dut
        self.rng = random.Random(cocotb.RANDOM_SEED + seed_offset)
        self.addr_bits = int(dut.ADDR_BITS.value)
        self.lora_words = int(dut.LORA_WORDS.value)
        self.model = RegisterModel(int(dut.LANES.value), int(dut.N_LAYERS.value), int(dut.VOCAB.value),
                                   int(dut.SEQ_LEN.value), int(dut.LORA_RANK.value), int(dut.LORA_TARGETS.value),
                                   self.lora_words)
        self.seen_pulses: list[str] = []

    async def reset(self) -> None:
        d = self.dut
        cocotb.start_soon(Clock(d.clk, 10, unit="ns").start())
        bus = ("awvalid", "wvalid", "bready", "arvalid", "rready", "awaddr", "araddr", "wdata", "wstrb", "awprot",
               "arprot")
        self.bus = AxiLiteChannels(d, d.clk, d.rst_n)
        await hold_reset(d, [f"s_axil_{sig}" for sig in bus] + ["err_set", "lora_rdata"] +
                         [p for p, _ in HW_PORTS.values()])
        self.model.reset()
        cocotb.start_soon(self.pulse_monitor())
        cocotb.start_soon(self.adapter_sram())

    async def adapter_sram(self) -> None:
        """rf_lora's bus port: lora_we writes the word at lora_addr; lora_rdata is the word at
        lora_addr, registered (unwritten words read 0, as the model assumes)."""
        d, mem = self.dut, {}
        while True:
            await RisingEdge(d.clk)
            addr = u(d.lora_addr)
            if int(d.lora_we.value):
                assert addr < self.lora_words, f"lora_we at {addr:#x} beyond ADAPTER_WORDS {self.lora_words}"
                mem[addr] = u(d.lora_wdata)
            d.lora_rdata.value = mem.get(addr, 0)

    async def pulse_monitor(self) -> None:
        """Record every core-facing pulse (one entry per cycle high); check cfg_seed with cfg_seed_load."""
        d = self.dut
        while True:
            await RisingEdge(d.clk)
            await ReadOnly()
            if not int(d.rst_n.value):
                continue
            for name, port in PULSES.items():
                if int(getattr(d, port).value):
                    self.seen_pulses.append(name)
                    if name == "SEED_LOAD":
                        assert d.cfg_seed.value.to_unsigned() == self.model.value("SEED", "VALUE")

    # ---------------------------------------------------------------- AXI4-Lite (cocotbext-axi channels)
    async def write(self, addr: int, data: int, strb: int = 0xF, order: str | None = None) -> int:
        """AW and W together, AW first or W first (random gaps), random BREADY delay; the
        response and the core-facing outputs are compared with the register model."""
        rng = self.rng
        order = order or rng.choice(["together", "aw_first", "w_first"])
        aw_delay = rng.randrange(1, 4) if order == "w_first" else 0
        w_delay = rng.randrange(1, 4) if order == "aw_first" else 0
        want = self.model.write(addr, data, strb)
        resp = await self.bus.write(addr, data, strb, prot=rng.getrandbits(3), aw_delay=aw_delay, w_delay=w_delay,
                                    b_delay=rng.choice([0, 0, 1, 3]))
        assert resp == want, f"write {addr:#x} <= {data:#x} strb {strb:#x}: bresp {resp} != model {want}"
        await ReadOnly()
        self.check_outputs()
        return resp

    async def read(self, addr: int) -> tuple[int, int]:
        rng = self.rng
        want = self.model.read(addr)
        got = await self.bus.read(addr, prot=rng.getrandbits(3), ar_delay=rng.choice([0, 0, 1, 2]),
                                  r_delay=rng.choice([0, 0, 1, 4]))
        assert got == want, f"read {addr:#x}: rtl (data {got[0]:#x}, resp {got[1]}) != model ({want[0]:#x}, {want[1]})"
        return got

    # ---------------------------------------------------------------- core side
    def check_outputs(self) -> None:
        for port, reg, fld in CFG:
            got = u(getattr(self.dut, port))
            assert got == self.model.value(reg, fld), f"{port} = {got:#x}, model {self.model.value(reg, fld):#x}"
        assert self.seen_pulses == self.model.pulses, f"pulses {self.seen_pulses} != model {self.model.pulses}"

    async def core_activity(self) -> None:
        """Random status/counter values and an err_set pulse, driven for one cycle each."""
        d, rng = self.dut, self.rng
        await RisingEdge(d.clk)
        for name, (port, bits) in HW_PORTS.items():
            if rng.random() < 0.5:
                v = rng.getrandbits(bits)
                getattr(d, port).value = v
                self.model.hw[name] = v
        bits = rng.getrandbits(3) if rng.random() < 0.3 else 0
        d.err_set.value = bits
        await RisingEdge(d.clk)
        d.err_set.value = 0
        self.model.set_errors(bits)

    def random_addr(self) -> int:
        rng, top = self.rng, 1 << self.addr_bits
        r = rng.random()
        if r < 0.7:
            return rng.choice(REGISTERS).offset
        if r < 0.8:
            return rng.choice(REGISTERS).offset | rng.randrange(1, 4)   # bits [1:0] are ignored
        return rng.randrange(0x48, top)                                 # unmapped


@cocotb.test()
async def reset_values_and_access(dut) -> None:
    b = Bench(dut)
    await b.reset()
    await RisingEdge(dut.clk)
    await ReadOnly()
    b.check_outputs()
    for reg in REGISTERS:   # every reset value, then every access rule
        data, resp = await b.read(reg.offset)
        if reg.reset is not None:
            assert data == reg.reset, f"{reg.name}: reset {data:#x} != map {reg.reset:#x}"
    for order in ("together", "aw_first", "w_first"):
        for reg in REGISTERS:
            value = b.rng.getrandbits(32)
            resp = await b.write(reg.offset, value, 0xF, order)
            if reg.access != RWA:     # adapter registers: refusals depend on STATUS.IDLE (model-checked)
                assert (resp == SLVERR) == (reg.access == RO)
            await b.read(reg.offset)
            await b.read(BY_NAME["ERROR"].offset)


@cocotb.test()
async def random_traffic(dut) -> None:
    b = Bench(dut, 1)
    await b.reset()
    err = BY_NAME["ERROR"].offset
    for _ in range(1500):
        op = b.rng.random()
        if op < 0.4:
            strb = 0xF if b.rng.random() < 0.5 else b.rng.getrandbits(4)
            await b.write(b.random_addr(), b.rng.getrandbits(32), strb)
        elif op < 0.75:
            await b.read(b.random_addr())
        elif op < 0.85:   # RW1C: clear a random subset
            await b.write(err, b.rng.getrandbits(5), b.rng.choice([0xF, 0x1, 0xE]))
        else:
            await b.core_activity()


@cocotb.test()
async def error_flags_sticky(dut) -> None:
    """err_set pulses stay until cleared; a clear in the same cycle as a set loses."""
    b = Bench(dut, 2)
    await b.reset()
    d, err = dut, BY_NAME["ERROR"].offset
    for bits in (1, 2, 4, 7):
        await RisingEdge(d.clk)
        d.err_set.value = bits
        b.model.set_errors(bits)
        await RisingEdge(d.clk)
        d.err_set.value = 0
        for _ in range(3):
            data, _ = await b.read(err)
            assert data & bits == bits
        status, _ = await b.read(BY_NAME["STATUS"].offset)
        await b.write(err, bits)
        data, _ = await b.read(err)
        assert data == 0
    # set and clear in the same cycle: the write executes in the cycle after AW and W are accepted
    for bits in (1, 2, 4, 7):
        b.model.set_errors(7)
        await RisingEdge(d.clk)
        d.err_set.value = 7
        await RisingEdge(d.clk)
        d.err_set.value = 0
        await RisingEdge(d.clk)
        d.s_axil_awvalid.value, d.s_axil_awaddr.value = 1, err
        d.s_axil_wvalid.value, d.s_axil_wdata.value, d.s_axil_wstrb.value = 1, 7, 0xF
        d.s_axil_bready.value = 0
        await ReadOnly()
        assert int(d.s_axil_awready.value) and int(d.s_axil_wready.value)
        await RisingEdge(d.clk)             # AW and W accepted
        d.s_axil_awvalid.value, d.s_axil_wvalid.value = 0, 0
        d.err_set.value = bits              # sampled at the edge the write executes
        await RisingEdge(d.clk)
        d.err_set.value = 0
        d.s_axil_bready.value = 1
        await ReadOnly()
        assert int(d.s_axil_bvalid.value) and d.s_axil_bresp.value.to_unsigned() == OKAY
        await RisingEdge(d.clk)
        d.s_axil_bready.value = 0
        b.bus.b.clear()                     # the B sink saw this directed response too
        b.model.write(err, 7)
        b.model.set_errors(bits)
        data, _ = await b.read(err)
        assert data == bits, f"set {bits} with a clear in the same cycle: ERROR reads {data:#x}"
        await b.write(err, 0x1F)


@cocotb.test()
async def counters_and_status(dut) -> None:
    b = Bench(dut, 3)
    await b.reset()
    for _ in range(40):
        await b.core_activity()
        for name in ("STATUS", "POSITION", "CYCLES_LO", "CYCLES_HI", "TOKENS_IN", "TOKENS_OUT", "LAST_CYCLES",
                     "CONFIG", "SEQ_LEN", "ID", "CTRL"):
            await b.read(BY_NAME[name].offset)


@cocotb.test()
async def concurrent_read_write(dut) -> None:
    """Reads and writes in flight at the same time (independent registers): no hang, correct data."""
    b = Bench(dut, 4)
    await b.reset()
    rd_rng = random.Random(cocotb.RANDOM_SEED + 5)
    fixed = [BY_NAME[n].offset for n in ("ID", "CONFIG", "SEQ_LEN", "CTRL")]
    rw = [BY_NAME[n].offset for n in ("BUDGET", "INV_TEMP", "TOP_K", "STOP", "SAMPLING")]

    async def reader() -> None:
        for _ in range(150):
            addr = rd_rng.choice(fixed)
            want = b.model.read(addr)
            got = await b.bus.read(addr, ar_delay=rd_rng.choice([0, 1]), r_delay=rd_rng.choice([0, 0, 1, 2]))
            assert got == want

    task = cocotb.start_soon(reader())
    for _ in range(150):
        await b.write(b.rng.choice(rw), b.rng.getrandbits(32), b.rng.getrandbits(4))
    await task
    for addr in rw:
        await b.read(addr)


@cocotb.test()
async def adapter_load_and_refusal(dut) -> None:
    """Builds with adapter SRAM: an image loaded word by word reads back and ADAPTER_SUM is the image hash;
    while the core is not idle ADAPTER_CTRL / ADAPTER_DATA writes are refused (SLVERR, ERROR.ADAPTER_BUSY)
    and change nothing; ADAPTER_DATA beyond the SRAM is SLVERR + BAD_ADDRESS."""
    from sim_models.lora import image_hash
    b = Bench(dut, 5)
    await b.reset()
    if b.lora_words == 0:
        return
    d, reg = dut, {n: BY_NAME[n].offset for n in BY_NAME}
    d.st_idle.value, b.model.hw["idle"] = 1, 1
    img = [b.rng.getrandbits(32) for _ in range(b.lora_words)]
    await b.write(reg["CTRL"], 4)
    await b.write(reg["ADAPTER_ADDR"], 0)
    for w in img:
        assert await b.write(reg["ADAPTER_DATA"], w, b.rng.choice([0xF, 0x1])) == OKAY
    assert (await b.read(reg["ADAPTER_SUM"]))[0] == image_hash(img)
    assert await b.write(reg["ADAPTER_DATA"], 1) == SLVERR                 # beyond the SRAM
    await b.write(reg["ADAPTER_ADDR"], 0)
    for w in img:
        assert (await b.read(reg["ADAPTER_DATA"]))[0] == w
    await b.write(reg["ADAPTER_CTRL"], 1)
    await RisingEdge(d.clk)
    d.st_idle.value, b.model.hw["idle"] = 0, 0                              # a forward pass runs
    await b.write(reg["ADAPTER_ADDR"], 3)
    assert await b.write(reg["ADAPTER_DATA"], ~img[3] & 0xFFFFFFFF) == SLVERR
    assert await b.write(reg["ADAPTER_CTRL"], 0) == SLVERR
    assert (await b.read(reg["ERROR"]))[0] & 0x20 and u(d.cfg_lora_en) == 1
    await b.write(reg["ADAPTER_ADDR"], 3)
    assert (await b.read(reg["ADAPTER_DATA"]))[0] == img[3]                 # nothing was written
    assert (await b.read(reg["ADAPTER_SUM"]))[0] == image_hash(img)
