"""Functional coverage (cocotb-coverage 2.0) of what the DUT did, sampled from the passive
monitors: prompt lengths and input idle gaps (input monitor), output stalls, token values and
TLAST (output monitor), positions and sampling modes of beats that matched the prediction
(comparator), register accesses and responses (AXI4-Lite monitor), error cases, LoRA adapter operations
(adapter monitor: load, readback, checksum, enable, disable, refusals and bad accesses) and the tokens
generated with the adapter off, on, and on after a swap to another image (comparator).

Crosses (CROSSES, cocotb-coverage CoverCross over axes of their own; each bin is a tuple of axis bins):

    generation      sampling mode x prompt length class x output stall class, per matched token
    error_state     error case x core state when its cause reached the pins (comparator, bus, reset)
    write_state     writable register x core state at the write (every write, accepted or refused)
    adapter_format  weight format x adapter off / on, per matched token (also sampled by the LoRA
                    top-level bench, tb/unit/test_rf_lora_top.py, on builds of every format)

Core state (Scoreboard.phase, from the monitors and the schedule): "prompt" while a prompt is being
received (its first beat seen, TLAST not yet), "generating" from a prompt's TLAST while its response is
in flight (predicted beats not all delivered, or forward passes still due), "idle" when neither is and
the core is certainly idle; an instant none of them is certain for is not sampled.

Bins depend on the model (seq_len, vocab), so the cover points are made in build_phase;
each test starts from an empty database and exports build/coverage/<sim>/<test>.{xml,txt}.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import cocotb
from cocotb_coverage.coverage import CoverCross, CoverPoint, coverage_db
from pyuvm import ConfigDB, uvm_component, uvm_subscriber

from sim_models.formats import FORMAT_NAMES
from sim_models.regmap import REGISTERS, RO
from tb.monitors import RegTxn, StreamBeat
from tb.runner import BUILD
from tb.uvm.agents import cfg_get
from tb.uvm.items import AdapterTxn, CheckedBeat, ErrorEvent, PromptItem, RegWrite, reg_name

ROOT = "romformer"
ERROR_CASES = ("TOKEN_RANGE", "CONTEXT_OVERFLOW", "CONTEXT_FULL", "BAD_ADDRESS", "READ_ONLY_WRITE", "ADAPTER_BUSY",
               "RESET")
# Adapter operations seen on the bus (AdapterMonitor): a whole image written (its last word accepted), a
# word read back, ADAPTER_SUM read, ENABLE 0 -> 1 and 1 -> 0 accepted, a CTRL / DATA write refused while
# busy, a DATA write / read past ADAPTER_WORDS, a write to a read-only ADAPTER_* register.
ADAPTER_OPS = ("load", "readback", "checksum", "enable", "disable", "busy_refused", "data_write_out_of_range",
               "data_read_out_of_range", "read_only_write")
# Tokens that matched the prediction: adapter disabled, enabled, enabled with another image than the
# previous adapter-on prompt's (a swap between prompt sequences).
ADAPTER_GENERATION = ("off", "on", "swap")
SAMPLING_MODES = ("greedy", "sampled")
# Observed cycles: input idle gap before a prompt beat (after the previous one), output ready-low
# stall before a token's handshake: none (0), short (1-20), long (21+).
IDLE_PATTERNS = READY_PATTERNS = ("none", "short", "long")


def stretch_class(cycles: int) -> str:
    return "none" if cycles <= 0 else "short" if cycles <= 20 else "long"


# ---- axes of the crosses
# Selection of a token: greedy (SAMPLING off or INV_TEMP 0), sampled over the whole vocabulary (TOP_K 0),
# sampled among the top k.
GEN_MODES = ("greedy", "sampled", "top_k")
# Length of the prompt a token answers: one token, short (2 .. seq_len/4 - 1), long (seq_len/4 and more).
PROMPT_CLASSES = ("one", "short", "long")
CORE_STATES = ("idle", "prompt", "generating")
WRITABLE = tuple(r.name for r in REGISTERS if r.access != RO)
ADAPTER_STATES = ("off", "on")
# cross -> its axes (name, bins), in the order of the tuple a bin is
CROSSES: dict[str, tuple[tuple[str, tuple], ...]] = {
    "generation": (("mode", GEN_MODES), ("prompt_len", PROMPT_CLASSES), ("stall", READY_PATTERNS)),
    "error_state": (("case", ERROR_CASES), ("state", CORE_STATES)),
    "write_state": (("reg", WRITABLE), ("state", CORE_STATES)),
    "adapter_format": (("format", FORMAT_NAMES), ("adapter", ADAPTER_STATES)),
}


def gen_mode(sampled: bool, top_k: int) -> str:
    return "greedy" if not sampled else "top_k" if top_k else "sampled"


def prompt_class(n: int, seq_len: int) -> str:
    return "one" if n <= 1 else "short" if n < max(3, seq_len // 4) else "long"


def cross_name(cross: str) -> str:
    return f"{ROOT}.cross.{cross}"


def cross_bins(cross: str) -> list[str]:
    """The bin labels of a cross as the reports spell them ("('TOKEN_RANGE', 'idle')")."""
    return [str(t) for t in itertools.product(*(bins for _, bins in CROSSES[cross]))]


def make_cross(cross: str) -> Callable[..., None]:
    """A sampler f(*axis values) of the cross (a fresh one: call after clearing ROOT from the database).
    Each axis is a CoverPoint of its own (ROOT.cross_axes.<cross>.<axis>); a value outside an axis's bins
    hits no bin of the cross."""
    axes = CROSSES[cross]

    def sample(*values: object) -> None:
        pass
    # the axes exist before the cross that names them; decorators apply innermost (the cross) first
    points = [CoverPoint(f"{ROOT}.cross_axes.{cross}.{axis}", xf=lambda *v, i=i: v[i], bins=list(bins))
              for i, (axis, bins) in enumerate(axes)]
    f = CoverCross(cross_name(cross), items=[f"{ROOT}.cross_axes.{cross}.{a}" for a, _ in axes])(sample)
    for point in reversed(points):
        f = point(f)
    return f


def cross_holes(cross: str, bins: list[tuple]) -> list[tuple]:
    """Those of `bins` the cross has not hit in this test so far (a directed test checks its targets)."""
    hits = coverage_db[cross_name(cross)].detailed_coverage
    return [b for b in bins if not hits.get(b)]


def clear_database() -> None:
    """A fresh database (several tests share a process)."""
    for key in [k for k in coverage_db if k == ROOT or k.startswith(ROOT + ".")]:
        del coverage_db[key]


def export_reports(test_name: str) -> Path:
    """build/coverage/<sim>/<test_name>.{xml,txt} of everything sampled under ROOT; returns the xml path."""
    sim = "verilator" if "verilator" in (cocotb.SIM_NAME or "").lower() else "icarus"
    out = BUILD / "coverage" / sim / test_name
    out.parent.mkdir(parents=True, exist_ok=True)
    coverage_db.export_to_xml(filename=str(out) + ".xml")
    lines: list[str] = []
    coverage_db.report_coverage(lines.append, bins=True, node=ROOT)
    Path(str(out) + ".txt").write_text("\n".join(lines) + "\n")
    return Path(str(out) + ".xml")

# key -> cover point name under ROOT; ENUM_BINS: the points whose bins do not depend on the model.
POINT_NAMES = {"prompt_len": "stream.prompt_len", "idle": "stream.idle_pattern", "ready": "stream.ready_pattern",
               "pos": "output.position", "value": "output.token_value", "mode": "output.sampling_mode",
               "last": "output.tlast", "reg": "regs.access", "error": "errors.case", "adapter_op": "adapter.op",
               "adapter_gen": "adapter.generation"}
ENUM_BINS = {"stream.idle_pattern": IDLE_PATTERNS, "stream.ready_pattern": READY_PATTERNS,
             "output.sampling_mode": SAMPLING_MODES, "errors.case": ERROR_CASES, "adapter.op": ADAPTER_OPS,
             "adapter.generation": ADAPTER_GENERATION}
# every cover point a plan may name (short names under ROOT) -> its bins when they do not depend on the model
PLANNABLE = {**{n: ENUM_BINS.get(n) for n in POINT_NAMES.values()},
             **{f"cross.{c}": tuple(cross_bins(c)) for c in CROSSES}}


def in_range(x: int, b: tuple[int, int]) -> bool:
    return b[0] <= x <= b[1]


def length_bins(seq_len: int) -> list[tuple[int, int]]:
    """1, 2-3, 4-7, ... up to seq_len, then past it."""
    bins, lo = [(1, 1)], 2
    while lo <= seq_len:
        hi = min(2 * lo - 1, seq_len)
        bins.append((lo, hi))
        lo = hi + 1
    return bins + [(seq_len + 1, 1 << 16)]


def value_bins(vocab: int, n: int = 8) -> list[tuple[int, int]]:
    step = -(-vocab // n)
    return [(lo, min(lo + step, vocab) - 1) for lo in range(0, vocab, step)] + [(0xFFFF, 0xFFFF)]


class Coverage(uvm_component):
    def build_phase(self) -> None:
        self.prompt_export = uvm_subscriber.uvm_AnalysisImp("prompt_export", self, self.write_prompt)
        self.in_beat_export = uvm_subscriber.uvm_AnalysisImp("in_beat_export", self, self.write_in_beat)
        self.out_beat_export = uvm_subscriber.uvm_AnalysisImp("out_beat_export", self, self.write_out_beat)
        self.checked_export = uvm_subscriber.uvm_AnalysisImp("checked_export", self, self.write_checked)
        self.reg_export = uvm_subscriber.uvm_AnalysisImp("reg_export", self, self.write_reg)
        self.error_export = uvm_subscriber.uvm_AnalysisImp("error_export", self, self.write_error)
        self.adapter_export = uvm_subscriber.uvm_AnalysisImp("adapter_export", self, self.write_adapter)
        self.write_export = uvm_subscriber.uvm_AnalysisImp("write_export", self, self.write_write)
        self.last_image = 0             # image id of the last adapter-on prompt whose tokens matched
        qm = ConfigDB().get(self, "", "CHIP").qm
        cfg = qm.cfg
        self.format = qm.fmt.name
        self.test_name = str(cfg_get(self, "TEST_NAME", "test"))
        self.first_of_prompt = True
        clear_database()
        regs = [(r.name, op) for r in REGISTERS for op in ("read", "write")] + [
            ("UNMAPPED", "read"), ("UNMAPPED", "write")]
        seq, vocab = cfg.seq_len, cfg.vocab_size
        points: dict[str, tuple[list, object]] = {   # key -> (bins, relation)
            "prompt_len": (length_bins(seq), in_range),
            "pos": (list(range(seq)), None),
            "value": (value_bins(vocab), in_range),
            "last": ([False, True], None),
            "reg": (regs, None),
            **{k: (list(ENUM_BINS[POINT_NAMES[k]]), None) for k in ("idle", "ready", "mode", "error", "adapter_op",
                                                                     "adapter_gen")},
        }
        self.names = {k: f"{ROOT}.{POINT_NAMES[k]}" for k in points}
        self.samplers = {}
        for key, (bins, rel) in points.items():
            def sample(value: object) -> None:
                pass
            self.samplers[key] = CoverPoint(self.names[key], xf=lambda v: v, rel=rel, bins=bins)(sample)
        self.crosses = {c: make_cross(c) for c in CROSSES}
        self.names.update({f"x_{c}": cross_name(c) for c in CROSSES})
        self.seq_len = seq

    def _sample(self, key: str, value: object) -> None:
        self.samplers[key](value)

    def write_prompt(self, item: PromptItem) -> None:
        self._sample("prompt_len", len(item.tokens))

    def write_in_beat(self, beat: StreamBeat) -> None:
        """Idle gaps inside a prompt (the first beat's gap counts the time between prompts)."""
        if not self.first_of_prompt and beat.gap_cycles is not None:
            self._sample("idle", stretch_class(beat.gap_cycles))
        self.first_of_prompt = beat.last

    def write_out_beat(self, beat: StreamBeat) -> None:
        self._sample("ready", stretch_class(beat.stall_cycles))
        self._sample("value", beat.data)
        self._sample("last", beat.last)

    def write_checked(self, c: CheckedBeat) -> None:
        """Position and mode of a beat the DUT produced exactly as predicted."""
        if c.match and c.expected.data != 0xFFFF:
            e = c.expected
            self._sample("pos", e.pos)
            self._sample("mode", "sampled" if e.sampled else "greedy")
            self.crosses["generation"](gen_mode(e.sampled, e.top_k), prompt_class(e.prompt_len, self.seq_len),
                                       stretch_class(c.actual.stall_cycles))
            self.crosses["adapter_format"](self.format, "on" if e.adapter else "off")
            image = e.adapter
            self._sample("adapter_gen", "on" if image else "off")
            if image and image != self.last_image:
                if self.last_image:
                    self._sample("adapter_gen", "swap")
                self.last_image = image

    def write_reg(self, txn: RegTxn) -> None:
        self._sample("reg", (reg_name(txn.addr), txn.op))

    def write_adapter(self, t: AdapterTxn) -> None:
        ok = t.resp == 0
        op = {"data_write": "load" if ok and t.addr == t.words - 1 else
                            "data_write_out_of_range" if not t.in_range else "busy_refused" if not ok else None,
              "data_read": "readback" if t.in_range else "data_read_out_of_range",
              "sum_read": "checksum", "ro_write": "read_only_write",
              "enable": "enable" if ok else "busy_refused", "disable": "disable" if ok else "busy_refused",
              "ctrl_write": None if ok else "busy_refused"}.get(t.kind)
        if op:
            self._sample("adapter_op", op)

    def write_error(self, e: ErrorEvent) -> None:
        self._sample("error", e.case)
        if e.state:
            self.crosses["error_state"](e.case, e.state)

    def write_write(self, w: RegWrite) -> None:
        self.crosses["write_state"](w.reg, w.state)

    def report_phase(self) -> None:
        out = export_reports(self.test_name).with_suffix("")
        parts = ", ".join(f"{k} {coverage_db[n].cover_percentage:.0f}%" for k, n in self.names.items())
        top = coverage_db[ROOT]
        self.logger.info(f"COVERAGE {self.test_name}: {top.cover_percentage:.1f}% ({top.coverage}/{top.size} bins) "
                         f"[{parts}] -> {out}.xml")
