"""sim_models.progress: bars on a terminal's stderr only, never under CI=true, items unchanged."""
from __future__ import annotations

import io

from sim_models import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_bars_follow_the_terminal_and_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr("sys.stderr", Terminal())
    b = progress.bar(range(3), "x")
    assert not b.disable
    b.close()
    monkeypatch.setenv("CI", "true")
    assert progress.bar(range(3), "x").disable
    monkeypatch.delenv("CI")
    monkeypatch.setattr("sys.stderr", io.StringIO())          # a pipe or a log file
    assert progress.bar(range(3), "x").disable


def test_track_and_stages_yield_every_item_and_draw_on_a_terminal(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    err = Terminal()
    monkeypatch.setattr("sys.stderr", err)
    assert list(progress.track([3, 1, 2], "items")) == [3, 1, 2]
    assert list(progress.stages(["read", "synth"], "synth")) == ["read", "synth"]
    assert "items" in err.getvalue() and "synth" in err.getvalue()
    monkeypatch.setattr("sys.stderr", io.StringIO())
    assert list(progress.stages(["a"], "quiet")) == ["a"] and progress.sys.stderr.getvalue() == ""


def test_stages_and_write_keep_stdout_as_print_would(monkeypatch, capsys):
    monkeypatch.delenv("CI", raising=False)
    err = Terminal()
    monkeypatch.setattr("sys.stderr", err)
    with progress.Stages(2, "bench") as s:
        with s.stage("quality"):
            progress.write("quality: done")
        with s.stage("speed"):
            progress.write("speed: done")
    assert capsys.readouterr().out == "quality: done\nspeed: done\n"
    assert "quality" in err.getvalue() and "speed" in err.getvalue()
