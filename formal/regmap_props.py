"""The register map's bus responses as Verilog functions for the rf_axil_regs proof.

Nothing here is typed in by hand: every response is what `sim_models.regmap.RegisterModel`
(the behavioural model the testbenches compare the RTL with) answers for each register of
`sim_models.regmap.REGISTERS`, and every address is the `RF_<REG>_ADDR` localparam of
`hdl/rf_regmap.vh` (generated from the same table). The include goes inside a module body
after `include "rf_regmap.vh"`:

* `f_rf_wr_err(word)`       1: a write here gets SLVERR whatever the core does (unmapped, RO);
* `f_rf_wr_err_busy(word)`  1: a write here gets SLVERR while the core is not idle;
* `f_rf_wr_err_range(word)` 1: a write here gets SLVERR while the adapter address is past the
                            adapter SRAM (ADAPTER_ADDR >= ADAPTER_WORDS);
* `f_rf_rd_err(word)`       1: a read here gets SLVERR;
* `f_rf_rd_fixed(word)`     {known, value}: the read data when it depends on nothing (the
                            unmapped addresses, ID, WO registers), else known = 0.

The model is probed in three conditions (core idle with the adapter address in range; core
busy; adapter SRAM of size 0). A response that the model makes depend on anything else is
refused with an error naming the register, so the proof never silently checks less.

    python -m formal.regmap_props --out build/formal/gen
"""
from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

from sim_models.regmap import REGISTERS, RO, SLVERR, WO, Register, RegisterModel

FILENAME = "rf_regmap_formal.vh"
_BIG_SRAM = 1 << 16            # every 16-bit adapter address is in range
_PARAMS = dict(lanes=8, n_layers=1, vocab=256, seq_len=64, adapter_rank=2, adapter_targets=1)
_OTHER_PARAMS = dict(lanes=16, n_layers=2, vocab=512, seq_len=128, adapter_rank=4, adapter_targets=3)
# two builds and histories (parameters, adapter words, core inputs, written data) that differ in
# everything a read can return: a read that returns the same data after both depends on nothing.
# Data 1 keeps the second history's ADAPTER_ADDR in range, so its ADAPTER_DATA write is taken.
_FIXED_PROBES = ((_PARAMS, 5, 0, 0), (_OTHER_PARAMS, 9, 0xFFFF_FFFF_FFFF_FFFF, 1))


@dataclass(frozen=True)
class Responses:
    """Bus responses at one word address (None: unmapped)."""
    name: str
    reg: Register | None
    wr_err: bool
    wr_err_busy: bool
    wr_err_range: bool
    rd_err: bool
    rd_fixed: int | None


def _model(idle: int, adapter_words: int, params: dict[str, int] = _PARAMS, hw: int = 0) -> RegisterModel:
    m = RegisterModel(adapter_words=adapter_words, **params)
    for k in m.hw:
        m.hw[k] = hw
    m.hw["idle"] = idle
    return m


def _read_after_traffic(offset: int, params: dict[str, int], adapter_words: int, hw: int, data: int) -> int:
    """The read data at `offset` after a write of `data` to every register, then a read of every
    register (latching snapshots such as CYCLES_HI's), with the core inputs all `hw`."""
    m = _model(1, adapter_words, params, hw)
    for r in REGISTERS:
        m.write(r.offset, data, 0xF)
    for r in REGISTERS:
        m.read(r.offset)
    return m.read(offset)[0]


def unmapped_offset() -> int:
    """A word offset no register uses (the probe for the decode's default)."""
    return max(r.offset for r in REGISTERS) + 4


