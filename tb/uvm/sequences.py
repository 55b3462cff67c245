"""Sequences: prompts (input stream), register configuration and register error cases (AXI4-Lite)."""
from __future__ import annotations

import random

from pyuvm import uvm_sequence

from sim_models.regmap import BY_NAME, BY_OFFSET, REGISTERS, RO, RW
from tb.axil import contiguous_strobes
from tb.uvm.items import AdapterItem, PromptItem, RegItem


class PromptSeq(uvm_sequence):
    """One prompt (TLAST on its last token)."""

    def __init__(self, name: str = "prompt_seq", tokens: list[int] | None = None,
                 timeout_ns: float | None = None) -> None:
        super().__init__(name)
        self.tokens = list(tokens or [])
        self.timeout_ns = timeout_ns
        self.item: PromptItem | None = None

    async def body(self) -> None:
        self.item = PromptItem("prompt", self.tokens)
        self.item.timeout_ns = self.timeout_ns
        await self.start_item(self.item)
        await self.finish_item(self.item)


class RandomPromptSeq(PromptSeq):
    """A prompt of random length (1..max_len) and random in-range tokens."""

    def __init__(self, name: str, rng: random.Random, vocab: int, max_len: int) -> None:
        super().__init__(name, [rng.randrange(vocab) for _ in range(rng.randint(1, max_len))])


class ItemListSeq(uvm_sequence):
    """Sequence items sent in order; `items` keep what the driver filled in (responses, read data)."""

    def __init__(self, name: str, items: list | None = None) -> None:
        super().__init__(name)
        self.items = list(items or [])

    async def body(self) -> None:
        for item in self.items:
            await self.start_item(item)
            await self.finish_item(item)


class RegSeq(ItemListSeq):
    """A list of register accesses; `items` keep the responses (and read data)."""

    def __init__(self, name: str = "reg_seq", items: list[RegItem] | None = None) -> None:
        super().__init__(name, items)


class ConfigSeq(RegSeq):
    """Configure the chip: budget, selection mode, temperature, top-k, seed, stop token."""

    def __init__(self, name: str = "config_seq", *, budget: int | None = None, sample: bool | None = None,
                 inv_temp: int | None = None, top_k: int | None = None, seed: int | None = None,
                 stop: int | None = None, stop_enable: bool | None = None) -> None:
        items = []
        for reg, value in (("BUDGET", budget), ("SAMPLING", None if sample is None else int(sample)),
                           ("INV_TEMP", inv_temp), ("TOP_K", top_k), ("SEED", seed)):
            if value is not None:
                items.append(RegItem.write(reg, value))
        if stop is not None or stop_enable is not None:
            items.append(RegItem.write("STOP", (stop or 0) | (int(bool(stop_enable)) << 16)))
        super().__init__(name, items)


class RandomConfigSeq(ConfigSeq):
    """Greedy or top-k sampling with a random temperature, k and seed; a random budget."""

    def __init__(self, name: str, rng: random.Random, max_budget: int) -> None:
        sample = rng.random() < 0.5
        super().__init__(name, budget=rng.randint(1, max_budget), sample=sample,
                         inv_temp=rng.choice([128, 256, 320, 512]), top_k=rng.choice([0, 1, 3, 8, 40]),
                         seed=rng.getrandbits(32))


class CtrlSeq(RegSeq):
    """Pulse CTRL bits: NEW_SEQ and / or CLEAR_COUNTERS."""

    def __init__(self, name: str = "ctrl_seq", new_seq: bool = False, clear_counters: bool = False) -> None:
        super().__init__(name, [RegItem.write("CTRL", int(new_seq) | int(clear_counters) << 1)])


class ReadAllSeq(RegSeq):
    """Read every register of the map but ADAPTER_DATA (a read steps ADAPTER_ADDR and returns an SRAM word,
    undefined until written: the adapter sequences read it)."""

    def __init__(self, name: str = "read_all_seq") -> None:
        super().__init__(name, [RegItem.read(r.name) for r in REGISTERS if r.name != "ADAPTER_DATA"])


class RandomRwSeq(RegSeq):
    """Random writes with random byte strobes to the RW registers, each read back (the
    scoreboard predicts the readback with the RegisterModel). Address bits [1:0] random."""

    def __init__(self, name: str, rng: random.Random, n: int = 12) -> None:
        rw = [r for r in REGISTERS if r.access == RW]
        items: list[RegItem] = []
        for _ in range(n):
            reg = rng.choice(rw)
            addr = reg.offset | rng.randrange(4)
            items.append(RegItem(f"wr_{reg.name}", "write", addr, rng.getrandbits(32), rng.choice(contiguous_strobes())))
            items.append(RegItem(f"rd_{reg.name}", "read", addr))
        super().__init__(name, items)


