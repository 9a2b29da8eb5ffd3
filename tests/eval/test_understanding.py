"""Understood apart from done: the parse head learns the grammar's labels, and eval_info.json's
`understanding` figures match hand-made episodes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))
from model_helpers import STATS, TINY, make_batch  # noqa: E402

from simplevla import keys  # noqa: E402
from simplevla.envs.tabletop import reading  # noqa: E402
from simplevla.eval.closed_loop import evaluate  # noqa: E402
from simplevla.eval.metrics import add_understanding, understanding  # noqa: E402
from simplevla.models import PolicyConfig, make_policy  # noqa: E402


def _ep(understood: bool, success: bool, instruction: str = "push the red circle left") -> dict:
    return {
        "family": "push_direction",
        "instruction": instruction,
        "understood": understood,
        "success": success,
    }


def test_understanding_counts_hand_made_episodes():
    eps = [_ep(True, True), _ep(True, False), _ep(False, False), _ep(False, True), _ep(True, True)]
    u = understanding(eps)
    assert (u["understood"]["n_success"], u["understood"]["n_episodes"]) == (3, 5)
    assert (u["success_if_understood"]["n_success"], u["success_if_understood"]["n_episodes"]) == (2, 3)
    assert (u["success_if_misunderstood"]["n_success"], u["success_if_misunderstood"]["n_episodes"]) == (1, 2)
    assert understanding([{"success": True}]) is None  # no parse head: no figures


def test_understanding_by_held_out_part():
    eps = [
        _ep(True, True, "shove the red circle left"),  # unseen verb
        _ep(False, False, "push the crimson circle left"),  # unseen colour
        _ep(True, False, "i want the red circle moved left"),  # only the template is new
    ]
    info = {"per_part": {}}
    add_understanding(info, eps, "family")
    parts = info["understanding"]["per_part"]
    assert parts["slot.verb"]["understood"]["n_success"] == 1
    assert parts["slot.colour"]["understood"]["n_success"] == 0
    assert parts["template_only"]["success_if_understood"]["n_episodes"] == 1
    assert parts["unseen_word"]["understood"]["n_episodes"] == 2
    assert info["understanding"]["per_group"]["push_direction"]["understood"]["n_episodes"] == 3


@pytest.fixture(scope="module")
def parse_policy():
    """A tiny policy whose parse head has learned a pool of training-grammar instructions."""
    texts, labels = reading.sample_pool(0, 48)
    torch.manual_seed(0)
    cfg = PolicyConfig(**{**TINY, "image_size": 32, "text_dim": 64, "parse_weight": 1.0})
    policy = make_policy(cfg, STATS, texts)
    opt = torch.optim.Adam(policy.parameters(), lr=3e-3)
    batch = make_batch(cfg)
    batch[keys.PARSE_TEXTS], batch[keys.PARSE_LABELS] = texts, torch.from_numpy(labels)
    for _ in range(300):
        loss, metrics = policy(batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return policy.eval(), texts, labels, metrics


@pytest.mark.slow
def test_parse_head_learns_the_labels(parse_policy):
    policy, texts, labels, metrics = parse_policy
    assert float(metrics["parse_acc"]) == 1.0
    assert policy.read_instruction(texts) == labels.tolist()


@pytest.mark.slow
def test_eval_info_understood_flags_match_the_readings(parse_policy, tmp_path):
    policy = parse_policy[0]
    info = evaluate(policy, tmp_path, groups=("reach", "push_direction"), episodes=4, envs=4, videos=0,
                    max_steps=2, progress=False)  # fmt: skip
    eps = info["per_episode"]
    assert all(isinstance(e["understood"], bool) and e["reading"] for e in eps)
    u = info["understanding"]["overall"]["understood"]
    assert u["n_episodes"] == len(eps) and u["n_success"] == sum(e["understood"] for e in eps)
