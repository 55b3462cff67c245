"""Fault injection between the monitors and the scoreboard: the transactions are altered as if
the DUT had misbehaved on its pins, to prove that the named check catches it.

    lost_beat     output beat 1 never reported              -> "token"/"tlast"/"cycles"/"missing_beat"
    dup_beat      output beat 1 reported twice              -> "token"/"tlast"/"cycles"/"unexpected_beat"
    wrong_tlast   TLAST of output beat 0 flipped            -> check "tlast"
    wrong_cycles  output beat 2 became valid one cycle late -> check "cycles"
    wrong_reg     read data of a RW register's readback ^ 1 -> check "register_read"

With no fault (the default) the injector passes everything through unchanged.
"""
from __future__ import annotations

import dataclasses

from pyuvm import uvm_analysis_port, uvm_component, uvm_subscriber

from tb.monitors import RegTxn, StreamBeat
from tb.uvm.items import reg_name

# fault -> the checks that may catch it first (a lost beat shifts every later beat: its successor
# may carry the same token, then the TVALID interval or the count at the end catches it).
FAULTS = {"lost_beat": ("token", "tlast", "cycles", "missing_beat"),
          "dup_beat": ("token", "tlast", "cycles", "unexpected_beat"),
          "wrong_tlast": ("tlast",), "wrong_cycles": ("cycles",), "wrong_reg": ("register_read",)}
CLOCK_NS = 10.0


class FaultInjector(uvm_component):
    def __init__(self, name: str, parent: object, fault: str = "") -> None:
        if fault and fault not in FAULTS:
            raise ValueError(f"FAULT must be one of {sorted(FAULTS)}, got {fault!r}")
        self.fault = fault
        super().__init__(name, parent)

    def build_phase(self) -> None:
        self.beat_export = uvm_subscriber.uvm_AnalysisImp("beat_export", self, self.write_beat)
        self.reg_export = uvm_subscriber.uvm_AnalysisImp("reg_export", self, self.write_reg)
        self.beat_ap = uvm_analysis_port("beat_ap", self)
        self.reg_ap = uvm_analysis_port("reg_ap", self)
        self.injected = 0

    def _note(self, what: str) -> None:
        self.injected += 1
        self.logger.warning(f"FAULT {self.fault}: {what}")

    def write_beat(self, beat: StreamBeat) -> None:
        f = self.fault
        if f == "lost_beat" and beat.index == 1:
            self._note(f"beat 1 ({beat.data}) dropped")
            return
        if f == "dup_beat" and beat.index == 1:
            self._note(f"beat 1 ({beat.data}) duplicated")
            self.beat_ap.write(beat)
        if f == "wrong_tlast" and beat.index == 0:
            self._note("TLAST of beat 0 flipped")
            beat = dataclasses.replace(beat, last=not beat.last)
        if f == "wrong_cycles" and beat.index == 2 and beat.gap_cycles is not None:
            self._note("beat 2 one cycle late")
            beat = dataclasses.replace(beat, gap_cycles=beat.gap_cycles + 1, time_ns=beat.time_ns + CLOCK_NS)
        self.beat_ap.write(beat)

    def write_reg(self, txn: RegTxn) -> None:
        if self.fault == "wrong_reg" and txn.op == "read" and reg_name(txn.addr) == "BUDGET" and not self.injected:
            self._note(f"BUDGET read {txn.data:#x} reported as {txn.data ^ 1:#x}")
            txn = dataclasses.replace(txn, data=txn.data ^ 1)
        self.reg_ap.write(txn)
