"""The command line: help, every subcommand on a small model, and clear errors."""
from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, SHAPES
from sim_models.checkpoint import random_checkpoint, read_checkpoint, write_checkpoint


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim_models", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "tiny.bin"
    write_checkpoint(random_checkpoint(SHAPES["gqa"], seed=1), path)
    return path


@pytest.mark.parametrize("sub", ["", "compile", "generate", "eval", "sensitivity", "bench", "adapter", "adapter-eval"])
def test_help(sub):
    res = run(*([sub] if sub else []), "--help")
    assert res.returncode == 0 and "usage" in res.stdout


def test_compile_generate_eval(tiny, tmp_path):
    res = run("compile", str(tiny), "--lanes", "8", "--out", str(tmp_path / "b"))
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "b" / "manifest.json").exists()
    res = run("generate", str(tiny), "--tokens", "1,2,3", "--n", "5", "--temperature", "0.9", "--seed", "4")
    assert res.returncode == 0, res.stderr
    ids = [int(t) for t in res.stdout.split()]
    assert len(ids) == 5 and all(0 <= t < 64 for t in ids)
    res = run("generate", str(tiny), "--float", "--tokens", "1", "--n", "3")
    assert res.returncode == 0 and len(res.stdout.split()) == 3
    res = run("eval", str(tiny), "--json")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert 0 <= report["agreement"] <= 1 and report["tokens"] > 0


def test_eval_against_a_reference_float_model(tiny, tmp_path):
    # eval --reference: the integer model judged against another float model of the same vocabulary,
    # with the two float models' own agreement (the ceiling); the model against itself agrees fully
    res = run("eval", str(tiny), "--json", "--reference", str(tiny))
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    ref = report["reference"]
    assert ref["float_agreement"] == 1.0
    assert {k: ref[k] for k in ("float_loss", "int_loss", "agreement")} == \
        {k: report[k] for k in ("float_loss", "int_loss", "agreement")}
    other = tmp_path / "other.bin"
    # random shared-classifier models predict their input token; a separate classifier does not
    write_checkpoint(random_checkpoint(dataclasses.replace(SHAPES["gqa"], shared_classifier=False), seed=2), other)
    ref = json.loads(run("eval", str(tiny), "--json", "--reference", str(other)).stdout)["reference"]
    assert ref["float_agreement"] < 1.0 and ref["float_loss"] != report["float_loss"]
    wide = tmp_path / "wide.bin"
    write_checkpoint(random_checkpoint(SHAPES["mha"], seed=2), wide)
    res = run("eval", str(tiny), "--reference", str(wide))   # vocabulary 48 against 64: a clear error
    assert res.returncode != 0 and str(wide) in res.stderr and "vocab_size" in res.stderr


def test_bad_checkpoint_exit_code(tmp_path):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"\x01\x00")
    res = run("generate", str(bad), "--n", "2")
    assert res.returncode == 2 and str(bad) in res.stderr and "header" in res.stderr


def test_bad_tokens_argument(tiny):
    res = run("generate", str(tiny), "--tokens", "1,x")
    assert res.returncode != 0 and "--tokens" in res.stderr


def test_token_out_of_range(tiny):
    res = run("generate", str(tiny), "--tokens", "999", "--n", "2")
    assert res.returncode == 2 and "out of range" in res.stderr


def test_removed_int_flag_is_an_error(tiny):
    # the integer golden model is the default; a --int flag that did nothing is gone
    res = run("generate", str(tiny), "--int", "--tokens", "1", "--n", "2")
    assert res.returncode == 2 and "unrecognized arguments: --int" in res.stderr


@pytest.mark.parametrize("args, message", [
    (("generate", "--float", "--format", "int4", "--tokens", "1", "--n", "2"), "--float runs the checkpoint's float"),
    (("eval", "--max-tokens", "100"), "--max-tokens limits --text"),
])
def test_options_without_effect_are_refused(tiny, args, message):
    res = run(args[0], str(tiny), *args[1:])
    assert res.returncode != 0 and message in res.stderr and res.stdout == ""