class BadAccessSeq(RegSeq):
    """Error cases of the bus: unmapped read and write (SLVERR, ERROR.BAD_ADDRESS), writes to RO
    registers (SLVERR, ERROR.READ_ONLY_WRITE), a read of the WO register (0, OKAY)."""

    def __init__(self, name: str, rng: random.Random) -> None:
        mapped = set(BY_OFFSET)
        unmapped = [a for a in range(0x048, 0x1000, 4) if a not in mapped]
        ro = [r for r in REGISTERS if r.access == RO]
        items = [RegItem("rd_unmapped", "read", rng.choice(unmapped)),
                 RegItem("wr_unmapped", "write", rng.choice(unmapped), rng.getrandbits(32)),
                 RegItem("rd_unmapped_hi", "read", 0xFFC)]
        items += [RegItem(f"wr_{r.name}", "write", r.offset, rng.getrandbits(32)) for r in ro]
        items.append(RegItem.read("CTRL"))
        super().__init__(name, items)


class ClearErrorsSeq(RegSeq):
    """RW1C: clear the given ERROR bits (all by default), then read ERROR back."""

    def __init__(self, name: str = "clear_errors_seq", bits: int = 0x1F) -> None:
        super().__init__(name, [RegItem.write("ERROR", bits), RegItem.read("ERROR")])


ERROR_BITS = {f.name: f.mask for f in BY_NAME["ERROR"].fields}


class WriteEveryRegisterSeq(RegSeq):
    """While the core is busy (a prompt being received, or tokens generated): a write to every writable
    register that leaves generation as it is, and the bus error cases. The settings are rewritten with the
    values they hold (`settings`: register -> value; SEED reloads the PRNG with the same seed at the next
    prompt), CTRL.CLEAR_COUNTERS, ADAPTER_ADDR (allowed), ADAPTER_CTRL and ADAPTER_DATA (refused: SLVERR,
    ERROR.ADAPTER_BUSY), an unmapped write (BAD_ADDRESS), a write to an RO register (READ_ONLY_WRITE); last,
    ERROR written to clear those three bits (RW1C)."""

    def __init__(self, name: str, rng: random.Random, settings: dict[str, int], adapter_enable: int = 0) -> None:
        missing = [r for r in LATCHED if r not in settings]
        if missing:
            raise ValueError(f"{name}: settings lack {missing} (every latched register is rewritten)")
        unmapped = [a for a in range(0x060, 0x1000, 4) if a not in BY_OFFSET]
        items = [RegItem.write(r, settings[r]) for r in LATCHED]
        items += [RegItem.write("CTRL", BY_NAME["CTRL"].field("CLEAR_COUNTERS").mask),
                  RegItem.write("ADAPTER_ADDR", 0), RegItem.write("ADAPTER_CTRL", adapter_enable),
                  RegItem.write("ADAPTER_DATA", rng.getrandbits(32)),
                  RegItem("wr_unmapped", "write", rng.choice(unmapped), rng.getrandbits(32)),
                  RegItem.write(rng.choice([r.name for r in REGISTERS if r.access == RO]), rng.getrandbits(32)),
                  RegItem.write("ERROR", ERROR_BITS["BAD_ADDRESS"] | ERROR_BITS["READ_ONLY_WRITE"]
                                | ERROR_BITS["ADAPTER_BUSY"])]
        super().__init__(name, items)


# Registers a random access may touch at any time (issue 7): the generation settings, the control
# pulses, and reads whose value the scoreboard predicts or bounds (not ERROR / STATUS / POSITION,
# which change with the core's progress).
LATCHED = ("BUDGET", "SAMPLING", "INV_TEMP", "TOP_K", "STOP", "SEED")
BOUNDED_READS = ("TOKENS_IN", "TOKENS_OUT", "ID", "CONFIG", "SEQ_LEN") + LATCHED


