"""Register access through cocotbext-axi's AxiLiteMaster (active-low reset), one 32-bit
register per access, every wait bounded.

`RegisterBus.write(addr, data, strb)` takes a contiguous byte-strobe mask (what a byte /
half-word / word store produces; AxiLiteMaster derives WSTRB from the address offset and the
length); `read(addr)` returns (data, resp). Sparse strobes are exercised at the block level
(tb/unit/test_rf_axil_regs.py, on cocotbext-axi's channel drivers).
"""
from __future__ import annotations

from cocotb.triggers import with_timeout
from cocotbext.axi import AxiLiteBus, AxiLiteMaster

from tb.handshake import hold_in_reset

OKAY, SLVERR = 0, 2
DEFAULT_TIMEOUT_NS = 20_000.0     # an access takes a few cycles; the register file never stalls longer


def contiguous_strobes() -> list[int]:
    """Every non-empty contiguous 4-bit byte mask: 0x1, 0x3, 0x7, 0xF, 0x2, ..."""
    return [((1 << n) - 1) << lo for lo in range(4) for n in range(1, 5 - lo)]


def strobe_span(strb: int) -> tuple[int, int]:
    """(first byte, number of bytes) of a contiguous non-empty strobe mask."""
    if strb not in contiguous_strobes():
        raise ValueError(f"AxiLiteMaster writes contiguous bytes only; strobe {strb:#x} is not")
    lo = (strb & -strb).bit_length() - 1
    return lo, bin(strb).count("1")


class RegisterBus:
    def __init__(self, dut: object, clk: object, rst_n: object, prefix: str = "s_axil",
                 timeout_ns: float = DEFAULT_TIMEOUT_NS) -> None:
        self.master = AxiLiteMaster(AxiLiteBus.from_prefix(dut, prefix), clk, rst_n, reset_active_level=False)
        w, r = self.master.write_if, self.master.read_if
        hold_in_reset(rst_n, w, r, w.aw_channel, w.w_channel, w.b_channel, r.ar_channel, r.r_channel)
        self.timeout_ns = timeout_ns

    async def _bounded(self, coro, what: str):
        try:
            return await with_timeout(coro, self.timeout_ns, "ns")
        except TimeoutError as e:
            raise AssertionError(f"timeout after {self.timeout_ns:.0f} ns: no AXI4-Lite response to {what}") from e

    async def write(self, addr: int, data: int, strb: int = 0xF) -> int:
        lo, n = strobe_span(strb)
        word = (addr & ~3) + lo
        payload = ((data & 0xFFFFFFFF) >> (8 * lo)).to_bytes(4, "little")[:n]
        resp = await self._bounded(self.master.write(word, payload), f"write {addr:#x}")
        return int(resp.resp)

    async def read(self, addr: int) -> tuple[int, int]:
        resp = await self._bounded(self.master.read(addr & ~3, 4), f"read {addr:#x}")
        return int.from_bytes(resp.data, "little"), int(resp.resp)


class AxiLiteChannels:
    """cocotbext-axi's channel drivers (AW, W sources; B, R sinks; AR source) for block-level
    benches that need what AxiLiteMaster does not do: any WSTRB (sparse, or none), AW and W in
    either order with gaps, BREADY / RREADY held low for a while. Every wait is bounded."""

    def __init__(self, dut: object, clk: object, rst_n: object, prefix: str = "s_axil",
                 timeout_ns: float = DEFAULT_TIMEOUT_NS) -> None:
        from cocotbext.axi.axil_channels import (
            AxiLiteARBus,
            AxiLiteARSource,
            AxiLiteAWBus,
            AxiLiteAWSource,
            AxiLiteBBus,
            AxiLiteBSink,
            AxiLiteRBus,
            AxiLiteRSink,
            AxiLiteWBus,
            AxiLiteWSource,
        )
        kw = {"reset_active_level": False}
        self.clk, self.timeout_ns = clk, timeout_ns
        self.aw = AxiLiteAWSource(AxiLiteAWBus.from_prefix(dut, prefix), clk, rst_n, **kw)
        self.w = AxiLiteWSource(AxiLiteWBus.from_prefix(dut, prefix), clk, rst_n, **kw)
        self.b = AxiLiteBSink(AxiLiteBBus.from_prefix(dut, prefix), clk, rst_n, **kw)
        self.ar = AxiLiteARSource(AxiLiteARBus.from_prefix(dut, prefix), clk, rst_n, **kw)
        self.r = AxiLiteRSink(AxiLiteRBus.from_prefix(dut, prefix), clk, rst_n, **kw)
        hold_in_reset(rst_n, self.aw, self.w, self.b, self.ar, self.r)

    async def _bounded(self, coro, what: str):
        try:
            return await with_timeout(coro, self.timeout_ns, "ns")
        except TimeoutError as e:
            raise AssertionError(f"timeout after {self.timeout_ns:.0f} ns: {what}") from e

    async def _cycles(self, n: int) -> None:
        from cocotb.triggers import ClockCycles
        if n:
            await ClockCycles(self.clk, n)

    async def _ready_after(self, sink: object, delay: int) -> None:
        sink.pause = True
        await self._cycles(delay)
        sink.pause = False

    async def write(self, addr: int, data: int, strb: int = 0xF, prot: int = 0, aw_delay: int = 0,
                    w_delay: int = 0, b_delay: int = 0) -> int:
        """AW after aw_delay cycles, W after w_delay cycles, BREADY after b_delay; returns BRESP."""
        import cocotb

        async def send_aw() -> None:
            await self._cycles(aw_delay)
            await self.aw.send(self.aw._transaction_obj(awaddr=addr, awprot=prot))

        async def send_w() -> None:
            await self._cycles(w_delay)
            await self.w.send(self.w._transaction_obj(wdata=data & 0xFFFFFFFF, wstrb=strb))

        ready = cocotb.start_soon(self._ready_after(self.b, b_delay))
        cocotb.start_soon(send_aw())
        cocotb.start_soon(send_w())
        b = await self._bounded(self.b.recv(), f"no B response to the write of {addr:#x}")
        ready.cancel()
        self.b.pause = False
        return int(b.bresp)

    async def read(self, addr: int, prot: int = 0, ar_delay: int = 0, r_delay: int = 0) -> tuple[int, int]:
        """AR after ar_delay cycles, RREADY after r_delay; returns (RDATA, RRESP)."""
        import cocotb

        ready = cocotb.start_soon(self._ready_after(self.r, r_delay))
        await self._cycles(ar_delay)
        await self.ar.send(self.ar._transaction_obj(araddr=addr, arprot=prot))
        r = await self._bounded(self.r.recv(), f"no R response to the read of {addr:#x}")
        ready.cancel()
        self.r.pause = False
        return int(r.rdata), int(r.rresp)
