"""One reset inverter per register in the ECP5 netlist (make synth, scripts/timing_probe.py).

The RTL's registers reset synchronously on `!rst_n`. synth_ecp5 legalises each such flip-flop with an
inverter of its own, and abc maps every inverter to a LUT: each flip-flop of a reset-and-enable register
then has an LSR net of its own, and an ECP5 tile takes flip-flops of one LSR net only (the static LANES 16
build: 4,674 LSR nets for 20,488 flip-flops; with `--act mx`, 6,555, where nextpnr's placer could not
legalise the placement). Merging all the identical inverters instead (yosys opt_merge) gives one net
from one LUT to every reset flip-flop on the die, which nextpnr-ecp5 routes in general fabric (it puts
only clocks on the global network), and router2 then stalled in congestion.

Here the flip-flops whose LSR is an inverter of the same signal and that share a clock enable (one
register, placed together) take one inverter, the first; the others are deleted. Flip-flops without an
enable keep theirs: the pipeline tags of every block, they would make one net across the die again (615
flip-flops in the static LANES 16 build). The logic is the same: each flip-flop's LSR is still NOT of
the same net.
"""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

CONSTANTS = ("0", "1", "x", "z")


def inverted_input(cell: dict) -> object | None:
    """The signal bit a LUT4 inverts, or None: one non-constant input, Z = NOT that input."""
    if cell["type"] != "LUT4":
        return None
    ins = {p: cell["connections"][p][0] for p in "ABCD" if cell["connections"].get(p)}
    var = [p for p, b in ins.items() if b not in CONSTANTS]
    if len(var) != 1:
        return None
    init = cell["parameters"]["INIT"]
    init = init if isinstance(init, str) else format(int(init), "016b")
    lsb_first = init[::-1]

    def z(v: int) -> str:
        idx = sum((v if p == var[0] else int(ins.get(p, "0") == "1")) << i for i, p in enumerate("ABCD"))
        return lsb_first[idx]
    return ins[var[0]] if (z(0), z(1)) == ("1", "0") else None


def share_reset_inverters(netlist: Path, top: str) -> dict[str, int]:
    """Rewrite `netlist` (yosys write_json) so that the flip-flops of one register (same clock enable)
    share one LSR inverter; returns the counts before and after."""
    try:
        design = json.loads(netlist.read_text())
        module = design["modules"][top]
        cells = module["cells"]
    except (OSError, ValueError, KeyError) as exc:
        raise SystemExit(f"make synth: {netlist}: no module {top!r} in a yosys JSON netlist ({exc})") from None
    driver = {}
    for name, cell in cells.items():
        for port, bits in cell["connections"].items():
            if cell.get("port_directions", {}).get(port) == "output":
                for b in bits:
                    driver[b] = name
    ffs = [c for c in cells.values() if c["type"] == "TRELLIS_FF"]
    lsr_before = {c["connections"]["LSR"][0] for c in ffs if c["connections"].get("LSR")}
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for ff in ffs:
        lsr = ff["connections"].get("LSR", [None])[0]
        src = inverted_input(cells[driver[lsr]]) if lsr in driver else None
        ce = ff["connections"].get("CE", ["1"])[0]
        if src is not None and ce not in CONSTANTS:
            groups[(src, ce, ff["connections"]["CLK"][0])].append(ff)
    inverters = {ff["connections"]["LSR"][0] for members in groups.values() for ff in members}
    for members in groups.values():
        shared = members[0]["connections"]["LSR"]
        for ff in members[1:]:
            ff["connections"]["LSR"] = list(shared)
    used = set()
    for cell in cells.values():
        for port, bits in cell["connections"].items():
            if cell.get("port_directions", {}).get(port) != "output":
                used.update(bits)
    for port in module.get("ports", {}).values():
        if port.get("direction") != "input":
            used.update(port["bits"])
    removed = [driver[b] for b in inverters if b not in used]
    for name in removed:
        del cells[name]
    netlist.write_text(json.dumps(design))
    lsr_after = {c["connections"]["LSR"][0] for c in ffs if c["connections"].get("LSR")}
    return {"flip_flops": len(ffs), "reset_inverters_before": len(inverters),
            "reset_inverters_after": len(inverters) - len(removed), "luts_removed": len(removed),
            "lsr_nets_before": len(lsr_before), "lsr_nets_after": len(lsr_after)}
