"""Sequence items and analysis transactions of the romformer UVM environment."""
from __future__ import annotations

from dataclasses import dataclass

from pyuvm import uvm_sequence_item

from sim_models.lora import bus_load_writes
from sim_models.regmap import BY_NAME, BY_OFFSET
from tb.monitors import StreamBeat

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
    def read(cls, reg: str) -> RegItem:
        return cls(f"rd_{reg}", "read", BY_NAME[reg].offset)

    @classmethod
    def write(cls, reg: str, data: int, strb: int = 0xF) -> RegItem:
        return cls(f"wr_{reg}", "write", BY_NAME[reg].offset, data, strb)

    @property
    def reg_name(self) -> str:
        reg = BY_OFFSET.get(self.addr & ~3)
        return reg.name if reg else "UNMAPPED"

    def __str__(self) -> str:
        return f"{self.op} {self.reg_name}@{self.addr:#05x} data={self.data:#010x} strb={self.strb:#x} resp={self.resp}"


class AdapterItem(uvm_sequence_item):
    """One LoRA adapter operation for the adapter agent (tb/uvm/agents.py AdapterDriver), which runs it as
    AXI4-Lite accesses (docs/registers.md, sim_models.lora.bus_load_writes):

    load      CTRL.ADAPTER_SUM_CLEAR, ADAPTER_ADDR = start, one ADAPTER_DATA write per
              word of `image`, then ADAPTER_SUM is read (-> `sum`)
    readback  ADAPTER_ADDR = start, `count` ADAPTER_DATA reads (-> `data`; the address steps by itself)
    enable    ADAPTER_CTRL.ENABLE = `enable`
    raw       the given RegItems (negative tests)
    Every response lands in `resps` (in order)."""

    def __init__(self, name: str = "adapter", op: str = "load", image: list[int] | None = None, start: int = 0,
                 count: int = 0, enable: bool = False, raw: list[RegItem] | None = None) -> None:
        super().__init__(name)
        if op not in ("load", "readback", "enable", "raw"):
            raise ValueError(f"AdapterItem op must be load, readback, enable or raw, got {op!r}")
        self.op, self.image, self.start, self.count, self.enable = op, list(image or []), start, count, enable
        self.raw = list(raw or [])
        self.resps: list[int] = []
        self.data: list[int] = []
        self.sum: int | None = None

    def reg_items(self) -> list[RegItem]:
        if self.op == "load":
            return [RegItem.write(reg, v) for reg, v in bus_load_writes(self.image, self.start)] + [
                RegItem.read("ADAPTER_SUM")]
        if self.op == "readback":
            return [RegItem.write("ADAPTER_ADDR", self.start)] + [RegItem.read("ADAPTER_DATA") for _ in range(self.count)]
        if self.op == "enable":
            return [RegItem.write("ADAPTER_CTRL", int(self.enable))]
        return list(self.raw)

    def collect(self, done: list[RegItem]) -> None:
        self.resps = [i.resp for i in done]
        if self.op == "load":
            self.sum = done[-1].data
        elif self.op == "readback":
            self.data = [i.data for i in done[1:]]
        elif self.op == "raw":
            self.data = [i.data for i in done if i.op == "read"]

    def __str__(self) -> str:
        return (f"adapter {self.op} start={self.start} words={len(self.image)} count={self.count} "
                f"enable={self.enable} resps={sorted(set(self.resps))}")


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
    adapter: int = 0      # the LoRA adapter image it was generated with: 0 disabled, else the image's id
    prompt_len: int = 0   # tokens of the prompt it answers
    error_state: str | None = None   # with `errors`: the core state when the error's cause reached the pins


@dataclass
class AdapterTxn:
    """What the adapter monitor makes of one AXI4-Lite access to the ADAPTER_* registers."""
    kind: str             # "data_write", "data_read", "ctrl_write", "addr_write", "sum_read", "info_read", "ro_write"
    addr: int             # the SRAM word address (ADAPTER_ADDR) the access used (data_*), else the value written
    data: int
    resp: int
    words: int            # ADAPTER_WORDS of the build

    @property
    def in_range(self) -> bool:
        return self.addr < self.words


@dataclass
class ErrorEvent:
    """An error case the scoreboard saw happen (coverage), and the core state (Scoreboard.phase) when its cause
    reached the pins: the offending prompt token, the register access, rst_n falling; None when not certain."""
    case: str
    state: str | None


@dataclass
class RegWrite:
    """A register write (accepted or refused) and the core state it happened in (coverage)."""
    reg: str
    state: str


@dataclass
class CheckedBeat:
    """What the scoreboard publishes for coverage after a comparison."""
    expected: Expected
    actual: StreamBeat
    match: bool
