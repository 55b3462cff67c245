"""The static schedule: cycles per token as a function of position and lane count.

The core is statically scheduled, so a forward pass takes a number of cycles that
follows from the model shape, LANES and the position alone. This module is the single
source of that prediction: the compiler writes it into manifest.json, the top-level
testbench checks every token's cycle count against it, and the block-level tests check
each unit's latency against `PIPELINE`.

Phase by phase (hdl/rf_core.v): a phase spends one entry cycle, then the unit sees its
registered start pulse, and the sequencer acts on the done pulse at the next edge, so a
phase whose unit has latency N costs N + 3.

The weight format (docs/arithmetic.md 3a) does not enter: every format reads one ROM word
of LANES weights per cycle and decodes it combinationally in rf_matvec's ROM-read stage, so
cycles per token are the same for int8, int4, mxfp4, nvfp4 and ternary at the same LANES
(tests/test_formats_rtl.py checks every token's count against this prediction per format).
"""
from __future__ import annotations

from dataclasses import dataclass

from .checkpoint import Config
from .hardware import MATRICES, PHASES, mat_shape, phase_shape
from .sampler import effective_top_k

# Fixed latencies of the RTL units (cycles from the start edge to done), and the core's
# own overheads. A pipeline change in the RTL is a change here, and the tests fail until
# both agree.
PIPELINE = {
    "matvec": 9,       # rf_matvec: ROM, ROM output register, products, 2-stage adder tree, accumulate, product, round, shift, saturate
    "rmsnorm": 6,      # rf_rmsnorm: WORDS + 6, WORDS = ceil(dim / norm_lanes(lanes)): the normalize pass alone
                       # (rsqrt lookup, fetch, x * RSQRT, * G, round, shift, saturate); the sum of squares is
                       # accumulated as the residual is written (NORM_SUM_LAT)
    "attention": 35,   # rf_attention, one KV group alone: 2 * (pos + 1) + 35 + head_size (14 pipeline + 17 divider + 4 + normalize)
    "select": 2,       # rf_select greedy: from finish to done (input register stage, pick)
    "sample": 9,       # rf_select sampled: 2 * k + 9 (input register stage, 1 gap + 7 pipeline stages)
    "glue": 4,         # rf_core row glue after every matvec: rf_swiglu's four register stages (the
                       # sequencer acts on the matvec's done 4 cycles late); rf_rope has 1
}
PHASE_OVERHEAD = 3     # entry cycle, registered start pulse, registered done seen by the sequencer
NORM_SUM_LAT = 4       # rf_rmsnorm: a residual write is in the running sum of squares 4 edges later (lanes
                       # register, squares, adder tree, accumulate), so a norm's start pulse must come at least
                       # 4 cycles after the last write (rf_core: the row glue's fin is 3 cycles after it, then
                       # the entry cycle and the registered start; the embedding ends 2 cycles after it)
EMBED_WRITE = 6        # embedding (norm_lanes requant units, a group of elements per cycle): group g is written in
                       # phase cycle g + 6 (address register, ROM latency 2, product, round, shift + saturate)
EMBED_OVERHEAD = EMBED_WRITE + NORM_SUM_LAT - 2   # the phase ends NORM_SUM_LAT - 2 cycles after the last write
ROPE_GEN_OVERHEAD = 3  # rf_rope_gen: a LO and a HI ROM read per pair, then ROM latency, products, round
KV_WRITE = 1           # one cycle to write K and V of this position
DONE = 1               # the cycle that ends a forward pass (position update, counters)
# Seen on the output stream (ready always high): cycles from one token's TVALID to the
# next one's, beyond the forward pass itself (output skid buffer, emit and done states).
IO_NEXT = 1
# rf_lora (the LoRA adapter unit), per phase that has adapter targets:
LORA_PIPE = 8          # pre-pass: start to done is n * R * wpr issue cycles + 8 (SRAM/act register, rf_dot's 3
                       # stages, accumulate, acc * MA, rf_rsr's 2 stages; u written with done)
