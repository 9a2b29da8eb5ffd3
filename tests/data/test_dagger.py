"""DAgger rounds: continuations are the expert's own plan from the policy's state, appended atomically."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from simplevla import keys
from simplevla.collect.dagger import continuation, dagger
from simplevla.collect.record import EnvSpec, record
from simplevla.data import load_dataset
from simplevla.envs import DAGGER_SEED_START
from simplevla.envs.tabletop.env import TabletopEnv
from simplevla.envs.tabletop.expert import Expert, Phase
from simplevla.errors import SimplevlaError
from simplevla.models import PolicyConfig, make_policy, save_policy

STATS = {
    keys.STATE: {"min": [0.0, 0.0], "max": [1.0, 1.0], "mean": [0.5, 0.5], "std": [0.3, 0.3]},
    keys.ACTION: {"min": [-1.0, -1.0], "max": [1.0, 1.0], "mean": [0.0, 0.0], "std": [0.5, 0.5]},
}


def test_continuation_is_what_a_fresh_expert_does_from_that_state():
    rng = np.random.default_rng(0)
    wander = rng.uniform(-1, 1, size=(6, 2)).astype(np.float32)  # the "policy": six random steps
    env = TabletopEnv(families=("reach",), size=32)
    env.reset(seed=3)
    for a in wander:
        obs, *_ = env.step(a)
    scratch = TabletopEnv(size=32)
    scratch.set_state(env.get_state())
    ep = continuation(scratch, (Phase.APPROACH, None), obs, env.task, horizon=8)

    replay = TabletopEnv(families=("reach",), size=32)  # the same state reached by replaying the actions
    replay.reset(seed=3)
    for a in wander:
        replay_obs, *_ = replay.step(a)
    expert = Expert(replay)
    expert.reset()
    labels = []
    for _ in range(8):
        labels.append(expert.act())
        _, _, terminated, _, info = replay.step(labels[-1])
        if terminated or info["is_success"]:
            break
    np.testing.assert_array_equal(ep.frames[keys.ACTION], np.stack(labels))
    np.testing.assert_array_equal(ep.frames[keys.STATE][0], replay_obs[keys.ENV_AGENT_POS])
    assert ep.frames[keys.DONE][-1] and not ep.frames[keys.DONE][:-1].any()


@pytest.fixture
def tiny_run(tmp_path):
    """A 3-episode 32x32 dataset and an untrained tiny policy checkpoint (chunk 4, 2 actions per plan)."""
    data = tmp_path / "data"
    record(data, 3, EnvSpec(size=32, noise=0.1), progress=False)
    torch.manual_seed(0)
    cfg = PolicyConfig(
        image_size=32, vision_channels=(8, 8), keypoints=4, text_dim=16, text_embed_dim=8, head_hidden=32,
        chunk_size=4, n_action_steps=2,
    )  # fmt: skip
    ckpt = save_policy(make_policy(cfg, STATS, load_dataset(data).meta.tasks), tmp_path / "ckpt")
    return data, ckpt


def test_dagger_round_appends_continuations_after_the_old_episodes(tiny_run):
    data, ckpt = tiny_run
    before = load_dataset(data)
    old_actions = before.columns[keys.ACTION].copy()
    result = dagger(data, ckpt, episodes=3, workers=1, envs=2)
    after = load_dataset(data)
    n_old = before.meta.total_episodes
    assert result["episodes"] == 3 and result["seeds"] == [DAGGER_SEED_START, DAGGER_SEED_START + 3]
    assert after.meta.total_episodes == n_old + result["continuations"]
    assert len(after) == len(before) + result["frames"]
    np.testing.assert_array_equal(after.columns[keys.ACTION][: len(before)], old_actions)
    lengths = np.diff(np.concatenate([[0], after.episode_ends]))[n_old:]
    assert lengths.min() >= 1 and lengths.max() <= 4  # at most one chunk of expert actions each
    # an untrained policy plans every 2 steps of episodes that run to the step limit: >= 40 / 2 plans each
    assert result["continuations"] >= 3 * 20
    rounds = after.meta.info["simplevla"]["dagger"]
    assert rounds[0]["seeds"] == [DAGGER_SEED_START, DAGGER_SEED_START + 3]
    assert after.meta.info["simplevla"]["seed_ranges"] == before.meta.info["simplevla"]["seed_ranges"]

    second = dagger(data, ckpt, episodes=2, workers=1, envs=2)
    assert second["seeds"] == [DAGGER_SEED_START + 3, DAGGER_SEED_START + 5]
    with pytest.raises(SimplevlaError, match="overlap"):
        dagger(data, ckpt, episodes=2, seed=DAGGER_SEED_START + 1, workers=1)
    with pytest.raises(SimplevlaError, match="overlap"):
        dagger(data, ckpt, episodes=2, seed=0, workers=1)  # the recorded expert seeds


def test_dagger_keeps_the_aux_feature(tmp_path, tiny_run):
    _, ckpt = tiny_run
    data = tmp_path / "xy"
    record(data, 2, EnvSpec(size=32, task_xy=True), progress=False)
    dagger(data, ckpt, episodes=1, workers=1, envs=1)
    ds = load_dataset(data)
    assert keys.TASK_XY in ds.meta.features
    assert np.isfinite(ds.columns[keys.TASK_XY]).all() and len(ds.columns[keys.TASK_XY]) == len(ds)
