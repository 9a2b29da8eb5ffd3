"""Training on several datasets at once (`train --dataset A --dataset B`): their caches read as one, with
tasks, episodes and stats merged; datasets that do not fit together are refused."""

from __future__ import annotations

import numpy as np
import pytest
import tyro
from data_synth import write_synthetic

from simplevla.data import build_cache
from simplevla.data.cache import concat_caches
from simplevla.data.stats import lowdim_stats, pooled_stats
from simplevla.errors import SimplevlaError
from simplevla.train.config import TrainConfig


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    root = tmp_path_factory.mktemp("two")
    write_synthetic(root / "a", [5, 3])
    write_synthetic(root / "b", [4, 6, 2])
    return root / "a", root / "b"


def test_concat_reads_both_datasets_as_one(two):
    a, b = build_cache(two[0]), build_cache(two[1])
    both = concat_caches([a, b], ["a", "b"])
    assert len(both) == len(a) + len(b) == 20 and both.images.shape == (20, 16, 16, 3)
    np.testing.assert_array_equal(both.images[np.arange(20)], np.concatenate([a.images[:], b.images[:]]))
    np.testing.assert_array_equal(both.episode_ends, [5, 8, 12, 18, 20])
    assert both.tasks == list(dict.fromkeys([*a.tasks, *b.tasks]))
    expected = [a.tasks[i] for i in a.frame_task] + [b.tasks[i] for i in b.frame_task]
    assert [both.tasks[i] for i in both.frame_task] == expected
    np.testing.assert_array_equal(both.actions, np.concatenate([a.actions, b.actions]))
    exact = lowdim_stats(np.concatenate([a.states, b.states]))
    for name in ("min", "max", "mean", "std", "q50"):
        np.testing.assert_allclose(both.stats["observation.state"][name], exact[name], err_msg=name)
    assert both.info["datasets"] == ["a", "b"]


def test_pooled_stats_equal_the_stats_of_the_concatenation():
    rng = np.random.default_rng(0)
    x, y = rng.normal(2, 3, (50, 3)), rng.normal(-1, 0.5, (30, 3))
    pooled = pooled_stats([lowdim_stats(x), lowdim_stats(y)])
    exact = lowdim_stats(np.concatenate([x, y]))
    for name in ("min", "max", "mean", "std", "count"):
        np.testing.assert_allclose(pooled[name], exact[name], rtol=1e-12, err_msg=name)


def test_datasets_that_differ_are_refused(two, tmp_path):
    write_synthetic(tmp_path / "big", [3], size=24)
    with pytest.raises(SimplevlaError, match=r"--dataset big: cannot train on it together with a: frames"):
        concat_caches([build_cache(two[0]), build_cache(tmp_path / "big")], ["a", "big"])


def test_train_config_takes_dataset_twice(two):
    cfg = tyro.cli(TrainConfig, args=["--dataset", str(two[0]), "--dataset", str(two[1])])
    assert cfg.dataset == two
    assert TrainConfig(dataset=two[0]).dataset == (two[0],) and TrainConfig().dataset == ()
    assert TrainConfig(dataset=two).to_dict()["dataset"] == [str(two[0]), str(two[1])]
    with pytest.raises(SimplevlaError, match="names a directory twice"):
        TrainConfig(dataset=(two[0], two[0]))


def test_train_on_two_datasets(two, tmp_path):
    from simplevla.models import PolicyConfig, load_policy
    from simplevla.train.loop import train

    cfg = TrainConfig(dataset=two, out=tmp_path / "run", steps=3, batch_size=4, val_every=0, threads=1)
    tiny = dict(image_size=16, vision_channels=(4, 4), keypoints=2, vision_dim=8, text_embed_dim=4)
    result = train(cfg, PolicyConfig(preset="simple", **tiny, text_dim=8, head_hidden=16))
    policy = load_policy(result["checkpoint"])
    assert policy.config.state_dim == 2
