"""A tiny untrained policy saved once per test session, and the app serving it (FastAPI's test client)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))
from model_helpers import STATS, TASKS, TINY  # noqa: E402

from simplevla.models import PolicyConfig, load_policy, make_policy, save_policy  # noqa: E402

pytest.importorskip("fastapi", reason="the `serve` extra is not installed: pip install -e '.[serve]'")


@pytest.fixture(scope="session")
def tiny_ckpt(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    policy = make_policy(PolicyConfig(**{**TINY, "image_size": 32}), STATS, TASKS)  # the env renders >= 32
    return save_policy(policy, tmp_path_factory.mktemp("serve_policy") / "ckpt")


@pytest.fixture(scope="session")
def tiny_policy(tiny_ckpt):
    return load_policy(tiny_ckpt)
