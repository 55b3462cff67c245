"""Sequence items and analysis transactions of the romformer UVM environment."""
from __future__ import annotations

from dataclasses import dataclass

from pyuvm import uvm_sequence_item

from sim_models.regmap import BY_NAME, BY_OFFSET
from tb.monitors import RegTxn, StreamBeat

OutBeat = StreamBeat      # what the output monitor publishes


def reg_name(addr: int) -> str:
    reg = BY_OFFSET.get(addr & ~3)
    return reg.name if reg else "UNMAPPED"


class PromptItem(uvm_sequence_item):
    """One prompt on the input stream (TLAST on its last token)."""

    def __init__(self, name: str = "prompt", tokens: list[int] | None = None) -> None:
        super().__init__(name)
        self.tokens: list[int] = list(tokens or [])
        self.aborted = False          # a reset cut the prompt short
        self.timeout_ns: float | None = None   # bound for the core to accept it (driver side)
        self.beats: list = []         # observed: the monitor's StreamBeats

    def __str__(self) -> str:
        return f"prompt({len(self.tokens)} tokens: {self.tokens[:8]}{'...' if len(self.tokens) > 8 else ''})"


class RegItem(uvm_sequence_item):
    """One AXI4-Lite access; the driver fills in `resp` (and `data` for reads)."""

    def __init__(self, name: str = "reg", op: str = "read", addr: int = 0, data: int = 0, strb: int = 0xF) -> None:
        super().__init__(name)
        self.op, self.addr, self.data, self.strb = op, addr, data, strb
        self.resp: int | None = None

    @classmethod
    def read(cls, reg: str) -> "RegItem":
        return cls(f"rd_{reg}", "read", BY_NAME[reg].offset)

    @classmethod
    def write(cls, reg: str, data: int, strb: int = 0xF) -> "RegItem":
        return cls(f"wr_{reg}", "write", BY_NAME[reg].offset, data, strb)

    @property
    def reg_name(self) -> str:
        reg = BY_OFFSET.get(self.addr & ~3)
        return reg.name if reg else "UNMAPPED"

    def __str__(self) -> str:
        return f"{self.op} {self.reg_name}@{self.addr:#05x} data={self.data:#010x} strb={self.strb:#x} resp={self.resp}"


@dataclass
class Expected:
    """A predicted output beat: the token, TLAST, and where it comes from."""
    data: int
    last: bool
    pos: int              # position of the forward pass that produced it (error beats: the position then)
    prompt: int           # index of the prompt that caused it
    index: int            # index of the beat in the whole test
    sampled: bool
    errors: int = 0       # ERROR bits the core sets with this response (on its last beat)
    top_k: int = 0        # the latched TOP_K (for the schedule)


@dataclass
class CheckedBeat:
    """What the scoreboard publishes for coverage after a comparison."""
    expected: Expected
    actual: StreamBeat
    match: bool
