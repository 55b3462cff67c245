"""tb.runner.build_simulator: a simulator build's output goes to its build.log, and a failed
build names the log and quotes its end (what make sim prints instead of the compiler's lines)."""
from __future__ import annotations

import pytest

from tb.runner import BUILD_LOG_TAIL, BuildError, build_simulator, ensure_simulator

GOOD = "module ok(input wire a, output wire y);\n  assign y = ~a;\nendmodule\n"
BAD = "module broken(input wire a, output wire y);\n  assign y = ~a\n  wire z = nonsense_here;\nendmodule\n"


def build(tmp_path, text: str, top: str, verbose: bool = False) -> None:
    from cocotb_tools.runner import get_runner
    ensure_simulator("icarus")
    src = tmp_path / f"{top}.v"
    src.write_text(text)
    build_simulator(get_runner("icarus"), "icarus", tmp_path / "build", verbose=verbose, sources=[src],
                    hdl_toplevel=top, build_args=["-g2012", "-Wall"], always=True)


def test_quiet_build_writes_its_log(tmp_path, capfd):
    build(tmp_path, GOOD, "ok")
    out, err = capfd.readouterr()
    assert (tmp_path / "build" / "build.log").exists()
    assert (tmp_path / "build" / "sim.vvp").exists()
    assert out == "" and err == ""


def test_failed_build_quotes_the_end_of_its_log(tmp_path):
    with pytest.raises(BuildError) as info:
        build(tmp_path, BAD, "broken")
    log = tmp_path / "build" / "build.log"
    msg = str(info.value)
    assert str(log) in msg and "icarus build of build failed" in msg
    # iverilog's own diagnostic (file and line of the error) is in the message, not only in the log
    assert "broken.v:3" in msg and "broken.v:3" in log.read_text()
    assert len(msg.splitlines()) <= BUILD_LOG_TAIL + 1


def test_verbose_build_prints_instead(tmp_path, capfd):
    with pytest.raises(RuntimeError) as info:
        build(tmp_path, BAD, "broken", verbose=True)
    assert not isinstance(info.value, BuildError)
    out, err = capfd.readouterr()
    assert "broken.v:3" in out + err
    assert not (tmp_path / "build" / "build.log").exists()
