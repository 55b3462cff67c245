"""The static schedule: cycles per token as a function of position and lane count.

The core is statically scheduled, so a forward pass takes a number of cycles that
follows from the model shape, LANES and the position alone. This module is the single
source of that prediction: the compiler writes it into manifest.json, the top-level
testbench checks every token's cycle count against it, and the block-level tests check
each unit's latency against `PIPELINE`.

Phase by phase (hdl/rf_core.v): the next phase's descriptor is registered while a phase runs,
and its unit is started on the edge that sees the running unit's done (its start sampled at
that edge), so a phase whose unit has latency N costs N + PHASE_OVERHEAD (1: the done cycle).
A matrix phase ends with its own row glue's last write (GLUE_LAT, by destination). Attention
starts while QKV streams its v rows (att_lead cycles before QKV ends, with the K row of the
position in the cache) and resumes with the V row as the ATT phase starts. W2's matvec starts
w2_lead cycles before W13's phase ends.

The weight format (docs/arithmetic.md 3a) does not enter: every format reads one ROM word
of LANES weights per cycle and decodes it combinationally in rf_matvec's ROM-read stage, so
cycles per token are the same for int8, int4, mxfp4, nvfp4 and ternary at the same LANES
(tests/test_formats_rtl.py checks every token's count against this prediction per format).
"""
from __future__ import annotations

from dataclasses import dataclass

from .checkpoint import Config
from .hardware import MATRICES, PHASES, mat_shape, phase_shape
from .mx import STATIC, ActFormat
from .sampler import effective_top_k

# Fixed latencies of the RTL units (cycles from the start edge to done), and the core's
# own overheads. A pipeline change in the RTL is a change here, and the tests fail until
# both agree.
PIPELINE = {
    "matvec": 9,       # rf_matvec: ROM, ROM output register, products, 2-stage adder tree, accumulate, product, round, shift, saturate
    "rmsnorm": 6,      # rf_rmsnorm: WORDS + 6, WORDS = ceil(dim / norm_lanes(lanes)): the normalize pass alone
                       # (rsqrt lookup, fetch, x * RSQRT, * G, round, shift, saturate); the sum of squares is
                       # accumulated as the residual is written (NORM_SUM_LAT)
    "attention": 26,   # rf_attention, one KV group alone: 2 * (pos + 1) + 26 + head_size (14 pipeline + 8 divider + 4 + normalize)
    "divider": 8,      # rf_divider: start to done (bit 16 from P at the start, then two quotient bits a cycle)
    "select": 2,       # rf_select greedy: from finish to done (input register stage, pick)
    "sample": 10,      # rf_select sampled: 2 * k + 10 (input register stage, 1 gap + 8 pipeline stages)
    "glue": 5,         # rf_rowglue's longest path, SwiGLU: rf_swiglu's five register stages
}
# rf_matvec's stages beyond PIPELINE["matvec"], by activation format (docs/arithmetic.md 3b, sim_models/mx.py):
# mx shifts each block's partial sum by its exponent in a register stage (X) between the adder tree and
# the accumulator; its elements are formed in the activation register stage, which adds no cycle.
MATVEC_ACT_LAT = {"static": 0, "mx": 1}


def matvec_pipe(act: str = "static") -> int:
    """rf_matvec's MV_PIPE for activation format `act` (a name of sim_models.mx.ACT_FORMATS)."""
    if act not in MATVEC_ACT_LAT:
        raise ValueError(f"schedule: activation format {act!r} has no matvec latency; known: {', '.join(MATVEC_ACT_LAT)}")
    return PIPELINE["matvec"] + MATVEC_ACT_LAT[act]


# rf_rowglue: cycles from a matrix phase's last row (the matvec's done, after rf_lora) to its last
# write, by the phase; the sequencer ends the phase there. QKV: v rows are written as they come
# (q/k pairs, 1 cycle after their odd row, are done before the v rows); WO and W2: the residual's
# register stage; W13: SwiGLU; the classifier: none (rf_select takes the rows).
GLUE_LAT = {"qkv": 0, "wo": 1, "w13": PIPELINE["glue"], "w2": 1, "cls": 0}
PHASE_OVERHEAD = 1     # the cycle in which the sequencer sees a unit's done (the next unit starts at its end)


def w2_lead(cfg: Config, lanes: int, act_block: int = 0) -> int:
    """Cycles by which W2's matvec starts before W13's phase ends (rf_rowglue `early`). W2's row 0
    reads the SwiGLU output word w at the edge w + 1 after its start, so the last word, which holds
    the gate of W13's last row (written as W13 ends), may be read WORDS_HIDDEN - 1 cycles early; at most
    the SwiGLU glue (the matvec is free from W13's done on). With mx blocks of `act_block` inputs
    (0: static) every word of the last block waits for its exponent, written with the last gate: the
    lead is at most the index of the last block's first word. Not with an adapter on W2: its pre-pass
    runs in the W2 phase (adapter_cycles adds the lead back)."""
    last = words(cfg.hidden_dim, lanes) - 1
    if act_block:
        last = (cfg.hidden_dim - 1) // act_block * act_block // lanes
    return min(last, PIPELINE["glue"])


