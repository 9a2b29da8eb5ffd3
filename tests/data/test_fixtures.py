"""Datasets written by LeRobot 0.4.4 itself load with the right values (ground truth: .expected.npz)."""

from __future__ import annotations

import numpy as np
import pytest

from simplevla.data import build_cache, load_dataset


def _check(ds, expected, image_tol: float) -> None:
    assert len(ds) == len(expected["action"])
    imgs = np.stack([ds[i]["observation.image"] for i in range(len(ds))])
    assert imgs.dtype == np.uint8 and imgs.shape == expected["observation.image"].shape
    assert np.abs(imgs.astype(np.float64) - expected["observation.image"]).mean() <= image_tol
    for k in ("observation.state", "action", "episode_index", "frame_index"):
        np.testing.assert_array_equal(np.stack([ds[i][k] for i in range(len(ds))]), expected[k])
    assert [ds[i]["task"] for i in range(len(ds))] == expected["task"].tolist()


def test_lerobot_image_fixture(fixtures_dir, tmp_path):
    ds = load_dataset(fixtures_dir / "lerobot_v3_image")
    expected = np.load(fixtures_dir / "lerobot_v3_image.expected.npz")
    _check(ds, expected, image_tol=0.0)
    assert ds.meta.total_episodes == 6 and len(ds.meta.tasks) == 3
    assert np.asarray(ds.meta.stats["observation.image"]["mean"]).shape == (3, 1, 1)
    cache = build_cache(fixtures_dir / "lerobot_v3_image", cache_dir=tmp_path)
    np.testing.assert_array_equal(cache.images, expected["observation.image"])
    np.testing.assert_array_equal(cache.actions, expected["action"])


def test_lerobot_video_fixture(fixtures_dir):
    pytest.importorskip("av", reason="the video dtype needs the optional 'video' extra (PyAV)")
    ds = load_dataset(fixtures_dir / "lerobot_v3_video")
    expected = np.load(fixtures_dir / "lerobot_v3_video.expected.npz")
    assert ds.meta.video_keys == ["observation.image"]
    _check(ds, expected, image_tol=2.0)