def random_reg_op(rng: random.Random, vocab: int, max_budget: int) -> RegItem:
    """One random access: a settings write, a CTRL pulse (NEW_SEQ / CLEAR_COUNTERS) or a read."""
    r = rng.random()
    if r < 0.45:
        reg = rng.choice(LATCHED)
        value = {"BUDGET": lambda: rng.randint(0, max_budget), "SAMPLING": lambda: rng.randint(0, 1),
                 "INV_TEMP": lambda: rng.choice([0, 128, 256, 320, 512]), "TOP_K": lambda: rng.choice([0, 1, 3, 8]),
                 "STOP": lambda: rng.randrange(vocab) | (int(rng.random() < 0.3) << 16),
                 "SEED": lambda: rng.getrandbits(32)}[reg]()
        return RegItem.write(reg, value)
    if r < 0.6:
        return RegItem.write("CTRL", rng.choice([1, 2, 3]))
    return RegItem.read(rng.choice(BOUNDED_READS))


# ------------------------------------------------------------------ LoRA adapter (the adapter agent's sequencer)
class AdapterSeq(ItemListSeq):
    """AdapterItems in order on the adapter agent; `items` keep the responses, read data and sums."""

    def __init__(self, name: str = "adapter_seq", items: list[AdapterItem] | None = None) -> None:
        super().__init__(name, items)


class AdapterLoadSeq(AdapterSeq):
    """Load an image over the bus from ADAPTER_ADDR = start (ADAPTER_SUM cleared first, read after)."""

    def __init__(self, name: str, image: list[int], start: int = 0) -> None:
        super().__init__(name, [AdapterItem(name, "load", image=image, start=start)])

    @property
    def sum(self) -> int | None:
        return self.items[0].sum


class AdapterReadbackSeq(AdapterSeq):
    """Read words back: for each (start, count), ADAPTER_ADDR = start and `count` ADAPTER_DATA reads."""

    def __init__(self, name: str, spans: list[tuple[int, int]]) -> None:
        super().__init__(name, [AdapterItem(f"{name}{i}", "readback", start=a, count=n) for i, (a, n) in enumerate(spans)])


class AdapterEnableSeq(AdapterSeq):
    """ADAPTER_CTRL.ENABLE = enable."""

    def __init__(self, name: str, enable: bool) -> None:
        super().__init__(name, [AdapterItem(name, "enable", enable=enable)])


class AdapterBusySeq(AdapterSeq):
    """While the core is not idle: an ADAPTER_DATA write, ADAPTER_CTRL writes (both values) -- each must be
    refused (SLVERR, ERROR.ADAPTER_BUSY) and change nothing -- and ADAPTER_ADDR write + ADAPTER_DATA read
    (allowed: OKAY; a read never changes the SRAM)."""

    def __init__(self, name: str, rng: random.Random, words: int) -> None:
        a = rng.randrange(words)
        raw = [RegItem.write("ADAPTER_ADDR", a), RegItem.write("ADAPTER_DATA", rng.getrandbits(32)),
               RegItem.write("ADAPTER_CTRL", 1), RegItem.write("ADAPTER_CTRL", 0), RegItem.write("ADAPTER_ADDR", a),
               RegItem.read("ADAPTER_DATA")]
        super().__init__(name, [AdapterItem(name, "raw", raw=raw)])
        self.word = a


class AdapterBadAccessSeq(AdapterSeq):
    """Error cases of the adapter registers while idle: an ADAPTER_DATA write at ADAPTER_ADDR = ADAPTER_WORDS
    and at the top of the address space (SLVERR, ERROR.BAD_ADDRESS, ADAPTER_ADDR not stepped), reads there
    (0, OKAY, not stepped), writes to ADAPTER_SUM / ADAPTER_CONFIG / ADAPTER_WORDS (SLVERR,
    ERROR.READ_ONLY_WRITE)."""

    def __init__(self, name: str, rng: random.Random, words: int) -> None:
        raw: list[RegItem] = []
        for addr in (words, rng.randrange(words, 0x10000), 0xFFFF):
            raw += [RegItem.write("ADAPTER_ADDR", addr), RegItem.write("ADAPTER_DATA", rng.getrandbits(32)),
                    RegItem.read("ADAPTER_ADDR"), RegItem.read("ADAPTER_DATA"), RegItem.read("ADAPTER_ADDR")]
        raw += [RegItem.write(r, rng.getrandbits(32)) for r in ("ADAPTER_SUM", "ADAPTER_CONFIG", "ADAPTER_WORDS")]
        raw += [RegItem.read(r) for r in ("ADAPTER_SUM", "ADAPTER_CONFIG", "ADAPTER_WORDS", "ADAPTER_CTRL")]
        super().__init__(name, [AdapterItem(name, "raw", raw=raw)])