def test_seed_with_text_is_refused(tmp_path):
    text = tmp_path / "text.txt"
    text.write_text("It is a truth universally acknowledged. " * 20)
    res = run("eval", str(ROOT / "models" / "austen_byte.bin"), "--text", str(text), "--seed", "3")
    assert res.returncode != 0 and "--seed" in res.stderr and "no effect with --text" in res.stderr


def test_debug_keeps_the_traceback(tmp_path):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"\x01\x00")
    res = run("generate", str(bad), "--n", "2")
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "--debug" in res.stderr
    for args in (("--debug", "generate", str(bad)), ("generate", str(bad), "--debug")):
        res = run(*args, "--n", "2")
        assert res.returncode == 1 and "Traceback (most recent call last)" in res.stderr
        assert "CheckpointError" in res.stderr and str(bad) in res.stderr


def test_no_progress_output_off_a_terminal(tiny):
    # progress bars go to stderr on a terminal only: captured, stdout is the JSON and stderr is empty
    res = run("eval", str(tiny), "--json")
    assert res.returncode == 0 and res.stderr == ""
    assert json.loads(res.stdout)["tokens"] > 0


def test_convert_between_every_format(tiny, tmp_path):
    """convert writes each format; reading it back gives the source's config and weights (exactly for the
    float formats, within Q8_0's rounding for v2), and v0 -> hf -> v0 reproduces the file byte for byte."""
    src = read_checkpoint(tiny)
    assert run("convert", "--help").returncode == 0
    for to, fmt in (("v0", "llama2c-v0"), ("v1", "llama2c-v1"), ("v2", "llama2c-v2"), ("hf", "hf-llama")):
        dst = tmp_path / f"tiny-{to}" if to == "hf" else tmp_path / f"tiny-{to}.bin"
        res = run("convert", str(tiny), str(dst), "--to", to)
        assert res.returncode == 0, res.stderr
        assert fmt in res.stdout and "llama2c-v0" in res.stdout
        got = read_checkpoint(dst)
        assert got.source_format == fmt and got.config == src.config
        for name in src.config.weight_shapes():
            w = src.weights[name]
            if to == "v2" and not name.startswith("rms"):   # Q8_0: half a step of 1/127 of the group max
                assert np.allclose(got.weights[name], w, atol=np.abs(w).max() / 254 * 1.001, rtol=0), name
            else:
                assert np.array_equal(got.weights[name], w), name
    back = tmp_path / "back.bin"
    assert run("convert", str(tmp_path / "tiny-hf"), str(back), "--to", "v0").returncode == 0
    assert back.read_bytes() == tiny.read_bytes()


def test_convert_errors_name_the_problem(tiny, tmp_path):
    res = run("convert", str(tmp_path / "missing.bin"), str(tmp_path / "out.bin"), "--to", "v1")
    assert res.returncode == 2 and "missing.bin" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out.bin").exists()
    res = run("convert", str(tiny), str(tmp_path / "out.bin"), "--to", "gguf")
    assert res.returncode == 2 and "--to" in res.stderr and "gguf" in res.stderr


# --act mx (sim_models/mx.py): eval and compile take it; bad options are refused by name
def test_cli_eval_and_compile_mx(tiny, tmp_path):
    res = run("eval", str(tiny), "--act", "mx", "--act-block", "16", "--json")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["act"]["name"] == "mx" and report["act"]["block"] == 16 and report["tokens"] > 0
    res = run("compile", str(tiny), "--lanes", "8", "--out", str(tmp_path / "b"), "--act", "mx")
    assert res.returncode == 0 and "activations mx B32" in res.stdout, res.stderr
    assert json.loads((tmp_path / "b" / "manifest.json").read_text())["act"]["block"] == 32


@pytest.mark.parametrize("args, message", [
    (("eval", "--act", "int8"), "--act: unknown activation format 'int8'"),
    (("eval", "--act", "mx", "--act-block", "64"), "--act-block: 64 is not one of 16, 32"),
    (("eval", "--act-block", "16"), "--act-block 16: applies to --act mx only"),
    (("generate", "--float", "--act", "mx", "--tokens", "1", "--n", "2"), "--act/--act-block choose the integer"),
])
def test_cli_bad_act_options(tiny, args, message):
    res = run(args[0], str(tiny), *args[1:])
    assert res.returncode != 0 and message in res.stderr and res.stdout == ""