LORA_START = 2         # the core registers lora start from entry, and the matvec start from pre_done
LORA_STREAM = 9        # y stream delay through the unit (B SRAM read, rf_dot's 3 stages, dot * MB,
                       # rf_rsr's 2 stages, y + delta, saturation)


def attention_latency(head_size: int, pos: int, n_kv_heads: int) -> int:
    """rf_attention from start to done. The KV groups share one set of head units: each group
    makes two passes over pos + 1 rows (4 gap cycles between them), then its divide and
    normalize (the back, pos + 32 + head_size cycles from its pass 2's start until it is free
    again) run while the next group's pass 1 does. A group's pass 2 starts after its own gap
    and once the previous group's back is free."""
    back = pos + 1 + PIPELINE["attention"] - 4 + head_size      # pass 2 start -> back free
    p2 = pos + 5                                                # first group's pass 2 start
    for _ in range(1, n_kv_heads):
        p2 = max(p2 + 2 * (pos + 1) + 4, p2 + back)             # next pass 1 follows this pass 2
    return p2 + back


def rope_gen_cycles(head_size: int) -> int:
    """rf_rope_gen from its start pulse (the embedding's first cycle) until every pair of the
    position is in its table: off the critical path, it must end before the first q/k rotation."""
    return head_size + ROPE_GEN_OVERHEAD


