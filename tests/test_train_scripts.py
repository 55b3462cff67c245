"""The optional training scripts (torch extra): what they say when their corpus is missing.

Skipped without torch, which `make test` does not install (models/train/requirements-train.txt).
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from conftest import ROOT


def load_script(name: str):
    pytest.importorskip("torch", reason="the training scripts need torch (models/train/requirements-train.txt)")
    spec = importlib.util.spec_from_file_location(name, ROOT / "models" / "train" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_missing_austen_corpus_names_the_file_and_the_package(tmp_path: Path):
    train = load_script("train_byte_llama")
    with pytest.raises(SystemExit) as exc:
        train.build_corpus(tmp_path / "janeaustenr" / "data")
    message = str(exc.value)
    assert str(tmp_path / "janeaustenr" / "data" / "Rdata.rdx") in message
    assert "r-cran-janeaustenr" in message and "--data-dir" in message
