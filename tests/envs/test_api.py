"""Gymnasium API, observation contract, bad actions, determinism and the state round-trip."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import simplevla  # noqa: F401  (registers simplevla/Tabletop-v0)
from simplevla.envs import EVAL_SEED_START, RECORD_SEED_START
from simplevla.envs.batch import to_batch
from simplevla.envs.tabletop.env import TabletopEnv
from simplevla.envs.tabletop.tasks import FAMILIES


def test_check_env_passes():
    env = TabletopEnv()
    check_env(env, skip_render_check=False)


def test_make_registered_and_obs_keys():
    env = gym.make("simplevla/Tabletop-v0", families=["reach"], size=48)
    obs, info = env.reset(seed=0)
    assert set(obs) == {"pixels", "agent_pos"}
    assert obs["pixels"].shape == (48, 48, 3) and obs["pixels"].dtype == np.uint8
    assert obs["agent_pos"].shape == (2,) and obs["agent_pos"].dtype == np.float32
    assert info["task"] == env.unwrapped.task and info["task_spec"]["family"] == "reach"
    assert info["is_success"] is False
    obs, reward, term, trunc, info = env.step(np.zeros(2, dtype=np.float32))
    assert set(obs) == {"pixels", "agent_pos"} and set(info) >= {"task", "task_spec", "is_success"}
    batch = to_batch(obs, info["task"])
    assert tuple(batch["observation.image"].shape) == (1, 3, 48, 48)


def test_constants():
    assert FAMILIES == ("reach", "push_to_place", "push_direction", "push_next_to", "separate")
    assert RECORD_SEED_START == 0 and EVAL_SEED_START == 1_000_000


@pytest.mark.parametrize(
    "bad", [np.array([np.nan, 0.0]), np.array([0.0, np.inf]), np.zeros(3), np.zeros((1, 2)), "up"]
)
def test_bad_actions_raise(bad):
    env = TabletopEnv()
    env.reset(seed=0)
    with pytest.raises(ValueError):
        env.step(bad)


def test_out_of_range_action_is_clipped():
    a, b = TabletopEnv(families=["reach"]), TabletopEnv(families=["reach"])
    a.reset(seed=5)
    b.reset(seed=5)
    oa = a.step(np.array([5.0, -7.0]))[0]
    ob = b.step(np.array([1.0, -1.0]))[0]
    np.testing.assert_array_equal(oa["agent_pos"], ob["agent_pos"])


def test_effector_moves_at_most_max_speed():
    env = TabletopEnv()
    env.reset(seed=1)
    p0 = env.pusher_position
    env.step(np.array([1.0, 0.0]))
    assert abs(env.pusher_position[0] - p0[0]) <= 0.04 + 1e-9 or env.pusher_position[0] >= 0.96


def test_bad_constructor_args():
    for kwargs in ({"families": ["fly"]}, {"split": "test"}, {"size": 16}, {"size": 300}, {"max_steps": 0}):
        with pytest.raises(ValueError):
            TabletopEnv(**kwargs)


def _rollout(env: TabletopEnv, actions: np.ndarray) -> list[np.ndarray]:
    return [env.step(a)[0]["pixels"] for a in actions]


def test_same_seed_same_scene_task_trajectory():
    actions = np.random.default_rng(0).uniform(-1, 1, (25, 2))
    runs = []
    for _ in range(2):
        env = TabletopEnv()
        obs, info = env.reset(seed=123)
        runs.append((obs["pixels"], info["task"], _rollout(env, actions), env.get_state()))
    assert runs[0][1] == runs[1][1]
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    for fa, fb in zip(runs[0][2], runs[1][2], strict=True):
        np.testing.assert_array_equal(fa, fb)
    assert runs[0][3] == runs[1][3]
    other = TabletopEnv()
    other.reset(seed=124)
    assert other.get_state()["object_pos"] != runs[0][3]["object_pos"]


def test_state_round_trip():
    rng = np.random.default_rng(1)
    env = TabletopEnv(families=["push_to_place"])
    env.reset(seed=7)
    _rollout(env, rng.uniform(-1, 1, (10, 2)))
    state = env.get_state()
    env2 = TabletopEnv(families=["reach"])
    env2.reset(seed=99)
    env2.set_state(state)
    assert env2.get_state() == state
    np.testing.assert_array_equal(env2.render(), env.render())
    # Continuing from the snapshot: same actions give the same trajectory (the contact cache is rebuilt,
    # so positions agree to solver precision).
    actions = rng.uniform(-1, 1, (15, 2))
    _rollout(env, actions)
    _rollout(env2, actions)
    np.testing.assert_allclose(env2.object_positions, env.object_positions, atol=1e-6)
    np.testing.assert_allclose(env2.pusher_position, env.pusher_position, atol=1e-12)


def test_state_round_trip_right_after_reset_is_exact():
    actions = np.random.default_rng(2).uniform(-1, 1, (30, 2))
    env = TabletopEnv()
    env.reset(seed=11)
    state = env.get_state()
    first = _rollout(env, actions)
    env.set_state(state)
    second = _rollout(env, actions)
    for fa, fb in zip(first, second, strict=True):
        np.testing.assert_array_equal(fa, fb)


def test_instruction_option_replaces_wording_only():
    env = TabletopEnv()
    _, info = env.reset(seed=3)
    _, info2 = env.reset(seed=3, options={"instruction": "do the thing"})
    assert info2["task"] == "do the thing" == env.unwrapped.task
    assert info2["task_spec"] == info["task_spec"]


def test_truncates_at_family_step_limit():
    env = TabletopEnv(families=["reach"], max_steps=3)
    env.reset(seed=0)
    ends = [env.step(np.zeros(2))[3] for _ in range(3)]
    assert ends == [False, False, True]


@pytest.mark.parametrize("vec_cls", [gym.vector.SyncVectorEnv, gym.vector.AsyncVectorEnv])
def test_vector_envs(vec_cls):
    envs = vec_cls([lambda: TabletopEnv(size=32) for _ in range(2)])
    try:
        obs, info = envs.reset(seed=[0, 1])
        assert obs["pixels"].shape == (2, 32, 32, 3) and obs["agent_pos"].shape == (2, 2)
        obs, reward, term, trunc, info = envs.step(np.zeros((2, 2), dtype=np.float32))
        assert reward.shape == (2,) and len(info["task"]) == 2 and info["is_success"].dtype == bool
    finally:
        envs.close()


def test_empty_instruction_override_is_refused():
    import gymnasium as gym

    env = gym.make("simplevla/Tabletop-v0")
    for bad in ("", "  "):
        with pytest.raises(ValueError, match="empty"):
            env.reset(seed=0, options={"instruction": bad})


def test_reset_and_close_empty_the_old_physics_space():
    """pymunk frees spaces, bodies and shapes in garbage-collector order; the env empties a space before it
    lets go of it, so no space is ever freed while listing shapes that were freed first (a native abort)."""
    env = TabletopEnv()
    env.reset(seed=0)
    old = env._space
    assert old.shapes and old.bodies
    env.reset(seed=1)
    assert env._space is not old and not old.shapes and not old.bodies
    current = env._space
    env.close()
    assert env._space is None and not current.shapes and not current.bodies
    env.reset(seed=2)  # a closed env can be reset again
    env.step(np.zeros(2, np.float32))
