"""The register map: generated files cannot drift, and the Python register model follows the rules."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim_models import regmap
from sim_models.regmap import BY_NAME, OKAY, REGISTERS, RO, RW, RW1C, RWA, SLVERR, WO, RegisterModel

ROOT = Path(__file__).resolve().parents[1]


def test_committed_files_match_generator() -> None:
    assert (ROOT / "hdl" / "rf_regmap.vh").read_text() == regmap.verilog(), \
        "hdl/rf_regmap.vh is stale: python -m sim_models.regmap --verilog hdl/rf_regmap.vh --markdown docs/registers.md"
    assert (ROOT / "docs" / "registers.md").read_text() == regmap.markdown(), \
        "docs/registers.md is stale: python -m sim_models.regmap --verilog hdl/rf_regmap.vh --markdown docs/registers.md"


def test_cli_writes_both_files(tmp_path: Path) -> None:
    regmap.main(["--verilog", str(tmp_path / "m.vh"), "--markdown", str(tmp_path / "m.md")])
    assert (tmp_path / "m.vh").read_text() == regmap.verilog()
    assert (tmp_path / "m.md").read_text() == regmap.markdown()


def test_verilog_constants_match_the_map() -> None:
    text = regmap.verilog()
    consts = dict(re.findall(r"localparam \S+(?: \S+)? (RF_\w+) = ([^;]+);", text))

    def num(v: str) -> int:
        return int(v[4:], 16) if v.startswith("32'h") else int(v)
    for r in REGISTERS:
        assert num(consts[f"RF_{r.name}_ADDR"]) == r.offset
        if r.reset is not None:
            assert num(consts[f"RF_{r.name}_RESET"]) == r.reset
        for f in r.fields:
            assert num(consts[f"RF_{r.name}_{f.name}_LSB"]) == f.lsb
            assert num(consts[f"RF_{r.name}_{f.name}_MSB"]) == f.msb


def test_map_contents() -> None:
    expected = [("ID", 0x000, RO), ("CONFIG", 0x004, RO), ("CTRL", 0x008, WO), ("STATUS", 0x00C, RO),
                ("BUDGET", 0x010, RW), ("SAMPLING", 0x014, RW), ("INV_TEMP", 0x018, RW), ("TOP_K", 0x01C, RW),
                ("SEED", 0x020, RW), ("STOP", 0x024, RW), ("POSITION", 0x028, RO), ("ERROR", 0x02C, RW1C),
                ("CYCLES_LO", 0x030, RO), ("CYCLES_HI", 0x034, RO), ("TOKENS_IN", 0x038, RO),
                ("TOKENS_OUT", 0x03C, RO), ("LAST_CYCLES", 0x040, RO), ("SEQ_LEN", 0x044, RO),
                    ("ADAPTER_CTRL", 0x048, RWA), ("ADAPTER_ADDR", 0x04C, RWA), ("ADAPTER_DATA", 0x050, RWA),
                    ("ADAPTER_SUM", 0x054, RO), ("ADAPTER_CONFIG", 0x058, RO), ("ADAPTER_WORDS", 0x05C, RO)]
    assert [(r.name, r.offset, r.access) for r in REGISTERS] == expected
    resets = {"ID": 0x524D4652, "CTRL": 0, "BUDGET": 64, "SAMPLING": 0, "INV_TEMP": 256, "TOP_K": 0, "SEED": 0,
              "STOP": 0, "ERROR": 0, "ADAPTER_CTRL": 0, "ADAPTER_ADDR": 0}
    assert {r.name: r.reset for r in REGISTERS if r.reset is not None} == resets
    assert BY_NAME["ID"].reset.to_bytes(4, "big") == b"RMFR"


@pytest.mark.parametrize("bad", [
    dict(name="X", offset=2, access=RW, reset=0, description="", fields=()),
    dict(name="X", offset=0, access="RX", reset=0, description="", fields=()),
    dict(name="X", offset=0, access=RW, reset=0, description="",
         fields=(regmap.Field("A", 3, 0, ""), regmap.Field("B", 4, 3, ""))),
    dict(name="X", offset=0, access=RW, reset=0x10, description="", fields=(regmap.Field("A", 3, 0, ""),)),
])
def test_register_validation(bad: dict) -> None:
    with pytest.raises(ValueError):
        regmap.Register(**bad)


def model() -> RegisterModel:
    return RegisterModel(lanes=32, n_layers=5, vocab=256, seq_len=512)


def test_model_reset_and_live_values() -> None:
    m = model()
    for r in REGISTERS:
        if r.reset is not None:
            assert m.read(r.offset) == (r.reset, OKAY)
    assert m.read(BY_NAME["CONFIG"].offset) == ((256 << 16) | (5 << 8) | 32, OKAY)
    assert m.read(BY_NAME["SEQ_LEN"].offset) == (512, OKAY)
    m.hw.update(busy=1, idle=1, pos=0x1234, cycles=(7 << 32) | 9, tokens_in=3, tokens_out=4, last_cycles=5)
    assert m.read(BY_NAME["STATUS"].offset) == (0b101, OKAY)
    assert m.read(BY_NAME["POSITION"].offset) == (0x1234, OKAY)
    assert m.read(BY_NAME["CYCLES_LO"].offset) == (9, OKAY)
    assert m.read(BY_NAME["CYCLES_HI"].offset) == (7, OKAY)
    assert [m.read(BY_NAME[n].offset)[0] for n in ("TOKENS_IN", "TOKENS_OUT", "LAST_CYCLES")] == [3, 4, 5]


def test_model_access_rules() -> None:
    m = model()
    budget, stop, err = BY_NAME["BUDGET"].offset, BY_NAME["STOP"].offset, BY_NAME["ERROR"].offset
    assert m.write(budget, 0xDEADBEEF) == OKAY and m.read(budget) == (0xBEEF, OKAY)   # bits outside fields: 0
    assert m.write(budget, 0x00001200, strb=0b0010) == OKAY and m.read(budget) == (0x12EF, OKAY)
    assert m.write(stop, 0xFFFFFFFF, strb=0b0100) == OKAY and m.read(stop) == (0x10000, OKAY)
    assert m.value("STOP", "ENABLE") == 1 and m.value("STOP", "TOKEN") == 0
    assert m.write(BY_NAME["ID"].offset, 0) == SLVERR and m.read(err)[0] == 0x10         # READ_ONLY_WRITE
    assert m.read(0x60) == (0, SLVERR) and m.read(err)[0] == 0x18                        # BAD_ADDRESS
    assert m.write(0x100, 1) == SLVERR
    assert m.read(BY_NAME["STATUS"].offset)[0] & 0x8                                      # STATUS.ERROR
    assert m.write(err, 0x10, strb=0b0010) == OKAY and m.read(err)[0] == 0x18             # strobe off: no clear
    assert m.write(err, 0x10) == OKAY and m.read(err)[0] == 0x08
    m.set_errors(0b101)
    assert m.read(err)[0] == 0x0D
    assert m.write(err, 0x1F) == OKAY and m.read(err)[0] == 0
    assert m.write(BY_NAME["CTRL"].offset, 3) == OKAY and m.read(BY_NAME["CTRL"].offset) == (0, OKAY)
    assert m.write(BY_NAME["SEED"].offset, 5, strb=0) == OKAY and m.read(BY_NAME["SEED"].offset) == (0, OKAY)
    assert m.pulses == ["NEW_SEQ", "CLEAR_COUNTERS", "SEED_LOAD"]
    assert m.write(BY_NAME["BUDGET"].offset | 2, 7) == OKAY and m.read(budget) == (7, OKAY)   # bits [1:0] ignored


def test_model_adapter_registers() -> None:
    """ADAPTER_*: writes refused while not idle (ERROR.ADAPTER_BUSY), DATA increments ADDR, out-of-range
    writes SLVERR + BAD_ADDRESS, reads there 0 without incrementing, ADAPTER_SUM follows the image hash."""
    from sim_models.lora import image_hash
    m = RegisterModel(32, 4, 256, 256, adapter_rank=8, adapter_targets=0b101, adapter_words=3)
    a = {n: BY_NAME[n].offset for n in ("ADAPTER_CTRL", "ADAPTER_ADDR", "ADAPTER_DATA", "ADAPTER_SUM",
                                         "ADAPTER_CONFIG", "ADAPTER_WORDS", "ERROR", "CTRL")}
    assert m.read(a["ADAPTER_CONFIG"]) == (0x0508, OKAY) and m.read(a["ADAPTER_WORDS"]) == (3, OKAY)
    assert m.write(a["ADAPTER_CTRL"], 1) == SLVERR and m.read(a["ERROR"])[0] == 0x20    # not idle: refused
    assert m.read(a["ADAPTER_CTRL"]) == (0, OKAY)
    m.hw["idle"] = 1
    assert m.write(a["ADAPTER_CTRL"], 1) == OKAY and m.read(a["ADAPTER_CTRL"]) == (1, OKAY)
    for w in (0x11, 0x22, 0x33):
        assert m.write(a["ADAPTER_DATA"], w, strb=0b0001) == OKAY
    assert m.read(a["ADAPTER_SUM"]) == (image_hash([0x11, 0x22, 0x33]), OKAY)
    assert m.read(a["ADAPTER_ADDR"]) == (3, OKAY)
    assert m.write(a["ADAPTER_DATA"], 5) == SLVERR and m.read(a["ERROR"])[0] == 0x28     # BAD_ADDRESS
    assert m.read(a["ADAPTER_DATA"]) == (0, OKAY) and m.read(a["ADAPTER_ADDR"]) == (3, OKAY)
    assert m.write(a["ADAPTER_ADDR"], 1) == OKAY and m.read(a["ADAPTER_DATA"]) == (0x22, OKAY)
    assert m.read(a["ADAPTER_DATA"]) == (0x33, OKAY) and m.read(a["ADAPTER_ADDR"]) == (3, OKAY)
    m.hw["idle"] = 0
    assert m.write(a["ADAPTER_ADDR"], 0) == OKAY and m.write(a["ADAPTER_DATA"], 9) == SLVERR
    assert m.read(a["ADAPTER_DATA"]) == (0x11, OKAY)                                     # nothing written
    assert m.write(a["CTRL"], 4) == OKAY and m.read(a["ADAPTER_SUM"]) == (0, OKAY)
