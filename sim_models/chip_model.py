"""Transaction-level model of the whole chip: the token protocol of docs/rtl.md on top of
the golden model. The scoreboard predicts every output beat with it.

    chip = ChipModel(qm)
    chip.configure(budget=16, sample=True, inv_temp=256, top_k=40)
    chip.seed(7)
    beats = chip.prompt([72, 105])          # -> [(token, last), ...]

Register writes reach the core's generation the way the RTL takes them (docs/registers.md):
the settings (budget, sampling, 1/T, top-k, stop) are latched when a prompt's last token is
accepted, and a SEED write reloads the PRNG at that same point. So `configure` and `seed` made
while a prompt is generating apply to the next `prompt` call, exactly as here.

LoRA adapters (sim_models/lora/): `chip.adapter = IntAdapter | None` is what ADAPTER_CTRL.ENABLE and
the adapter SRAM hold. The RTL refuses adapter writes unless the core is idle, so an adapter change
always applies to the next prompt as a whole, exactly as here.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .golden import Adapter, GoldenModel
from .limits import ERROR_TOKEN
from .quantize import QuantModel
from .sampler import Sampler

ERR_TOKEN_RANGE, ERR_CONTEXT_OVERFLOW, ERR_CONTEXT_FULL = 1, 2, 4


@dataclass
class ChipConfig:
    budget: int = 64
    sample: bool = False
    inv_temp: int = 256
    top_k: int = 0
    stop_token: int | None = None


@dataclass
class ChipModel:
    qm: QuantModel
    config: ChipConfig = field(default_factory=ChipConfig)
    errors: int = 0           # sticky error bits the core sets (ERROR register bits 0..2)
    tokens_in: int = 0
    tokens_out: int = 0
    pending_seed: int | None = None   # a SEED write not yet applied (applied by the next prompt)
    adapter: Adapter | None = None    # the enabled LoRA adapter (sim_models.lora.IntAdapter), None: disabled

    def __post_init__(self) -> None:
        self.model = GoldenModel(self.qm)
        self.sampler = Sampler(self.qm.logit_mult, self.qm.logit_shift, self.qm.exp2)

    @property
    def pos(self) -> int:
        return self.model.pos

    def configure(self, **values: object) -> None:
        for key, value in values.items():
            if not hasattr(self.config, key):
                raise AttributeError(f"ChipConfig has no field {key!r}")
            setattr(self.config, key, value)

    def seed(self, seed: int) -> None:
        """A SEED write: the PRNG is reloaded when the next prompt's last token is accepted."""
        self.pending_seed = seed

    def new_sequence(self) -> None:
        self.model.reset()

    def reset(self) -> None:
        """Hardware reset: position 0, default configuration, PRNG seeded with 0, counters 0."""
        self.config = ChipConfig()
        self.adapter = None               # ADAPTER_CTRL.ENABLE resets to 0 (the SRAM keeps its words)
        self.errors = self.tokens_in = self.tokens_out = 0
        self.pending_seed = None
        self.model.reset()
        self.sampler.seed(0)

    def _pick(self, logits) -> int:
        c = self.config
        self.sampler.inv_temp = c.inv_temp if c.sample else 0
        self.sampler.top_k = c.top_k
        return self.sampler.pick(logits)

    def prompt(self, tokens: list[int]) -> list[tuple[int, bool]]:
        """Feed one prompt (TLAST on its last token); return the output beats it causes."""
        cfg, seq_len, vocab = self.config, self.qm.cfg.seq_len, self.qm.cfg.vocab_size
        if self.pending_seed is not None:
            self.sampler.seed(self.pending_seed)
            self.pending_seed = None
        self.tokens_in += len(tokens)
        self.model.adapter = self.adapter
        logits = None
        for tok in tokens:
            bad_token, full = not 0 <= tok < vocab, self.pos >= seq_len
            if bad_token or full:
                # The rest of the prompt is dropped; one error beat answers it.
                self.errors |= ERR_TOKEN_RANGE if bad_token else ERR_CONTEXT_OVERFLOW
                return [(ERROR_TOKEN, True)]
            logits = self.model.forward([tok])[-1]
        if cfg.budget == 0 or logits is None:
            return []
        beats: list[tuple[int, bool]] = []
        while True:
            tok = self._pick(logits)
            stop = cfg.stop_token is not None and tok == cfg.stop_token
            budget_done = len(beats) + 1 >= cfg.budget
            context_done = self.pos >= seq_len
            last = stop or budget_done or context_done
            beats.append((tok, last))
            if last:
                if context_done and not (stop or budget_done):
                    self.errors |= ERR_CONTEXT_FULL
                break
            logits = self.model.forward([tok])[-1]
        self.tokens_out += len(beats)
        return beats