def words(n: int, lanes: int) -> int:
    return -(-n // lanes)


def adapter_cycles(cfg: Config, lanes: int, rank_max: int, targets: tuple[str, ...]) -> int:
    """Extra cycles per layer of a forward pass with the adapter enabled (hdl/rf_lora.v): per phase with
    targets, the pre-pass over the rank rows of each of its targets, the start hand-off and the stream delay."""
    total = 0
    for phase, names in PHASES.items():
        n = sum(m in targets for m in names)
        if n:
            total += n * rank_max * words(phase_shape(cfg, phase)[1], lanes) + LORA_PIPE + LORA_START + LORA_STREAM
    return total


NORM_LANES_MAX = 8     # RMSNorm lanes (and the embedding's requant lanes): its 3 multipliers, 50-bit round and
                       # shift per lane are the core's widest per-lane logic and it runs ceil(dim / lanes) + 9
                       # cycles, 9 times a token


def norm_lanes(lanes: int) -> int:
    """Lanes of rf_rmsnorm for a core of `lanes` MAC lanes: at most NORM_LANES_MAX, and a divisor of
    `lanes` so that its words tile the core's lane-padded vectors."""
    return NORM_LANES_MAX if lanes > NORM_LANES_MAX and lanes % NORM_LANES_MAX == 0 else lanes


@dataclass(frozen=True)
class Schedule:
    cfg: Config
    lanes: int
    # LoRA adapter build and enabled: (maximum rank, core target names); None: no adapter cycles
    adapter: tuple[int, tuple[str, ...]] | None = None

    def __post_init__(self) -> None:
        # rf_rope_gen starts with the embedding; pair f is in its table rope_gen_cycles(2f + 2) cycles later and
        # is first rotated with q row 2f + 1, after the embedding, the attention RMSNorm and 2f + 2 rows of the
        # QKV matvec (a lower bound: its entry and start cycles not counted). A pair takes 2 generation cycles
        # and its two rows at least 2, so pair 0 is the tightest.
        c = self.cfg
        before = self._embed() + self._norm() + PIPELINE["matvec"]
        for f in range(c.head_size // 2):
            if rope_gen_cycles(2 * f + 2) > before + (2 * f + 2) * words(c.dim, self.lanes):
                raise ValueError(f"schedule: RoPE pair {f} is generated {rope_gen_cycles(2 * f + 2)} cycles after the "
                                 f"embedding starts, after its first rotation")

    def _embed(self) -> int:
        """rf_embed: norm_lanes elements per cycle, the ceil(dim / norm_lanes) groups that RMSNorm reads."""
        return words(self.cfg.dim, norm_lanes(self.lanes)) + EMBED_OVERHEAD

    def _matvec(self, rows: int, cols: int) -> int:
        return rows * words(cols, self.lanes) + PIPELINE["matvec"] + PIPELINE["glue"] + PHASE_OVERHEAD

    def _norm(self) -> int:
        return words(self.cfg.dim, norm_lanes(self.lanes)) + PIPELINE["rmsnorm"] + PHASE_OVERHEAD

    def phases(self, pos: int, emit: bool = True, sampled: bool = False, top_k: int = 0) -> dict[str, int]:
        """Cycles of each phase of one forward pass at `pos` (emit: with the output stage)."""
        c = self.cfg
        mv = self._matvec
        per_layer = {
            "rmsnorm": 2 * self._norm(),
            "matvec": sum(mv(*phase_shape(c, phase)) for phase in PHASES),
            "attention": attention_latency(c.head_size, pos, c.n_kv_heads) + PHASE_OVERHEAD + KV_WRITE,
        }
        phases = {k: v * c.n_layers for k, v in per_layer.items()}
        phases["embed"] = self._embed()
        phases["done"] = DONE
        if self.adapter is not None:
            phases["adapter"] = c.n_layers * adapter_cycles(c, self.lanes, *self.adapter)
        if emit:
            phases["rmsnorm"] += self._norm()
            phases["classifier"] = mv(c.vocab_size, c.dim)
            k = effective_top_k(top_k, c.vocab_size)
            phases["select"] = 1 + (2 * k + PIPELINE["sample"] if sampled else PIPELINE["select"])
        return phases

    def cycles(self, pos: int, emit: bool = True, sampled: bool = False, top_k: int = 0) -> int:
        """One forward pass at `pos`: what the LAST_CYCLES register reports (the CYCLES counter
        adds up exactly these)."""
        return sum(self.phases(pos, emit, sampled, top_k).values())

    def token_interval(self, pos: int, sampled: bool = False, top_k: int = 0) -> int:
        """TVALID-to-TVALID cycles for the token produced at `pos` after the previous one
        (ready always high)."""
        return self.cycles(pos, True, sampled, top_k) + IO_NEXT

    def weight_macs(self) -> int:
        c = self.cfg
        per_layer = sum(rows * cols for rows, cols in (mat_shape(c, m) for m in MATRICES))
        return c.n_layers * per_layer + c.vocab_size * c.dim

    def ideal_cycles(self) -> float:
        """Weight MACs per token / lanes: every lane busy every cycle."""
        return self.weight_macs() / self.lanes

    def utilization(self, pos: int) -> float:
        return self.ideal_cycles() / self.cycles(pos)

    def formula(self) -> dict[str, int]:
        """cycles(pos) = base + per_position * (pos + 1) + below * max(0, overlap_pos - pos) for a
        greedy decode step. From overlap_pos on, each extra KV group's divide and normalize hide
        entirely behind the next group's pass 1 (attention_latency); below it, every extra group
        of every layer waits one cycle more per position less."""
        c = self.cfg
        per_position = 2 * c.n_layers * c.n_kv_heads
        overlap_pos = (PIPELINE["attention"] - 4 + c.head_size + 1 - 6) if c.n_kv_heads > 1 else 0
        below = c.n_layers * (c.n_kv_heads - 1)
        base = self.cycles(0) - per_position - below * overlap_pos
        return {"base": base, "per_position": per_position, "overlap_pos": overlap_pos, "below": below}


def formula_cycles(f: dict[str, int], pos: int) -> int:
    """Schedule.formula() evaluated at `pos`."""
    return f["base"] + f["per_position"] * (pos + 1) + f["below"] * max(0, f["overlap_pos"] - pos)
