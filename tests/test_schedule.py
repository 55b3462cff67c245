"""sim_models.schedule: Schedule.formula() is exact at every position, also where rf_attention's
back ends bind (three or more KV groups below overlap_pos), and attention_latency's shape (one
group alone, pos + 5 for each further group on a free back end, the refill wait) against the
RTL schedule of hdl/rf_attention.v (the unit bench checks every run's latency against it)."""
from __future__ import annotations

import pytest

from conftest import SHAPES
from sim_models.hardware import PHASES
from sim_models.mx import ACT_NAMES, Mx
from sim_models.schedule import (
    ATT_BACK_ENDS,
    ATT_GAP,
    ATT_REFILL,
    PIPELINE,
    Schedule,
    att_lead,
    attention_latency,
    formula_cycles,
    matvec_pipe,
    w2_lead,
)
from sim_models.synthetic import SHAPES as TINYSTORIES

CONFIGS = {**SHAPES, "stories260K": TINYSTORIES["stories260K"], "stories15M": TINYSTORIES["stories15M"]}


@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("lanes", [8, 64])
def test_formula_exact_at_every_position(name: str, lanes: int) -> None:
    cfg = CONFIGS[name]
    sched = Schedule(cfg, lanes)
    f = sched.formula()
    assert [formula_cycles(f, pos) for pos in range(cfg.seq_len)] == [sched.cycles(pos) for pos in range(cfg.seq_len)]
    assert f["below"] == cfg.n_layers * ((cfg.n_kv_heads - 1) // ATT_BACK_ENDS)


@pytest.mark.parametrize("head_size", [8, 16])
@pytest.mark.parametrize("pos", [0, 5, 63])
def test_attention_latency_shape(head_size: int, pos: int) -> None:
    one = 2 * (pos + 1) + PIPELINE["attention"] + head_size
    step = pos + 1 + ATT_GAP
    assert attention_latency(head_size, pos, 1) == one
    assert attention_latency(head_size, pos, 2) == one + step             # two back ends: no wait
    assert attention_latency(head_size, pos, 2, back_ends=1) == one + max(step, pos + 1 + ATT_REFILL + head_size)
    # the third group waits for the first one's back end until the refill, then runs pos + 5 behind
    third = max(2 * step, pos + 1 + ATT_REFILL + head_size)
    assert attention_latency(head_size, pos, 3) == one + third
    assert attention_latency(head_size, pos, 4) == one + third + step
    assert attention_latency(head_size, pos, 4, back_ends=4) == one + 3 * step


@pytest.mark.parametrize("kv_heads", [1, 2, 4])
@pytest.mark.parametrize("pos", [0, 5, 40])
def test_attention_resume_delays_only_the_first_pass_2(kv_heads: int, pos: int) -> None:
    """A resume L cycles after the start moves the first pass 2 to max(pos + 5, L + 1) and everything after
    it with it; seen from the resume, the run is min(L, pos + 4) cycles shorter than one started there."""
    at_start = attention_latency(16, pos, kv_heads)
    for lead in (0, 1, pos + 3, pos + 4, pos + 5, pos + 30):
        assert attention_latency(16, pos, kv_heads, resume=lead) == at_start + max(0, lead + 1 - (pos + 1 + ATT_GAP))
        assert attention_latency(16, pos, kv_heads, resume=lead) - lead == at_start - min(lead, pos + ATT_GAP)


def test_att_lead_is_the_v_rows_stream() -> None:
    """Attention starts ATT_PRE cycles after the last k row and resumes at QKV's end: the v rows between."""
    cfg = CONFIGS["stories260K"]
    assert [att_lead(cfg, lanes) for lanes in (8, 16, 32, 64)] == [cfg.kv_dim * w - 2 for w in (8, 4, 2, 1)]
    for lanes in (8, 64):
        sched = Schedule(cfg, lanes)
        lead = att_lead(cfg, lanes)
        for pos in (0, lead - 4, lead, cfg.seq_len - 1):
            phase = sched.phases(pos)["attention"] // cfg.n_layers
            assert phase == attention_latency(cfg.head_size, pos, cfg.n_kv_heads) + 1 - min(lead, pos + ATT_GAP)


@pytest.mark.parametrize("lanes", [8, 64])
def test_act_format_matvec_latency(lanes: int) -> None:
    """Every activation format has a matvec latency; mx's X stage adds one cycle to each matrix phase
    (the per-layer phases and the classifier) and nothing else."""
    assert all(matvec_pipe(name) >= PIPELINE["matvec"] for name in ACT_NAMES)
    assert matvec_pipe() == PIPELINE["matvec"] and matvec_pipe("mx") == PIPELINE["matvec"] + 1
    cfg = CONFIGS["stories260K"]
    static, mx = Schedule(cfg, lanes), Schedule(cfg, lanes, act=Mx(16))
    for pos in (0, 7):
        assert mx.cycles(pos) - static.cycles(pos) == cfg.n_layers * len(PHASES) + 1
        assert mx.cycles(pos, emit=False) - static.cycles(pos, emit=False) == cfg.n_layers * len(PHASES)


def test_unknown_act_format_latency() -> None:
    with pytest.raises(ValueError, match="activation format 'fp8' has no matvec latency"):
        matvec_pipe("fp8")


def test_mx_w2_lead_ends_at_the_last_gate_block() -> None:
    """mx: W2's early start reads no word of the last gate block before its exponent exists (written with
    the last gate), so the lead is at most that block's first word; static: WORDS_HIDDEN - 1."""
    odd = SHAPES["odd_hidden"]                  # hidden 27: 4 words at LANES 8, one short block of 32
    assert (w2_lead(odd, 8), w2_lead(odd, 8, 32), w2_lead(odd, 8, 16)) == (3, 0, 2)
    assert w2_lead(odd, 32, 16) == 0            # one word holds both blocks
    static, mx = Schedule(odd, 8), Schedule(odd, 8, act=Mx(32))
    assert mx.cycles(0) - static.cycles(0) == odd.n_layers * (len(PHASES) + 3) + 1
    cfg = CONFIGS["stories260K"]                # hidden 172: the last block starts 2 words before the end
    assert all(w2_lead(cfg, lanes, block) == w2_lead(cfg, lanes) for lanes in (8, 16, 32, 64) for block in (16, 32))