NORM_SUM_LAT = 4       # rf_rmsnorm: a residual write is in the running sum of squares 4 edges later (lanes
                       # register, squares, adder tree, accumulate); the sequencer starts a norm in the cycle
                       # of the vector's last write (the embedding's, WO's or W2's), and rf_rmsnorm holds that
                       # start until the write's squares are in: every norm phase waits NORM_SUM_LAT cycles
EMBED_WRITE = 6        # embedding (norm_lanes requant units, a group of elements per cycle): group g is written in
                       # phase cycle g + 6 (address register, ROM latency 2, product, round, shift + saturate)
EMBED_OVERHEAD = EMBED_WRITE    # the phase ends with its last write
ROPE_GEN_OVERHEAD = 3  # rf_rope_gen: a LO and a HI ROM read per pair, then ROM latency, products, round
DONE = 1               # the cycle that ends a forward pass (position update, counters)
# Seen on the output stream (ready always high): cycles from one token's TVALID to the
# next one's, beyond the forward pass itself (output skid buffer, emit and done states).
IO_NEXT = 1
# rf_lora (the LoRA adapter unit), per phase that has adapter targets:
LORA_PIPE = 8          # pre-pass: start to done is n * R * wpr issue cycles + 8 (SRAM/act register, rf_dot's 3
                       # stages, accumulate, acc * MA, rf_rsr's 2 stages; u written with done)
LORA_START = 1         # the adapter starts on the phase's first edge and the matvec on the edge that sees pre_done
LORA_STREAM = 9        # y stream delay through the unit (B SRAM read, rf_dot's 3 stages, dot * MB,
                       # rf_rsr's 2 stages, y + delta, saturation)


ATT_BACK_ENDS = 2      # rf_attention's back ends (N_BACK): accumulators, P, divider and normalize per slot
ATT_GAP = 4            # rf_attention: cycles between a group's last pass-1 row and its first pass-2 row
ATT_REFILL = PIPELINE["divider"] + 1   # rf_attention: a back end takes a new group's pass 2 from ATT_REFILL +
                       # head_size + 1 cycles after its group's last pass-2 row (the accumulate follows the last shift)


def attention_latency(head_size: int, pos: int, n_kv_heads: int, back_ends: int = ATT_BACK_ENDS,
                      resume: int = 0) -> int:
    """rf_attention from start to done. Each KV group makes two passes over pos + 1 rows: the first
    group's pass 1, a gap of ATT_GAP cycles, then each group's pass 2 with the next group's pass 1
    beside it, a gap after each. The first pass 2 also waits for `resume` (sampled `resume` cycles after
    the start: the V row of the position is in) and starts the cycle after it at the earliest. Group g's
    pass 2 runs on back end g % back_ends and also waits until that back end's previous group has left
    its accumulators; after the last group's pass 2 its divide and normalize end the run (pos + 23 +
    head_size cycles from that pass 2's start)."""
    step = pos + 1 + ATT_GAP                                    # pass 2 start -> next group's pass 2 start
    refill = pos + 1 + ATT_REFILL + head_size                   # ... -> next pass 2 on the same back end
    back = pos + 1 + PIPELINE["attention"] - ATT_GAP + head_size   # pass 2 start -> done
    p2 = [max(pos + 1 + ATT_GAP, resume + 1)]                   # first group's pass 2 start
    for g in range(1, n_kv_heads):
        p2.append(max(p2[g - 1] + step, p2[g - back_ends] + refill if g >= back_ends else 0))
    return p2[-1] + back


ATT_PRE = 2            # rf_core: attention starts 2 cycles after the last k row leaves the matvec (rf_rowglue
                       # writes its rotated pair 1 cycle later; att_pre registers that write)


def att_lead(cfg: Config, lanes: int) -> int:
    """Cycles from attention's start (the K row of the position written) to its resume at the end of the
    QKV phase (the V row written): the v rows' stream, which the first KV group's pass 1 runs beside. A
    resumed run's ATT phase is min(att_lead, pos + 4) cycles shorter than a run started at QKV's end."""
    return cfg.kv_dim * words(cfg.dim, lanes) - ATT_PRE


def rope_gen_cycles(head_size: int) -> int:
    """rf_rope_gen from its start pulse (the embedding's first cycle) until every pair of the
    position is in its table: off the critical path, it must end before the first q/k rotation."""
    return head_size + ROPE_GEN_OVERHEAD


