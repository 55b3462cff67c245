"""The embedded model's quality bar and the external checkpoint, end to end in Python."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest

from conftest import EMBEDDED, EXTERNAL, ROOT, needs_external
from sim_models.compiler import compile_checkpoint, load_build, quantize_checkpoint
from sim_models.corpus import text_windows
from sim_models.evaluate import evaluate
from sim_models.generate import int_generate
from sim_models.golden import GoldenModel

HELDOUT = ROOT / "models" / "heldout_austen.txt"


@pytest.fixture(scope="module")
def embedded():
    return quantize_checkpoint(EMBEDDED)


def test_embedded_provenance():
    readme = (ROOT / "models" / "README.md").read_text()
    assert hashlib.sha256(EMBEDDED.read_bytes()).hexdigest() in readme
    assert (ROOT / "models" / "austen_byte.calib.txt").exists() and HELDOUT.exists()


def test_embedded_quality_bar(embedded):
    """int8 vs float on held-out Austen: >= 95% top-1 agreement, loss gap < 0.03 nats/char."""
    ckpt, qm, source = embedded
    assert source == "austen_byte.calib.txt"
    res = evaluate(ckpt, qm, text_windows(HELDOUT, ckpt.config.seq_len + 1))
    assert res.tokens > 12000
    assert res.agreement >= 0.95, res.as_dict()
    assert abs(res.gap) < 0.03, res.as_dict()


def test_embedded_generates_text(embedded):
    _, qm, _ = embedded
    out = int_generate(qm, list(b"It is a truth"), 60, inv_temp=320, top_k=40, seed=1)
    text = bytes(out).decode("ascii")
    assert len(out) == 60 and sum(c.isalpha() or c.isspace() for c in text) > 45


def test_external_compiles_and_generates(tmp_path):
    needs_external()
    man = compile_checkpoint(EXTERNAL, 32, tmp_path)
    assert man["config"]["n_kv_heads"] == 4 and man["config"]["vocab_size"] == 512
    qm = load_build(tmp_path)
    out = int_generate(qm, [1], 30)
    assert len(out) == 30 and all(0 <= t < 512 for t in out)
    gm = GoldenModel(qm)
    tokens = np.array([1] + out[:-1])
    np.testing.assert_array_equal(np.argmax(gm.forward(tokens), axis=-1), out)   # prefill == decode


TRAINED = {"austen_ternary.bin": "ternary", "austen_int4.bin": "int4"}


@pytest.mark.parametrize("name", sorted(TRAINED))
def test_trained_variant_exact_in_its_format(name):
    """A quantization-aware trained checkpoint (models/README.md) stores the quantized weights:
    its format's quantizer reproduces every matrix (u_j * w_eff = the stored fp32 weight)."""
    from sim_models.checkpoint import read_checkpoint
    from sim_models.formats import make_format, quantize_weights
    path = ROOT / "models" / name
    assert hashlib.sha256(path.read_bytes()).hexdigest() in (ROOT / "models" / "README.md").read_text()
    ck = read_checkpoint(path)
    fmt = make_format(TRAINED[name])
    mats = [("tok_emb", ck.weights["tok_emb"])] + [(f"layer {l} {m}", ck.weights[m][l]) for m in
                                                   ("wq", "wk", "wv", "wo", "w1", "w2", "w3") for l in range(ck.config.n_layers)]
    for what, w in mats:
        q = quantize_weights(w, fmt, what)
        np.testing.assert_allclose(q.w_eff * q.u[:, None], w, rtol=2e-6, atol=0, err_msg=what)
