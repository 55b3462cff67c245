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
