"""The plan input: its geometry by hand, its config rules, and that only the auxiliary loss trains the plan."""

from __future__ import annotations

import pytest
import torch
from model_helpers import STATS, TASKS, TINY, make_batch

from simplevla import keys, load_policy
from simplevla.errors import SimplevlaError
from simplevla.models import PolicyConfig, make_policy, save_policy
from simplevla.models.plan import PLAN_DIM, PLAN_SCALE, plan_features


def test_plan_features_match_hand_geometry():
    # object at (0.5, 0.5) must go right to (0.7, 0.5); the effector sits above it, at (0.5, 0.6)
    task_xy = torch.tensor([[0.5, 0.5, 0.7, 0.5]]) * 2 - 1  # (1, 4) in [-1, 1]
    effector = torch.tensor([[0.5, 0.6]])  # (1, 2) table units
    f = plan_features(task_xy, effector)[0]
    assert f.shape == (PLAN_DIM,)
    s = PLAN_SCALE
    expected = [0.0, 0.0, 0.4, 0.0]  # object and goal in [-1, 1]
    expected += [0.0, -0.1 * s]  # object - effector
    expected += [0.2 * s, 0.0]  # goal - object
    expected += [0.2 * s, -0.1 * s]  # goal - effector
    expected += [1.0, 0.0]  # unit push direction
    expected += [0.0, -0.1 * s]  # along the push (level with the object), across it (signed side)
    expected += [0.1 * s]  # distance from the object
    torch.testing.assert_close(f, torch.tensor(expected), atol=1e-5, rtol=0)
    behind = plan_features(task_xy, torch.tensor([[0.3, 0.5]]))[0]
    assert behind[12] == pytest.approx(-0.2 * s)  # behind the object: negative along the push


def test_plan_input_needs_the_aux_loss_and_the_state():
    with pytest.raises(SimplevlaError, match="plan_input"):
        PolicyConfig(**TINY, plan_input=True, aux_weight=0.0)
    with pytest.raises(SimplevlaError, match="plan_input"):
        PolicyConfig(**TINY, use_state=False)  # the default preset's plan needs the state
    with pytest.raises(SimplevlaError, match="plan_input"):
        PolicyConfig(**TINY, plan_input=True, aux_weight=1.0, use_state=False)


def test_only_the_aux_loss_trains_the_plan_reader(tmp_path):
    torch.manual_seed(0)
    cfg = PolicyConfig(**TINY, aux_weight=1.0, plan_input=True)
    policy = make_policy(cfg, STATS, TASKS)
    batch = make_batch(cfg, batch_size=6)
    batch[keys.TASK_XY] = torch.rand(6, 4)  # (B, 4) table units
    chunks, _ = policy._predict(batch)  # (B, 1, chunk, A)
    chunks.sum().backward()
    assert all(p.grad is None for p in policy.aux.parameters())  # the head reads a detached plan
    assert policy.head.net[0].weight.grad[:, -PLAN_DIM:].abs().sum() > 0  # ... but does read it
    loss, metrics = policy(batch)
    assert "aux" in metrics
    policy.zero_grad()
    loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in policy.aux.parameters())
    save_policy(policy.eval(), tmp_path / "ckpt")
    loaded = load_policy(tmp_path / "ckpt")
    assert loaded.config == policy.config and policy.config.state_dim == 2  # the stats' size
    assert torch.equal(policy.predict_action_chunk(batch), loaded.predict_action_chunk(batch))
    read = loaded.read_task_xy(batch)  # (B, 4) table units
    assert read.shape == (6, 4) and torch.equal(read, policy.read_task_xy(batch))
    plain = make_policy(PolicyConfig(**TINY, aux_weight=0.0, plan_input=False), STATS, TASKS)
    assert plain.read_task_xy(batch) is None
