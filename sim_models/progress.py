"""Progress bars for long work (calibration, quantization, evaluation, bench and synth stages).

Bars are tqdm's, written to stderr, and shown only when stderr is a terminal and CI is not
set (CI=true): pipes, logs, tests and CI see nothing, and stdout (what scripts and tests
parse) never changes. A bar that finishes is erased (leave=False) unless it is asked to stay.
"""
from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")
_TRUE = ("1", "true", "yes", "on")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in _TRUE


def bar(iterable: Iterable[T] | None = None, desc: str = "", *, total: int | None = None, unit: str = "it",
        leave: bool = False) -> tqdm:
    """A tqdm bar on stderr: disabled under CI=true, and (tqdm's disable=None) when stderr is not a terminal."""
    return tqdm(iterable, desc=desc, total=total, unit=unit, leave=leave, file=sys.stderr,
                disable=True if in_ci() else None, dynamic_ncols=True)


def track(iterable: Iterable[T], desc: str, *, total: int | None = None, unit: str = "it") -> Iterator[T]:
    """Iterate with a bar (the items unchanged)."""
    return iter(bar(iterable, desc, total=total, unit=unit))


@contextmanager
def ticking(b: tqdm, every_s: float = 1.0):
    """Refresh `b` every `every_s` seconds while the block runs, so its elapsed time moves during
    one long step (a subprocess, a simulation) that gives no progress of its own."""
    if b.disable:
        yield b
        return
    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(every_s):
            b.refresh()

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield b
    finally:
        stop.set()
        thread.join()


def write(message: str) -> None:
    """print() to stdout that first clears and then redraws the bars on the terminal (the same
    text as print: stdout's contents never depend on the bars)."""
    tqdm.write(message, file=sys.stdout)


class Stages:
    """One bar over a known number of named stages of unknown length each (a synthesis run, a
    simulation, a measurement): the current stage's name beside it, the elapsed time ticking
    while it runs. Use `with Stages(n, desc) as s:` and `with s.stage(name): ...`."""

    def __init__(self, total: int, desc: str, unit: str = "stage") -> None:
        self.bar = bar(total=total, desc=desc, unit=unit)

    @contextmanager
    def stage(self, name: str):
        self.bar.set_postfix_str(name, refresh=True)
        with ticking(self.bar):
            yield
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()

    def __enter__(self) -> Stages:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def stages(names: Iterable[str], desc: str, *, unit: str = "stage") -> Iterator[str]:
    """Iterate over named stages with a Stages bar (the loop body is the stage)."""
    names = list(names)
    with Stages(len(names), desc, unit) as s:
        for name in names:
            with s.stage(name):
                yield name
