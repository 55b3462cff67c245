"""The register map of the AXI4-Lite control interface: the single source of truth.

From the `REGISTERS` table below this module generates

* `hdl/rf_regmap.vh`, included by `hdl/rf_axil_regs.v`: per register
  `RF_<REG>_ADDR` (byte offset), `RF_<REG>_RESET` (registers with a fixed reset
  value) and per field `RF_<REG>_<FIELD>_LSB` / `_MSB`;
* `docs/registers.md`, the register table for software;

    python -m sim_models.regmap --verilog hdl/rf_regmap.vh --markdown docs/registers.md

and provides `RegisterModel`, the behavioural model the testbenches compare the
RTL with (reset values, access rules, what a read returns after writes).
Both generated files are committed; tests/test_regmap.py fails if they drift.

Bus rules (rf_axil_regs): 32-bit registers at byte offsets, decoded on the word
address (address bits [1:0] are ignored). Reads and writes of an unmapped
address return SLVERR and set ERROR.BAD_ADDRESS (reads return 0). A write to an
RO register returns SLVERR and sets ERROR.READ_ONLY_WRITE. RW registers honour
the byte strobes; bits outside the fields read as 0. WO registers read as 0 (OKAY).
RW1C bits clear where a 1 is written (in enabled bytes); a set from the hardware
in the same cycle wins.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

RO, RW, WO, RW1C = "RO", "RW", "WO", "RW1C"
RWA = "RW-A"   # adapter registers: RW, but writes are refused while the core is not idle (see ADAPTER_*)
ACCESS = (RO, RW, WO, RW1C, RWA)
ADAPTER_REGS = ("ADAPTER_CTRL", "ADAPTER_ADDR", "ADAPTER_DATA")
OKAY, SLVERR = 0, 2
DATA_BITS = 32
ID_VALUE = 0x524D4652   # "RMFR"


@dataclass(frozen=True)
class Field:
    name: str
    msb: int
    lsb: int
    description: str

    @property
    def width(self) -> int:
        return self.msb - self.lsb + 1

    @property
    def mask(self) -> int:
        return ((1 << self.width) - 1) << self.lsb

    def bits(self) -> str:
        return f"[{self.msb}]" if self.msb == self.lsb else f"[{self.msb}:{self.lsb}]"


@dataclass(frozen=True)
class Register:
    name: str
    offset: int
    access: str
    reset: int | None   # None: a live value from the core or the build parameters
    description: str
    fields: tuple[Field, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.access not in ACCESS:
            raise ValueError(f"{self.name}: access {self.access!r} not in {ACCESS}")
        if self.offset % 4:
            raise ValueError(f"{self.name}: offset {self.offset:#x} is not word aligned")
        used = 0
        for f in self.fields:
            if not 0 <= f.lsb <= f.msb < DATA_BITS or used & f.mask:
                raise ValueError(f"{self.name}.{f.name}: bad or overlapping bit range {f.bits()}")
            used |= f.mask
        if self.reset is not None and self.reset & ~used:
            raise ValueError(f"{self.name}: reset value {self.reset:#x} sets bits outside the fields")

    @property
    def mask(self) -> int:
        m = 0
        for f in self.fields:
            m |= f.mask
        return m

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name}")


def F(name: str, msb: int, lsb: int, description: str) -> Field:
    return Field(name, msb, lsb, description)


REGISTERS: tuple[Register, ...] = (
    Register("ID", 0x000, RO, ID_VALUE, 'Identification: "RMFR" (0x524D4652).',
             (F("VALUE", 31, 0, "constant 0x524D4652"),)),
    Register("CONFIG", 0x004, RO, None, "Build configuration (from the RTL parameters).",
             (F("LANES", 7, 0, "MAC lanes"), F("N_LAYERS", 15, 8, "transformer layers"),
              F("VOCAB", 31, 16, "vocabulary size"))),
    Register("CTRL", 0x008, WO, 0, "Control pulses (write 1); reads as 0.",
             (F("NEW_SEQ", 0, 0, "clear the position at the next idle point"),
              F("CLEAR_COUNTERS", 1, 1, "clear the cycle and token counters"),
              F("ADAPTER_SUM_CLEAR", 2, 2, "clear ADAPTER_SUM (before loading an adapter image)"))),
    Register("STATUS", 0x00C, RO, None, "Core status.",
             (F("BUSY", 0, 0, "a forward pass or a selection is running"),
              F("GENERATING", 1, 1, "emitting generated tokens"),
              F("IDLE", 2, 2, "waiting for a prompt token"),
              F("ERROR", 3, 3, "any ERROR flag is set"),
              F("NEW_SEQ_PENDING", 4, 4, "a NEW_SEQ waits for the next idle point"))),
    Register("BUDGET", 0x010, RW, 64, "Tokens to generate per prompt (0: prefill only).",
             (F("TOKENS", 15, 0, "token budget"),)),
    Register("SAMPLING", 0x014, RW, 0, "Selection mode.",
             (F("SAMPLE", 0, 0, "1: top-k sampling, 0: greedy"),)),
    Register("INV_TEMP", 0x018, RW, 256, "Inverse temperature 256/T, unsigned Q8.8 (0: greedy).",
             (F("VALUE", 15, 0, "256 / T"),)),
    Register("TOP_K", 0x01C, RW, 0, "Top-k candidates for sampling (0: K_MAX).",
             (F("K", 7, 0, "k, clamped to [1, min(K_MAX, VOCAB)]"),)),
    Register("SEED", 0x020, RW, 0,
             "PRNG seed; a write reloads the PRNG when the next prompt's last token is accepted (0 loads 0x6D2B79F5).",
             (F("VALUE", 31, 0, "xorshift32 seed"),)),
    Register("STOP", 0x024, RW, 0, "Stop token: generation ends after emitting it, if enabled.",
             (F("TOKEN", 15, 0, "stop token id"), F("ENABLE", 16, 16, "stop on TOKEN"))),
    Register("POSITION", 0x028, RO, None, "Current position in the context (tokens in the KV cache).",
             (F("VALUE", 15, 0, "position"),)),
    Register("ERROR", 0x02C, RW1C, 0, "Sticky error flags; write 1 to clear.",
             (F("TOKEN_RANGE", 0, 0, "a prompt token was >= VOCAB"),
              F("CONTEXT_OVERFLOW", 1, 1, "a prompt did not fit the context"),
              F("CONTEXT_FULL", 2, 2, "generation stopped at the end of the context"),
              F("BAD_ADDRESS", 3, 3, "access to an unmapped address"),
              F("READ_ONLY_WRITE", 4, 4, "write to a read-only register"),
              F("ADAPTER_BUSY", 5, 5, "an ADAPTER_CTRL / ADAPTER_DATA write was refused: the core was not idle"))),
    Register("CYCLES_LO", 0x030, RO, None,
             "Busy-cycle counter, bits [31:0]: cycles spent in forward passes (the sum of every LAST_CYCLES).",
             (F("VALUE", 31, 0, "cycles [31:0]"),)),
    Register("CYCLES_HI", 0x034, RO, None,
             "Busy-cycle counter, bits [63:32], as of the last CYCLES_LO read (read LO first: the pair is never torn).",
             (F("VALUE", 31, 0, "cycles [63:32]"),)),
    Register("TOKENS_IN", 0x038, RO, None, "Prompt tokens consumed.",
             (F("VALUE", 31, 0, "count"),)),
    Register("TOKENS_OUT", 0x03C, RO, None, "Tokens emitted.",
             (F("VALUE", 31, 0, "count"),)),
    Register("LAST_CYCLES", 0x040, RO, None, "Cycles of the last forward pass (sim_models.schedule predicts it).",
             (F("VALUE", 31, 0, "cycles"),)),
    Register("SEQ_LEN", 0x044, RO, None, "Context length (from the RTL parameters).",
             (F("VALUE", 15, 0, "seq_len"),)),
    Register("ADAPTER_CTRL", 0x048, RWA, 0,
             "LoRA adapter control. A write while the core is not idle (STATUS.IDLE low) is refused: SLVERR, "
             "ERROR.ADAPTER_BUSY, nothing changes.",
             (F("ENABLE", 0, 0, "apply the adapter in SRAM to its target matrices"),)),
    Register("ADAPTER_ADDR", 0x04C, RWA, 0,
             "Word address in the adapter SRAM for ADAPTER_DATA; every ADAPTER_DATA access within ADAPTER_WORDS increments "
             "it.",
             (F("VALUE", 15, 0, "word address"),)),
    Register("ADAPTER_DATA", 0x050, RWA, None,
             "The adapter SRAM word at ADAPTER_ADDR (whole-word writes: strobes are ignored). A write while the core is not "
             "idle is refused (SLVERR, ERROR.ADAPTER_BUSY); a write at ADAPTER_ADDR >= ADAPTER_WORDS gets SLVERR and "
             "ERROR.BAD_ADDRESS; a read there returns 0. Neither increments ADAPTER_ADDR.",
             (F("VALUE", 31, 0, "SRAM word"),)),
    Register("ADAPTER_SUM", 0x054, RO, None,
             "Checksum of the adapter words written since reset or CTRL.ADAPTER_SUM_CLEAR: per accepted ADAPTER_DATA write, "
             "h = rotl(h, 1) ^ data ^ (addr * 0x9E3779B1) (sim_models.lora.image_hash; the manifest's checksum).",
             (F("VALUE", 31, 0, "hash"),)),
    Register("ADAPTER_CONFIG", 0x058, RO, None, "Adapter hardware of this build (0: none).",
             (F("RANK", 7, 0, "maximum rank R"),
              F("TARGETS", 14, 8, "matrices that may carry an adapter: bit 0 wq, 1 wk, 2 wv, 3 wo, 4 w1, 5 w3, 6 w2"))),
    Register("ADAPTER_WORDS", 0x05C, RO, None, "Adapter SRAM size in 32-bit words (the image length; 0: no adapter hardware).",
             (F("VALUE", 15, 0, "words"),)),
)

BY_NAME = {r.name: r for r in REGISTERS}
BY_OFFSET = {r.offset: r for r in REGISTERS}
assert len(BY_NAME) == len(REGISTERS) and len(BY_OFFSET) == len(REGISTERS)


def strobe_mask(strb: int) -> int:
    return sum(0xFF << (8 * i) for i in range(4) if strb >> i & 1)


class RegisterModel:
    """What software sees through rf_axil_regs: reset values, access rules, readback.

    Live inputs from the core are set in `hw` (busy, generating, idle,
    new_seq_pending, pos, cycles, tokens_in, tokens_out, last_cycles); `set_errors`
    models the core's err_set pulses. Control pulses caused by writes are appended
    to `pulses` ("NEW_SEQ", "CLEAR_COUNTERS", "SEED_LOAD").
    """

    HW_DEFAULTS = {"busy": 0, "generating": 0, "idle": 0, "new_seq_pending": 0, "pos": 0, "cycles": 0,
                   "tokens_in": 0, "tokens_out": 0, "last_cycles": 0}

    def __init__(self, lanes: int, n_layers: int, vocab: int, seq_len: int, adapter_rank: int = 0,
                 adapter_targets: int = 0, adapter_words: int = 0) -> None:
        self.params = {"lanes": lanes, "n_layers": n_layers, "vocab": vocab, "seq_len": seq_len,
                       "adapter_rank": adapter_rank, "adapter_targets": adapter_targets,
                       "adapter_words": adapter_words}
        self.reset()

    def reset(self) -> None:
        self.stored = {r.name: r.reset for r in REGISTERS if r.access in (RW, RW1C) or
                       (r.access == RWA and r.reset is not None)}
        self.hw = dict(self.HW_DEFAULTS)
        self.pulses: list[str] = []
        self.cycles_hi_snapshot = 0     # cycles[63:32] latched by a CYCLES_LO read
        self.adapter_mem: dict[int, int] = {}   # adapter SRAM words written (unwritten words are unknown)
        self.adapter_sum = 0

    # -- core side
    def set_errors(self, bits: int) -> None:
        self.stored["ERROR"] |= bits & 0b111

    def value(self, reg: str, fld: str) -> int:
        """A field of a stored (RW / RW1C) register: what the core-facing port carries."""
        f = BY_NAME[reg].field(fld)
        return (self.stored[reg] & f.mask) >> f.lsb

    # -- bus side
    def _live(self, reg: Register) -> int:
        p, hw, n = self.params, self.hw, reg.name
        if n == "ID":
            v = ID_VALUE
        elif n == "CONFIG":
            v = pack(reg, LANES=p["lanes"], N_LAYERS=p["n_layers"], VOCAB=p["vocab"])
        elif n == "STATUS":
            v = pack(reg, BUSY=hw["busy"], GENERATING=hw["generating"], IDLE=hw["idle"],
                     ERROR=int(self.stored["ERROR"] != 0), NEW_SEQ_PENDING=hw["new_seq_pending"])
        elif n == "CYCLES_LO":
            v = hw["cycles"] & 0xFFFFFFFF
            self.cycles_hi_snapshot = hw["cycles"] >> 32
        elif n == "CYCLES_HI":
            v = self.cycles_hi_snapshot
        elif n == "SEQ_LEN":
            v = p["seq_len"]
        elif n == "ADAPTER_SUM":
            v = self.adapter_sum
        elif n == "ADAPTER_CONFIG":
            v = pack(reg, RANK=p["adapter_rank"], TARGETS=p["adapter_targets"])
        elif n == "ADAPTER_WORDS":
            v = p["adapter_words"]
        elif reg.access == WO:
            v = 0
        else:   # POSITION, TOKENS_IN, TOKENS_OUT, LAST_CYCLES
            v = hw[{"POSITION": "pos"}.get(n, n.lower())]
        return v & reg.mask

    def read(self, addr: int) -> tuple[int, int]:
        reg = BY_OFFSET.get(addr & ~3)
        if reg is None:
            self.stored["ERROR"] |= BY_NAME["ERROR"].field("BAD_ADDRESS").mask
            return 0, SLVERR
        if reg.name == "ADAPTER_DATA":
            addr = self.stored["ADAPTER_ADDR"]
            if addr >= self.params["adapter_words"]:
                return 0, OKAY
            self.stored["ADAPTER_ADDR"] = (addr + 1) & 0xFFFF
            return self.adapter_mem.get(addr, 0), OKAY
        if reg.name in self.stored:
            return self.stored[reg.name], OKAY
        return self._live(reg), OKAY

    def write(self, addr: int, data: int, strb: int = 0xF) -> int:
        reg = BY_OFFSET.get(addr & ~3)
        err = BY_NAME["ERROR"]
        if reg is None:
            self.stored["ERROR"] |= err.field("BAD_ADDRESS").mask
            return SLVERR
        if reg.access == RO:
            self.stored["ERROR"] |= err.field("READ_ONLY_WRITE").mask
            return SLVERR
        bm = strobe_mask(strb) & reg.mask
        if reg.name in ("ADAPTER_CTRL", "ADAPTER_DATA") and not self.hw["idle"]:
            self.stored["ERROR"] |= err.field("ADAPTER_BUSY").mask
            return SLVERR
        if reg.name == "ADAPTER_DATA":
            addr = self.stored["ADAPTER_ADDR"]
            if addr >= self.params["adapter_words"]:
                self.stored["ERROR"] |= err.field("BAD_ADDRESS").mask
                return SLVERR
            self.adapter_mem[addr] = data & 0xFFFFFFFF
            self.adapter_sum = adapter_hash_step(self.adapter_sum, addr, data)
            self.stored["ADAPTER_ADDR"] = (addr + 1) & 0xFFFF
            return OKAY
        if reg.access in (RW, RWA):
            self.stored[reg.name] = (self.stored[reg.name] & ~bm) | (data & bm)
            if reg.name == "SEED":
                self.pulses.append("SEED_LOAD")
        elif reg.access == RW1C:
            self.stored[reg.name] &= ~(data & bm)
        else:   # WO: pulses
            self.pulses += [f.name for f in reg.fields if data & bm & f.mask]
            if "ADAPTER_SUM_CLEAR" in self.pulses:
                self.pulses.remove("ADAPTER_SUM_CLEAR")
                self.adapter_sum = 0
        return OKAY


def adapter_hash_step(h: int, addr: int, data: int) -> int:
    """ADAPTER_SUM after one accepted ADAPTER_DATA write (sim_models.lora.image_hash folds it over an image)."""
    h = ((h << 1) | (h >> 31)) & 0xFFFFFFFF
    return h ^ (data & 0xFFFFFFFF) ^ ((addr * 0x9E3779B1) & 0xFFFFFFFF)


def pack(reg: Register, **values: int) -> int:
    word = 0
    for name, v in values.items():
        f = reg.field(name)
        word |= (int(v) << f.lsb) & f.mask
    return word


# ---------------------------------------------------------------- generators
HEADER = "Generated by `python -m sim_models.regmap` from sim_models/regmap.py -- do not edit."


def verilog() -> str:
    lines = [f"// rf_regmap.vh -- {HEADER}",
             "// Include inside a module body (no include guard: every module gets its own copy).",
             "// RF_<REG>_ADDR: byte offset; RF_<REG>_RESET: reset value (registers with a fixed one);",
             "// RF_<REG>_<FIELD>_LSB / _MSB: field bit positions.", ""]
    for r in REGISTERS:
        lines.append(f"// {r.name} ({r.access}): {r.description}")
        lines.append(f"localparam [31:0] RF_{r.name}_ADDR = 32'h{r.offset:08X};")
        if r.reset is not None:
            lines.append(f"localparam [31:0] RF_{r.name}_RESET = 32'h{r.reset:08X};")
        for f in r.fields:
            lines.append(f"localparam integer RF_{r.name}_{f.name}_LSB = {f.lsb};")
            lines.append(f"localparam integer RF_{r.name}_{f.name}_MSB = {f.msb};")
        lines.append("")
    return "\n".join(lines)


def markdown() -> str:
    out = ["# Registers", "", f"<!-- {HEADER} -->", "",
           "AXI4-Lite slave `rf_axil_regs`: 32-bit registers at byte offsets (address bits [1:0] are",
           "ignored). Responses: OKAY (0), SLVERR (2) for unmapped addresses (sets ERROR.BAD_ADDRESS,",
           "reads return 0) and for writes to RO registers (sets ERROR.READ_ONLY_WRITE). RW registers",
           "honour the byte strobes; bits outside the fields read as 0. WO registers read as 0. RW1C",
           "bits clear where 1 is written; a hardware set in the same cycle wins. Reset \"live\": the",
           "value comes from the core or the build parameters.", "",
           "Generation settings (BUDGET, SAMPLING, INV_TEMP, TOP_K, STOP) are latched per prompt, when",
           "the core accepts the prompt's last token; a SEED write reloads the PRNG at that same point.",
           "Writes made while a prompt is in flight or its tokens stream out apply to the next prompt.",
           "CTRL.NEW_SEQ applies between prompts (a prompt in flight finishes in the old sequence).",
           "CTRL.CLEAR_COUNTERS wins over a count in the same cycle. Read CYCLES_LO before CYCLES_HI:",
           "the LO read latches the high word that CYCLES_HI returns.", "",
           "Access RW-A (the LoRA adapter registers): RW, except that a write to ADAPTER_CTRL or",
           "ADAPTER_DATA while the core is not idle is refused (SLVERR, ERROR.ADAPTER_BUSY, nothing",
           "changes). Loading an adapter: CTRL.ADAPTER_SUM_CLEAR, ADAPTER_ADDR = 0, then one ADAPTER_DATA",
           "write per image word (adapter.hex); ADAPTER_SUM then equals the manifest's checksum. Any word",
           "reads back through ADAPTER_ADDR / ADAPTER_DATA (docs/rtl.md, rf_lora).", "",
           "| offset | name | access | reset | description |", "|---|---|---|---|---|"]
    for r in REGISTERS:
        reset = "live" if r.reset is None else f"0x{r.reset:08X}"
        out.append(f"| 0x{r.offset:03X} | [{r.name}](#{r.name.lower()}) | {r.access} | {reset} | {r.description} |")
    for r in REGISTERS:
        out += ["", f"## {r.name}", "", f"Offset 0x{r.offset:03X}, {r.access}. {r.description}", "",
                "| bits | field | reset | description |", "|---|---|---|---|"]
        for f in r.fields:
            reset = "live" if r.reset is None else str((r.reset & f.mask) >> f.lsb)
            out.append(f"| {f.bits()} | {f.name} | {reset} | {f.description} |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m sim_models.regmap", description=__doc__.splitlines()[0])
    ap.add_argument("--verilog", type=Path, help="write the Verilog include here")
    ap.add_argument("--markdown", type=Path, help="write the Markdown register table here")
    args = ap.parse_args(argv)
    if args.verilog:
        args.verilog.write_text(verilog())
    if args.markdown:
        args.markdown.write_text(markdown())
    if not (args.verilog or args.markdown):
        print(markdown(), end="")


if __name__ == "__main__":
    main()
