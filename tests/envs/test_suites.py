"""The suite table: every entry names an id Gymnasium knows, classes that load, and groups its env accepts;
record's dataset features follow it; the checks both envs share say what is wrong."""

from __future__ import annotations

import importlib.util

import gymnasium as gym
import numpy as np
import pytest

import simplevla  # noqa: F401  (registers the ids)
from simplevla.collect.record import EnvSpec, features_of
from simplevla.envs import SUITES, suite
from simplevla.envs.common import check_options, instruction_override
from simplevla.envs.tabletop.expert import Expert
from simplevla.envs.tabletop.tasks import FAMILIES


@pytest.mark.parametrize("name", list(SUITES))
def test_every_suite_is_registered_and_checks_its_groups(name):
    s = SUITES[name]
    assert s.name == name and s.env_id in gym.registry
    assert s.check(None) == (s.default or s.groups) and s.check(s.groups[0]) == (s.groups[0],)
    assert all(s.check(n) == tuple(members) for n, members in s.sets.items())
    with pytest.raises(ValueError, match=rf"{s.select}: unknown or empty \['nope'\]"):
        s.check(["nope"])
    with pytest.raises(ValueError, match="env must be one of"):
        suite("mujoco")
    features = features_of(EnvSpec(env=name, size=32))
    assert features["observation.state"]["names"] == list(s.state_names)
    assert features["action"]["shape"] == [len(s.action_names)]


def test_tabletop_suite_builds_its_env_and_expert():
    s = SUITES["tabletop"]
    assert s.groups == FAMILIES and s.expert() is Expert
    env = s.env(("reach",), size=32)
    obs, info = env.reset(seed=3)
    assert env.families == ("reach",) and info["task_spec"]["family"] == "reach"
    assert obs["agent_pos"].shape == (len(s.state_names),) and env.action_space.shape == (
        len(s.action_names),
    )


def test_metaworld_suite_builds_its_env_and_expert():
    if importlib.util.find_spec("metaworld") is None:  # not imported here: the env picks the GL backend first
        pytest.skip("needs the metaworld extra")
    s = SUITES["metaworld"]
    env = s.env(("reach",), size=32)
    obs, info = env.reset(seed=3)
    assert info["task_spec"]["task"] == "reach" and obs["agent_pos"].shape == (len(s.state_names),)
    assert s.expert()(env, noise=0.0, seed=3).act().shape == (len(s.action_names),)
    env.close()


def test_shared_constructor_checks_and_instruction_override():
    check_options("train", ("train",), 64, None, "rgb_array")
    for args, needle in [
        (("dev", ("train",), 64, None, None), "split must be one of"),
        (("train", ("train",), 16, None, None), "size (the image side)"),
        (("train", ("train",), np.int64(64), 0, None), "max_steps must be None or a positive int"),
        (("train", ("train",), 64, 600, None, 500), "max_steps must be None or an int in [1, 500]"),
        (("train", ("train",), 64, None, "human"), "render_mode must be"),
    ]:
        with pytest.raises(ValueError) as e:
            check_options(*args)
        assert needle in str(e.value)
    assert instruction_override(None, None) is None
    assert instruction_override({"instruction": "push it"}, None) == "push it"
    assert instruction_override({"instruction": "push it"}, "reach it") == "reach it"  # set_attr's wins
    with pytest.raises(ValueError, match="the instruction is empty"):
        instruction_override({"instruction": "  "}, None)
