"""simplevla/MetaWorld-v0: the observation contract, seeding, wording and the scripted expert (one task)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from simplevla.envs.metaworld.render import select_gl  # noqa: E402

select_gl()  # before `metaworld` imports MuJoCo, which reads MUJOCO_GL once
pytest.importorskip(
    "metaworld",
    reason="Meta-World is not installed: `make install-metaworld` (pip install -e '.[metaworld]')",
)

import simplevla  # noqa: E402,F401  (registers simplevla/MetaWorld-v0)
from simplevla.envs.batch import to_batch  # noqa: E402
from simplevla.envs.metaworld import tasks as mt10  # noqa: E402
from simplevla.envs.metaworld.env import MetaWorldEnv  # noqa: E402
from simplevla.envs.metaworld.expert import MetaWorldExpert  # noqa: E402


@pytest.fixture(scope="module")
def env():
    env = MetaWorldEnv(tasks=("reach",), size=64)
    yield env
    env.close()


def test_observation_contract(env):
    obs, info = env.reset(seed=3)
    assert set(obs) == {"pixels", "agent_pos"}
    assert obs["pixels"].shape == (64, 64, 3) and obs["pixels"].dtype == np.uint8
    assert obs["pixels"].std() > 5  # a scene, not a blank buffer
    assert obs["agent_pos"].shape == (4,) and obs["agent_pos"].dtype == np.float32
    assert env.action_space.shape == (4,) and env.action_space.dtype == np.float32
    assert info["task"] == mt10.TRAIN["reach"] and info["task_spec"]["task"] == "reach"
    assert info["is_success"] is False
    obs, reward, term, trunc, info = env.step(np.zeros(4, np.float32))
    assert set(info) >= {"task", "task_spec", "is_success"} and not term and not trunc
    assert tuple(to_batch(obs, info["task"])["observation.state"].shape) == (1, 4)


def test_seed_gives_one_layout_and_seeds_differ(env):
    env.reset(seed=11)
    a = env.state_obs
    pixels_a = env.render().copy()
    env.reset(seed=12)
    b = env.state_obs
    env.reset(seed=11)
    np.testing.assert_array_equal(env.state_obs, a)
    np.testing.assert_array_equal(env.render(), pixels_a)
    assert not np.allclose(a[-3:], b[-3:])  # the goal moved


def test_heldout_split_and_instruction_option():
    env = MetaWorldEnv(tasks=("reach",), split="heldout")
    try:
        _, info = env.reset(seed=0)
        assert info["task"] in mt10.HELDOUT["reach"]
        _, info = env.reset(seed=0, options={"instruction": "touch the red dot"})
        assert info["task"] == "touch the red dot"
    finally:
        env.close()


@pytest.mark.parametrize("bad", [np.zeros(3), np.array([np.nan, 0, 0, 0]), "up"])
def test_bad_actions_raise(env, bad):
    env.reset(seed=0)
    with pytest.raises(ValueError):
        env.step(bad)


def test_bad_kwargs_raise():
    with pytest.raises(ValueError, match="unknown"):
        MetaWorldEnv(tasks=("fly",))
    with pytest.raises(ValueError, match="camera"):
        MetaWorldEnv(camera="sky")


def test_scripted_expert_solves_reach(env):
    env.reset(seed=5)
    expert = MetaWorldExpert(env, noise=0.0, seed=5)
    expert.reset()
    for _ in range(env.max_steps):
        action = expert.act()
        assert action.shape == (4,) and action.dtype == np.float32 and np.abs(action).max() <= 1.0
        _, _, term, trunc, info = env.step(action)
        if term or trunc:
            break
    assert info["is_success"] and term


def test_expert_task_xy_is_the_object_and_goal_meta_world_places():
    """task_xy against Meta-World's own accessors: the object it places and `_target_pos`."""
    env = MetaWorldEnv(tasks=("push", "button-press"), size=32)
    try:
        for seed in (0, 1, 2, 3):
            env.reset(seed=seed)
            expert = MetaWorldExpert(env)
            expert.reset()
            sim = env.sim
            want = [*sim._get_pos_objects()[:2], *sim._target_pos[:2]]
            np.testing.assert_allclose(expert.task_xy(), want, atol=1e-6)
            env.step(expert.act())  # and it follows the object as the hand moves it
            np.testing.assert_allclose(expert.task_xy()[:2], env.sim._get_pos_objects()[:2], atol=1e-6)
    finally:
        env.close()


@pytest.mark.slow
def test_gym_make_cycles_tasks_by_seed():
    env = gym.make("simplevla/MetaWorld-v0", tasks=["reach", "drawer-close"], size=32)
    try:
        names = [env.reset(seed=s)[1]["task_spec"]["task"] for s in (0, 1, 2)]
        assert names == ["reach", "drawer-close", "reach"]
    finally:
        env.close()
