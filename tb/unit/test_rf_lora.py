"""rf_lora (through tb/unit/rf_lora_tb.v) against sim_models.lora (lora_u / lora_add on the decoded image).

The adapter image comes from the JSON named by $RF_LORA_DATA (written by tests/test_lora_rtl.py: a
random integer adapter of the build's shape). Checks, bit for bit and cycle for cycle:
* every SRAM word written over the bus port reads back;
* per layer and phase: `active` exactly when an enabled phase has a built target; pre_done exactly
  n_targets * RANK * wpr + LORA_PIPE cycles after start; every row of the stream comes out LORA_STREAM
  cycles after it went in, with y + B u (golden) on targeted rows and y unchanged on the others;
  done delayed by the same LORA_STREAM;
* disabled: the stream is a wire (outputs equal inputs in the same cycle), `active` low.
"""
from __future__ import annotations

import json
import os
import random
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

from sim_models.checkpoint import Config
from sim_models.lora import LORA_PIPE, LORA_STREAM, PHASES, from_image, lora_add, lora_u, mat_shape
from sim_models.schedule import words
from tb.unit.common import hold_reset

INPUTS = ("bus_addr", "bus_we", "bus_wdata", "enable", "ph_valid", "ph_kind", "layer", "start", "act_flat",
          "y_valid_i", "y_row_i", "y_data_i", "done_i")
KINDS = ("qkv", "wo", "w13", "w2")


async def cycle(dut) -> None:
    """Advance to the next falling edge (inputs are driven there, outputs sampled before the rising edge)."""
    await FallingEdge(dut.clk)


def phase_rows(cfg: Config, kind: str) -> list[tuple[str, int]]:
    """The matvec row stream of a phase as (matrix, row of that matrix), in stream order."""
    if kind == "qkv":
        return [("wq", j) for j in range(cfg.dim)] + [("wk", j) for j in range(cfg.kv_dim)] + \
               [("wv", j) for j in range(cfg.kv_dim)]
    if kind == "w13":
        return [(m, j) for j in range(cfg.hidden_dim) for m in ("w1", "w3")]
    return [(PHASES[kind][0], j) for j in range(mat_shape(cfg, PHASES[kind][0])[0])]