def responses(offset: int, name: str, reg: Register | None) -> Responses:
    """Probe RegisterModel at `offset` in the three conditions."""
    def write(idle: int, words: int) -> bool:
        return _model(idle, words).write(offset, 0, 0xF) == SLVERR

    def read(idle: int, words: int, params: dict[str, int] = _PARAMS, hw: int = 0) -> tuple[int, int]:
        return _model(idle, words, params, hw).read(offset)

    base, busy, small = write(1, _BIG_SRAM), write(0, _BIG_SRAM), write(1, 0)
    reads = {read(1, _BIG_SRAM)[1], read(0, _BIG_SRAM)[1], read(1, 0)[1]}
    if len(reads) != 1:
        raise ValueError(f"sim_models/regmap.py: {name}: the read response depends on the core state; "
                         "formal/regmap_props.py has no function for that")
    if base and not (busy and small):
        raise ValueError(f"sim_models/regmap.py: {name}: a write gets SLVERR only while the core is idle "
                         "or the adapter address is in range; formal/regmap_props.py has no function for that")
    fixed = None
    if reg is None or reg.access in (RO, WO):
        values = {_read_after_traffic(offset, *probe) for probe in _FIXED_PROBES}
        if len(values) == 1:
            fixed = values.pop()
    return Responses(name, reg, base, busy and not base, small and not base, reads.pop() == SLVERR, fixed)


def table() -> list[Responses]:
    """Every register, then the unmapped default."""
    rows = [responses(r.offset, r.name, r) for r in REGISTERS]
    return rows + [responses(unmapped_offset(), "unmapped", None)]


def _function(name: str, comment: str, rows: list[Responses], value) -> list[str]:
    """A case over the word address: `value(row)` per register, the unmapped row's as default."""
    mapped, default = rows[:-1], rows[-1]
    out = [f"// {comment}", f"function automatic {name}(input [31:0] word);", "    case (word)"]
    groups: dict[str, list[str]] = {}
    for row in mapped:
        groups.setdefault(value(row), []).append(f"RF_{row.name}_ADDR")
    for val, addrs in groups.items():
        if val != value(default):
            out.append(f"        {', '.join(addrs)}: {name} = {val};")
    out += [f"        default: {name} = {value(default)};", "    endcase", "endfunction", ""]
    return out


def verilog() -> str:
    rows = table()
    bit = lambda b: "1'b1" if b else "1'b0"   # noqa: E731
    fixed = lambda r: "33'h0_0000_0000" if r.rd_fixed is None else f"{{1'b1, 32'h{r.rd_fixed:08X}}}"   # noqa: E731
    lines = ["// rf_regmap_formal.vh -- generated by `python -m formal.regmap_props` from the responses of",
             "// sim_models.regmap.RegisterModel; addresses from rf_regmap.vh. Do not edit.",
             "// Include inside a module body, after `include \"rf_regmap.vh\".", ""]
    lines += _function("f_rf_wr_err", "write: SLVERR whatever the core does (unmapped, RO)", rows,
                       lambda r: bit(r.wr_err))
    lines += _function("f_rf_wr_err_busy", "write: SLVERR while the core is not idle (STATUS.IDLE low)", rows,
                       lambda r: bit(r.wr_err_busy))
    lines += _function("f_rf_wr_err_range", "write: SLVERR while ADAPTER_ADDR >= ADAPTER_WORDS", rows,
                       lambda r: bit(r.wr_err_range))
    lines += _function("f_rf_rd_err", "read: SLVERR", rows, lambda r: bit(r.rd_err))
    lines += [line.replace("function automatic f_rf_rd_fixed(", "function automatic [32:0] f_rf_rd_fixed(")
              for line in _function("f_rf_rd_fixed", "read: {1, data} when the data depends on nothing, else 0",
                                    rows, fixed)]
    return "\n".join(lines)


def write(directory: Path) -> Path:
    """Write the include as `directory`/FILENAME and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / FILENAME
    tmp = path.with_name(f".{FILENAME}.{os.getpid()}")
    tmp.write_text(verilog())
    os.replace(tmp, path)        # atomic: a proof running at the same time reads a whole file
    return path


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m formal.regmap_props", description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True, help=f"directory (gets {FILENAME})")
    print(write(ap.parse_args(argv).out))


if __name__ == "__main__":
    main()
