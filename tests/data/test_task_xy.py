"""The auxiliary `aux.task_xy` target: recorded per frame, cached, sampled, and refused where it is absent."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from simplevla import keys
from simplevla.collect.record import EnvSpec, record
from simplevla.data import WindowSampler, build_cache, load_dataset
from simplevla.envs.tabletop.env import TabletopEnv
from simplevla.envs.tabletop.expert import Expert
from simplevla.errors import SimplevlaError


@pytest.fixture(scope="module")
def xy_data(tmp_path_factory):
    out = tmp_path_factory.mktemp("xy") / "data"
    record(out, 12, EnvSpec(size=32, noise=0.1, task_xy=True), progress=False)
    return out


def test_first_frame_is_the_scene_and_goal_from_the_seed(xy_data):
    ds = load_dataset(xy_data)
    assert ds.meta.features[keys.TASK_XY]["shape"] == [6]
    assert ds.meta.features[keys.TASK_XY]["names"] == list(keys.TASK_XY_NAMES)
    xy, starts = ds.columns[keys.TASK_XY], np.concatenate([[0], ds.episode_ends[:-1]])
    env = TabletopEnv(size=32)
    for e, start in enumerate(starts):
        env.reset(seed=e)  # recording seeds are 0, 1, ... (no failures at this size)
        expert = Expert(env)
        expert.reset()
        goal = expert.push_goal()  # (the object that moves: for `separate`, the one the expert pushes)
        i = env.task_spec["objects"][0]["index"] if goal is None else goal[0]
        np.testing.assert_allclose(xy[start, :2], env.object_positions[i], atol=1e-6)
        want = env.object_positions[i] if goal is None else goal[1]  # reach: the object itself
        np.testing.assert_allclose(xy[start, 2:4], want, atol=1e-6)
        # the reference: the other object the task spec names (push_next_to, separate), else the moved one
        others = [o["index"] for o in env.task_spec["objects"] if o["index"] != i]
        ref = env.object_positions[others[0] if others else i]
        np.testing.assert_allclose(xy[start, 4:], ref, atol=1e-6)


def test_sampler_batches_carry_the_current_frame(xy_data):
    ds = load_dataset(xy_data)
    sampler = WindowSampler(build_cache(xy_data), chunk_size=4, split="all", val_fraction=0.0)
    idx = np.array([0, 5, 17, len(sampler) - 1])
    batch = sampler.get_batch(idx)
    np.testing.assert_array_equal(batch[keys.TASK_XY].numpy(), ds.columns[keys.TASK_XY][idx])


def test_plain_recordings_have_no_aux_feature_and_resume_must_match(tmp_path, xy_data):
    plain = tmp_path / "plain"
    record(plain, 2, EnvSpec(size=32), progress=False)
    assert keys.TASK_XY not in load_dataset(plain).meta.features
    assert build_cache(plain).task_xy is None
    with pytest.raises(SimplevlaError, match="task_xy"):
        record(plain, 2, EnvSpec(size=32, task_xy=True), resume=True, progress=False)


def test_push_next_to_reference_is_the_goal_objects_neighbour(xy_data):
    """push_next_to's goal is NEXT_TO_AIM from the reference object, on the moved object's side."""
    from simplevla.envs.tabletop.expert import NEXT_TO_AIM

    ds = load_dataset(xy_data)
    xy, starts = ds.columns[keys.TASK_XY], np.concatenate([[0], ds.episode_ends[:-1]])
    env, checked = TabletopEnv(size=32), 0
    for e, start in enumerate(starts):
        env.reset(seed=e)
        if env.task_spec["family"] == "push_next_to":
            obj, goal, ref = xy[start, :2], xy[start, 2:4], xy[start, 4:]
            assert np.hypot(*(goal - ref)) == pytest.approx(NEXT_TO_AIM, abs=1e-5)
            assert (goal - ref) @ (obj - ref) > 0
            checked += 1
    assert checked


def test_four_column_recordings_train_a_four_column_reader_and_refuse_six(tmp_path, monkeypatch):
    """A recording with the older 4 columns (object, goal) still trains: the policy's reader takes the
    dataset's width. Resuming it with this version's 6 columns, or training a 6-column reader on it, is
    refused with the file and field named."""
    import dataclasses

    from simplevla.collect import record as record_module
    from simplevla.models import PolicyConfig, make_policy

    old = tmp_path / "old"
    four = dataclasses.replace(record_module.SUITES["tabletop"], task_xy_names=keys.TASK_XY_NAMES[:4])
    with monkeypatch.context() as m:
        m.setitem(record_module.SUITES, "tabletop", four)
        m.setattr(Expert, "task_xy", lambda self, f=Expert.task_xy: f(self)[:4])
        record(old, 3, EnvSpec(size=32, noise=0.1, task_xy=True), progress=False)
    ds = load_dataset(old)
    assert ds.meta.features[keys.TASK_XY]["shape"] == [4]
    cache = build_cache(old)
    policy = make_policy(PolicyConfig(image_size=32), cache.stats, cache.tasks)
    assert policy.config.aux_dim == 4
    batch = WindowSampler(cache, chunk_size=8, split="all", val_fraction=0.0).get_batch(np.arange(4))
    loss, _ = policy(batch)
    assert torch.isfinite(loss)
    six = make_policy(PolicyConfig(image_size=32, aux_dim=6), cache.stats, cache.tasks)
    with pytest.raises(SimplevlaError, match=r"aux.task_xy.*4 columns.*aux-dim 4"):
        six(batch)
    with pytest.raises(SimplevlaError, match=r"info.json.*task_xy.names"):
        record(old, 5, EnvSpec(size=32, noise=0.1, task_xy=True), resume=True, progress=False)


def test_push_direction_goal_stays_the_task_distance_ahead(xy_data):
    """Where the object started is not in the frame, so the goal is read relative to where it is now."""
    from simplevla.envs.tabletop.tasks import DIRECTIONS

    ds = load_dataset(xy_data)
    xy, ends = ds.columns[keys.TASK_XY], ds.episode_ends
    env, checked = TabletopEnv(size=32), 0
    for e, end in enumerate(ends):
        env.reset(seed=e)
        target = env.task_spec["target"]
        if env.task_spec["family"] != "push_direction":
            continue
        step = np.asarray(DIRECTIONS[target["direction"]]) * target["distance"]
        last = xy[end - 1]  # the last frame: the object has moved
        np.testing.assert_allclose(last[2:4] - last[:2], step, atol=1e-6)
        checked += 1
    assert checked
