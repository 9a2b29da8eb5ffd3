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


def test_six_column_reader_learns_the_reference_without_changing_the_plan(tmp_path):
    """aux_dim 6 (the dataset's width, from its stats) adds the reference object to what the reader is
    trained on; the head's plan features still come from the object and goal alone."""
    torch.manual_seed(0)
    stats = {**STATS, keys.TASK_XY: {"mean": [0.5] * 6, "std": [0.3] * 6, "min": [0.0] * 6, "max": [1.0] * 6}}
    policy = make_policy(PolicyConfig(**TINY, aux_weight=1.0, plan_input=True), stats, TASKS)
    assert policy.config.aux_dim == 6
    batch = make_batch(policy.config, batch_size=6)
    batch[keys.TASK_XY] = torch.rand(6, 6)  # (B, 6) table units
    read = policy.read_task_xy(batch)  # (B, 6)
    assert read.shape == (6, 6)
    xy = read * 2 - 1  # (B, 6) in [-1, 1]
    moved = xy.clone()
    moved[:, 4:] += 0.5  # another reference reading: the plan must not change
    effector = batch[keys.STATE][:, :2]
    torch.testing.assert_close(plan_features(xy, effector), plan_features(moved, effector))
    # the loss reaches the reference columns: a target that differs only there changes it
    other = dict(batch, **{keys.TASK_XY: batch[keys.TASK_XY].clone()})
    other[keys.TASK_XY][:, 4:] = 1.0 - other[keys.TASK_XY][:, 4:]
    assert policy(batch)[1]["aux"] != policy(other)[1]["aux"]
    save_policy(policy.eval(), tmp_path / "ckpt")
    loaded = load_policy(tmp_path / "ckpt")
    assert loaded.config.aux_dim == 6 and torch.equal(loaded.read_task_xy(batch), policy.read_task_xy(batch))


def test_aux_dim_is_checked_and_old_configs_read_four_columns():
    with pytest.raises(SimplevlaError, match="aux_dim"):
        PolicyConfig(**TINY, aux_dim=5)
    cfg = PolicyConfig(**TINY, state_dim=2, action_dim=2, aux_dim=6).to_dict()
    del cfg["aux_dim"]  # a config.json written before the field existed
    assert PolicyConfig.from_dict(cfg).aux_dim == 4