def words(n: int, lanes: int) -> int:
    return -(-n // lanes)


def adapter_cycles(cfg: Config, lanes: int, rank_max: int, targets: tuple[str, ...]) -> int:
    """Extra cycles per layer of a forward pass with the adapter enabled (hdl/rf_lora.v): per phase with
    targets, the pre-pass over the rank rows of each of its targets, the start hand-off and the stream delay
    (and for W2, its early start, w2_lead, forgone)."""
    total = 0
    for phase, names in PHASES.items():
        n = sum(m in targets for m in names)
        if n:
            total += n * rank_max * words(phase_shape(cfg, phase)[1], lanes) + LORA_PIPE + LORA_START + LORA_STREAM
            total += w2_lead(cfg, lanes) if phase == "w2" else 0
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
    act: ActFormat = STATIC    # activation format (sim_models.mx): rf_matvec's latency (matvec_pipe)

    def __post_init__(self) -> None:
        # rf_rope_gen starts with the embedding; pair f is in its table rope_gen_cycles(2f + 2) cycles later and
        # is first rotated with q row 2f + 1, after the embedding, the attention RMSNorm and 2f + 2 rows of the
        # QKV matvec (a lower bound: its entry and start cycles not counted). A pair takes 2 generation cycles
        # and its two rows at least 2, so pair 0 is the tightest.
        c = self.cfg
        before = self._embed() + self._norm() + matvec_pipe(self.act.name)
        for f in range(c.head_size // 2):
            if rope_gen_cycles(2 * f + 2) > before + (2 * f + 2) * words(c.dim, self.lanes):
                raise ValueError(f"schedule: RoPE pair {f} is generated {rope_gen_cycles(2 * f + 2)} cycles after the "
                                 f"embedding starts, after its first rotation")

    def _embed(self) -> int:
        """rf_embed: norm_lanes elements per cycle, the ceil(dim / norm_lanes) groups that RMSNorm reads."""
        return words(self.cfg.dim, norm_lanes(self.lanes)) + EMBED_OVERHEAD

    def _matvec(self, phase: str) -> int:
        rows, cols = (self.cfg.vocab_size, self.cfg.dim) if phase == "cls" else phase_shape(self.cfg, phase)
        lead = w2_lead(self.cfg, self.lanes, self.act.block) if phase == "w2" else 0
        return rows * words(cols, self.lanes) + matvec_pipe(self.act.name) + GLUE_LAT[phase] + PHASE_OVERHEAD - lead

    def _attention(self, pos: int) -> int:
        """The ATT phase: from the resume (QKV's end) to done, and the done cycle."""
        lead = att_lead(self.cfg, self.lanes)
        return attention_latency(self.cfg.head_size, pos, self.cfg.n_kv_heads, resume=lead) - lead + PHASE_OVERHEAD

    def _norm(self) -> int:
        return words(self.cfg.dim, norm_lanes(self.lanes)) + NORM_SUM_LAT + PIPELINE["rmsnorm"] + PHASE_OVERHEAD

    def phases(self, pos: int, emit: bool = True, sampled: bool = False, top_k: int = 0) -> dict[str, int]:
        """Cycles of each phase of one forward pass at `pos` (emit: with the output stage)."""
        c = self.cfg
        mv = self._matvec
        per_layer = {
            "rmsnorm": 2 * self._norm(),
            "matvec": sum(mv(phase) for phase in PHASES),
            "attention": self._attention(pos),
        }
        phases = {k: v * c.n_layers for k, v in per_layer.items()}
        phases["embed"] = self._embed()
        phases["done"] = DONE
        if self.adapter is not None:
            phases["adapter"] = c.n_layers * adapter_cycles(c, self.lanes, *self.adapter)
        if emit:
            phases["rmsnorm"] += self._norm()
            phases["classifier"] = mv("cls")
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
        """cycles(pos) = base + per_position * (pos + 1) + below * max(0, overlap_pos - pos)
        + above * max(0, pos - lead_pos) for a greedy decode step. Per layer, each KV group's pass 2
        grows with the position (attention_latency), and the first group's pass 1 too from lead_pos on,
        where it no longer fits beside QKV's v rows (att_lead); below overlap_pos, every second further
        group (ATT_BACK_ENDS = 2: the shape holds for two back ends) of every layer waits for its back
        end, one cycle more per position less."""
        c = self.cfg
        per_position = c.n_layers * c.n_kv_heads
        below = c.n_layers * ((c.n_kv_heads - 1) // ATT_BACK_ENDS)
        # a back end's refill (pos + 1 + ATT_REFILL + head_size) against two groups' steps (2 (pos + 1 + ATT_GAP))
        overlap_pos = (ATT_REFILL + c.head_size - 1 - 2 * ATT_GAP) if below else 0
        # the first pass 1 and gap (pos + 1 + ATT_GAP cycles) beside the lead, less the resume's cycle
        above, lead_pos = c.n_layers, att_lead(c, self.lanes) - ATT_GAP
        base = self.cycles(0) - per_position - below * overlap_pos - above * max(0, -lead_pos)
        return {"base": base, "per_position": per_position, "overlap_pos": overlap_pos, "below": below,
                "above": above, "lead_pos": lead_pos}


def formula_cycles(f: dict[str, int], pos: int) -> int:
    """Schedule.formula() evaluated at `pos`."""
    return (f["base"] + f["per_position"] * (pos + 1) + f["below"] * max(0, f["overlap_pos"] - pos)
            + f["above"] * max(0, pos - f["lead_pos"]))
