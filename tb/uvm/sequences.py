"""Sequences: prompts (input stream), register configuration and register error cases (AXI4-Lite)."""
from __future__ import annotations

import random

from pyuvm import uvm_sequence

from sim_models.regmap import BY_NAME, BY_OFFSET, REGISTERS, RO, RW
from tb.uvm.items import PromptItem, RegItem


class PromptSeq(uvm_sequence):
    """One prompt (TLAST on its last token)."""

    def __init__(self, name: str = "prompt_seq", tokens: list[int] | None = None) -> None:
        super().__init__(name)
        self.tokens = list(tokens or [])
        self.item: PromptItem | None = None

    async def body(self) -> None:
        self.item = PromptItem("prompt", self.tokens)
        await self.start_item(self.item)
        await self.finish_item(self.item)


class RandomPromptSeq(PromptSeq):
    """A prompt of random length (1..max_len) and random in-range tokens."""

    def __init__(self, name: str, rng: random.Random, vocab: int, max_len: int) -> None:
        super().__init__(name, [rng.randrange(vocab) for _ in range(rng.randint(1, max_len))])


class RegSeq(uvm_sequence):
    """A list of register accesses; `items` keep the responses (and read data)."""

    def __init__(self, name: str = "reg_seq", items: list[RegItem] | None = None) -> None:
        super().__init__(name)
        self.items = list(items or [])

    async def body(self) -> None:
        for item in self.items:
            await self.start_item(item)
            await self.finish_item(item)


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
    """Read every register of the map."""

    def __init__(self, name: str = "read_all_seq") -> None:
        super().__init__(name, [RegItem.read(r.name) for r in REGISTERS])


class RandomRwSeq(RegSeq):
    """Random writes with random byte strobes to the RW registers, each read back (the
    scoreboard predicts the readback with the RegisterModel). Address bits [1:0] random."""

    def __init__(self, name: str, rng: random.Random, n: int = 12) -> None:
        rw = [r for r in REGISTERS if r.access == RW]
        items: list[RegItem] = []
        for _ in range(n):
            reg = rng.choice(rw)
            addr = reg.offset | rng.randrange(4)
            items.append(RegItem(f"wr_{reg.name}", "write", addr, rng.getrandbits(32), rng.randrange(16)))
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