@cocotb.test()
async def lora_unit(dut) -> None:
    spec = json.loads(Path(os.environ["RF_LORA_DATA"]).read_text())
    cfg = Config(**spec["config"])
    lanes, R, targets = spec["lanes"], spec["rank_max"], tuple(spec["targets"])
    img = np.array(spec["image"], np.int64)
    ia = from_image(cfg, lanes, R, targets, img)
    rng = random.Random(int(os.environ.get("RANDOM_SEED", "1")))
    maxw = int(dut.MAXW.value)
    Clock(dut.clk, 10, unit="ns").start()
    await hold_reset(dut, INPUTS)
    await cycle(dut)

    # ---- load over the bus port, one word per cycle, then read every word back
    for i, w in enumerate(img.tolist()):
        dut.bus_addr.value, dut.bus_wdata.value, dut.bus_we.value = i, int(w), 1
        await cycle(dut)
    dut.bus_we.value = 0
    for i, w in enumerate(img.tolist()):
        dut.bus_addr.value = i
        await RisingEdge(dut.clk)
        await ReadOnly()
        assert int(dut.bus_rdata.value) == int(w), f"readback word {i}: {int(dut.bus_rdata.value):#x} != {w:#x}"
        await cycle(dut)

    checked_rows = 0
    for layer in range(cfg.n_layers):
        for kind_idx, kind in enumerate(KINDS):
            built = [m for m in PHASES[kind] if m in targets]
            cols = cfg.hidden_dim if kind == "w2" else cfg.dim
            wpr = words(cols, lanes)
            act = np.array([rng.randint(-128, 127) for _ in range(wpr * lanes)], np.int64)
            act_lanes = act.copy()
            act[cols:] = 0                      # the golden model sees the row only; padding lanes hold junk
            flat = 0
            for i, v in enumerate(act_lanes.tolist()):
                flat |= (v & 0xFF) << (8 * i)
            for i in range(wpr * lanes, maxw * lanes):
                flat |= rng.randint(0, 255) << (8 * i)    # junk past the row
            dut.act_flat.value = flat
            dut.layer.value, dut.ph_kind.value, dut.ph_valid.value = layer, kind_idx, 1
            for enable in (0, 1):
                dut.enable.value = enable
                await ReadOnly()
                want_active = bool(enable and built)
                assert int(dut.active.value) == want_active, f"layer {layer} {kind} enable {enable}: active"
                await cycle(dut)
                if not want_active:
                    # a wire: outputs follow the inputs in the same cycle
                    for _ in range(3):
                        row, val = rng.randint(0, 100), rng.randint(-32768, 32767)
                        dut.y_valid_i.value, dut.y_row_i.value, dut.y_data_i.value = 1, row, val & 0xFFFF
                        dut.done_i.value = rng.randint(0, 1)
                        await ReadOnly()
                        assert int(dut.y_valid_o.value) == 1 and int(dut.y_row_o.value) == row
                        assert dut.y_data_o.value.to_signed() == val and int(dut.done_o.value) == int(dut.done_i.value)
                        await cycle(dut)
                    dut.y_valid_i.value, dut.done_i.value = 0, 0
                    continue
                # ---- pre-pass
                dut.start.value = 1
                await RisingEdge(dut.clk)          # edge 0: start sampled
                await cycle(dut)
                dut.start.value = 0
                latency = 0
                while True:
                    await RisingEdge(dut.clk)
                    latency += 1
                    await ReadOnly()
                    if int(dut.pre_done.value):
                        break
                    assert latency < 10_000, "pre_done never came"
                want = len(built) * R * wpr + LORA_PIPE
                assert latency == want, f"layer {layer} {kind}: pre_done after {latency} cycles, schedule says {want}"
                await cycle(dut)
                # ---- golden
                u = {m: lora_u(act[None, :cols], ia.layers[layer][m].a8, ia.layers[layer][m].a_mult,
                               ia.layers[layer][m].a_shift) for m in built}
                stream = phase_rows(cfg, kind)
                bits = 16 if kind in ("wo", "w2") else 8
                y_in = np.array([rng.randint(-(1 << (bits - 1)), (1 << (bits - 1)) - 1) for _ in stream], np.int64)
                expected = y_in.copy()
                for m in built:
                    idx = [i for i, (mm, _) in enumerate(stream) if mm == m]
                    q = ia.layers[layer][m]
                    expected[idx] = lora_add(y_in[idx][None, :], u[m], q.b8, q.b_mult, q.b_shift, q.out_bits)[0]
                # ---- stream rows with random gaps; collect outputs
                sent: list[int] = []        # cycle of each row
                got: list[tuple[int, int, int]] = []
                done_in = done_out = -1
                t = 0
                i = 0
                while i < len(stream) or t <= max(sent + [done_in]) + LORA_STREAM + 1:
                    if i < len(stream) and (rng.random() < 0.7 or t % 5 == 0):
                        dut.y_valid_i.value, dut.y_row_i.value = 1, i
                        dut.y_data_i.value = int(y_in[i]) & 0xFFFF
                        sent.append(t)
                        i += 1
                    else:
                        dut.y_valid_i.value = 0
                    is_done = i == len(stream) and done_in < 0 and not int(dut.y_valid_i.value)
                    dut.done_i.value = int(is_done)
                    if is_done:
                        done_in = t
                    await ReadOnly()
                    if int(dut.y_valid_o.value):
                        got.append((t, int(dut.y_row_o.value), dut.y_data_o.value.to_signed()))
                    if int(dut.done_o.value):
                        assert done_out < 0, "two done pulses"
                        done_out = t
                    await cycle(dut)
                    t += 1
                dut.y_valid_i.value, dut.done_i.value = 0, 0
                assert [r for _, r, _ in got] == list(range(len(stream))), f"layer {layer} {kind}: rows out of order"
                for (tt, r, v), ts in zip(got, sent):
                    assert tt == ts + LORA_STREAM, f"layer {layer} {kind} row {r}: out at {tt}, in at {ts}"
                    assert v == expected[r], (f"layer {layer} {kind} row {r} ({stream[r][0]}[{stream[r][1]}]): "
                                              f"RTL {v} != golden {expected[r]} (y {y_in[r]})")
                assert done_out == done_in + LORA_STREAM, f"done out at {done_out}, in at {done_in}"
                checked_rows += len(stream)
    dut._log.info(f"rf_lora: {img.size} words read back, {checked_rows} rows checked against the golden LoRA term")
    assert checked_rows > 0
