"""The static schedule: cycles per token as a function of position and lane count.

The core is statically scheduled, so a token's cycle count follows from the
model shape, the position and LANES alone. This module is the single source of
that prediction: the compiler writes it into manifest.json and the testbench
checks the RTL's cycle counter against it. `PIPELINE` holds the fixed
latencies of each phase; they are part of the RTL contract (docs/schedule.md).
"""
from __future__ import annotations

from dataclasses import dataclass

from .checkpoint import Config

# Fixed per-phase latencies of the RTL (cycles). A change to the RTL pipeline is a
# change here, and the cycle-count tests fail until both agree.
PIPELINE = {
    "embed": 4,       # ROM read + requant of one embedding row
    "rmsnorm": 8,     # sum-of-squares drain, rsqrt lookup, scaling pipeline
    "matvec": 6,      # ROM read, lane multipliers, adder tree, accumulate, requant
    "attention": 24,  # score and value pipelines, restoring divider (17), normalize
    "select": 4,      # argmax/top-k drain and token handshake
    "sample": 6,      # exp lookup and the cumulative pass over top-k candidates
}


def words(n: int, lanes: int) -> int:
    return -(-n // lanes)


@dataclass(frozen=True)
class Schedule:
    cfg: Config
    lanes: int

    def phases(self, pos: int, sampled: bool = False, top_k: int = 0) -> dict[str, int]:
        c, L, P = self.cfg, self.lanes, PIPELINE
        wd, wh = words(c.dim, L), words(c.hidden_dim, L)
        per_layer = {
            "rmsnorm": 2 * (2 * wd + P["rmsnorm"]),
            "matvec": ((c.dim + 2 * c.kv_dim) * wd + P["matvec"]) + (c.dim * wd + P["matvec"])
            + (2 * c.hidden_dim * wd + P["matvec"]) + (c.dim * wh + P["matvec"]),
            "attention": 2 * (pos + 1) + P["attention"],
        }
        phases = {k: v * c.n_layers for k, v in per_layer.items()}
        phases["embed"] = wd + P["embed"]
        phases["rmsnorm"] += 2 * wd + P["rmsnorm"]
        phases["matvec"] += c.vocab_size * wd + P["matvec"]
        phases["select"] = P["select"]
        if sampled:
            from .sampler import effective_top_k
            phases["select"] += 2 * effective_top_k(top_k, c.vocab_size) + P["sample"]
        return phases

    def cycles(self, pos: int, sampled: bool = False, top_k: int = 0) -> int:
        return sum(self.phases(pos, sampled, top_k).values())

    def ideal_cycles(self) -> float:
        """Weight MACs per token / lanes: every lane busy every cycle."""
        return self.weight_macs() / self.lanes

    def weight_macs(self) -> int:
        c = self.cfg
        per_layer = c.dim * (c.dim + 2 * c.kv_dim) + c.dim * c.dim + 3 * c.dim * c.hidden_dim
        return c.n_layers * per_layer + c.vocab_size * c.dim

    def utilization(self, pos: int) -> float:
        return self.ideal_cycles() / self.cycles(pos)

    def formula(self) -> dict[str, int]:
        """cycles(pos) = base + per_position * (pos + 1) for greedy decoding."""
        per_position = 2 * self.cfg.n_layers
        return {"base": self.cycles(0) - per_position, "per_position": per_position}
