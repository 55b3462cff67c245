"""The float model against Hugging Face's LlamaForCausalLM, where torch and transformers are installed
(the optional `hf` extra; make test's environment has neither, so these skip there).

Both directions: a directory saved by transformers is read here, and a directory written here is
loaded by transformers; the logits of one token sequence agree to float32 rounding.
"""
from __future__ import annotations

import numpy as np
import pytest

from sim_models.checkpoint import Config, random_checkpoint, read_checkpoint, write_checkpoint
from sim_models.float_model import FloatModel

REASON = "the Hugging Face reference check needs torch and transformers (pip install '.[hf]')"
torch = pytest.importorskip("torch", reason=REASON)
transformers = pytest.importorskip("transformers", reason=REASON)

# GQA, untied, a head size that is not a power of two, RoPE theta and eps other than llama2.c's.
SHAPES = {
    "gqa_untied": Config(dim=48, hidden_dim=100, n_layers=2, n_heads=4, n_kv_heads=2, vocab_size=96, seq_len=64,
                         shared_classifier=False, rope_theta=500000.0, rms_norm_eps=1e-6),
    "mha_tied": Config(dim=32, hidden_dim=72, n_layers=3, n_heads=4, n_kv_heads=4, vocab_size=64, seq_len=32,
                       shared_classifier=True),
}


def hf_logits(model_dir, tokens: np.ndarray) -> np.ndarray:
    model = transformers.LlamaForCausalLM.from_pretrained(str(model_dir), torch_dtype=torch.float32)
    model.eval()
    with torch.no_grad():
        return model(torch.tensor(tokens[None], dtype=torch.long)).logits[0].numpy()


def tokens_for(cfg: Config) -> np.ndarray:
    return np.random.default_rng(0).integers(0, cfg.vocab_size, min(cfg.seq_len, 24))


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_our_directory_in_transformers(tmp_path, name):
    cfg = SHAPES[name]
    ckpt = random_checkpoint(cfg, seed=1)
    write_checkpoint(ckpt, tmp_path / "hf", "hf-llama")
    tokens = tokens_for(cfg)
    ours = FloatModel(ckpt, dtype=np.float64).forward(tokens)
    np.testing.assert_allclose(hf_logits(tmp_path / "hf", tokens), ours, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_transformers_directory_here(tmp_path, name):
    cfg = SHAPES[name]
    hf_cfg = transformers.LlamaConfig(
        vocab_size=cfg.vocab_size, hidden_size=cfg.dim, intermediate_size=cfg.hidden_dim,
        num_hidden_layers=cfg.n_layers, num_attention_heads=cfg.n_heads, num_key_value_heads=cfg.n_kv_heads,
        max_position_embeddings=cfg.seq_len, rms_norm_eps=cfg.rms_norm_eps, rope_theta=cfg.rope_theta,
        tie_word_embeddings=cfg.shared_classifier, hidden_act="silu")
    torch.manual_seed(2)
    model = transformers.LlamaForCausalLM(hf_cfg)
    with torch.no_grad():   # norms away from 1 and larger weights, so a wrong permutation shows
        for p in model.parameters():
            p.normal_(0.0, 0.2) if p.dim() > 1 else p.uniform_(0.5, 1.5)
    model.save_pretrained(str(tmp_path / "saved"), safe_serialization=True)
    ckpt = read_checkpoint(tmp_path / "saved")
    assert ckpt.config == cfg
    tokens = tokens_for(cfg)
    ours = FloatModel(ckpt, dtype=np.float64).forward(tokens)
    np.testing.assert_allclose(hf_logits(tmp_path / "saved", tokens), ours, rtol=1e-4, atol=1e-4)
