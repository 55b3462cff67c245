"""A small AXI4-Lite master for cocotb 2.x (one transaction at a time, optional delays)."""
from __future__ import annotations

import random

from cocotb.handle import HierarchyObject
from cocotb.triggers import ReadOnly, RisingEdge

OKAY, SLVERR = 0, 2


class AxiLiteMaster:
    """Drives s_axil_* of `dut`. `write` and `read` return the response code (and data)."""

    def __init__(self, dut: HierarchyObject, clk, prefix: str = "s_axil", rng: random.Random | None = None,
                 max_delay: int = 0) -> None:
        self.dut, self.clk, self.rng, self.max_delay = dut, clk, rng or random.Random(0), max_delay
        self.sig = {name: getattr(dut, f"{prefix}_{name}") for name in (
            "awaddr", "awprot", "awvalid", "awready", "wdata", "wstrb", "wvalid", "wready", "bresp", "bvalid",
            "bready", "araddr", "arprot", "arvalid", "arready", "rdata", "rresp", "rvalid", "rready")}
        for name in ("awvalid", "wvalid", "bready", "arvalid", "rready", "awaddr", "wdata", "araddr",
                     "awprot", "arprot"):
            self.sig[name].value = 0
        self.sig["wstrb"].value = 0xF

    async def _delay(self) -> None:
        for _ in range(self.rng.randint(0, self.max_delay) if self.max_delay else 0):
            await RisingEdge(self.clk)

    async def _handshake(self, valid: str, ready: str) -> None:
        """valid is high; return after the edge at which ready was also high."""
        while True:
            await ReadOnly()
            done = int(self.sig[ready].value) == 1
            await RisingEdge(self.clk)
            if done:
                self.sig[valid].value = 0
                return

    async def write(self, addr: int, data: int, strb: int = 0xF) -> int:
        await self._delay()
        s = self.sig
        s["awaddr"].value, s["awvalid"].value = addr, 1
        s["wdata"].value, s["wstrb"].value, s["wvalid"].value = data & 0xFFFFFFFF, strb, 1
        aw_done = w_done = False
        while not (aw_done and w_done):
            await ReadOnly()
            aw_now = not aw_done and int(s["awready"].value) == 1
            w_now = not w_done and int(s["wready"].value) == 1
            await RisingEdge(self.clk)
            if aw_now:
                s["awvalid"].value, aw_done = 0, True
            if w_now:
                s["wvalid"].value, w_done = 0, True
        await self._delay()
        s["bready"].value = 1
        while True:
            await ReadOnly()
            if int(s["bvalid"].value) == 1:
                resp = int(s["bresp"].value)
                await RisingEdge(self.clk)
                s["bready"].value = 0
                return resp
            await RisingEdge(self.clk)

    async def read(self, addr: int) -> tuple[int, int]:
        await self._delay()
        s = self.sig
        s["araddr"].value, s["arvalid"].value = addr, 1
        await self._handshake("arvalid", "arready")
        await self._delay()
        s["rready"].value = 1
        while True:
            await ReadOnly()
            if int(s["rvalid"].value) == 1:
                data, resp = int(s["rdata"].value), int(s["rresp"].value)
                await RisingEdge(self.clk)
                s["rready"].value = 0
                return data, resp
            await RisingEdge(self.clk)
