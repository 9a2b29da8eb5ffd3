"""Training cache and WindowSampler: windows and padding at episode edges, split by episode, exact order."""

from __future__ import annotations

import os

import numpy as np
import pyarrow.parquet as pq
import pytest
from data_synth import write_synthetic

from simplevla.data import WindowSampler, build_cache
from simplevla.data.frames import CompressedFrames

LENGTHS = [
    5,
    1,
    7,
    3,
    9,
    4,
]  # episode e covers frames [ends[e-1], ends[e]); state = (e, t), action = (1000+e, t)


@pytest.fixture(scope="module")
def cache(small_dataset):
    return build_cache(small_dataset[0])


def test_cache_matches_dataset(cache, small_dataset):
    eps = small_dataset[1]
    assert cache.path.parent == small_dataset[0] / ".cache"
    np.testing.assert_array_equal(cache.episode_ends, np.cumsum(LENGTHS))
    np.testing.assert_array_equal(cache.images, np.concatenate([e["observation.image"] for e in eps]))
    np.testing.assert_array_equal(cache.actions, np.concatenate([e["action"] for e in eps]))
    assert [cache.tasks[i] for i in cache.frame_task] == [e["task"] for e in eps for _ in e["action"]]
    assert isinstance(cache.images, CompressedFrames) and cache.info["total_episodes"] == 6
    assert set(cache.stats["action"]) >= {"min", "max", "mean", "std"}


def test_cache_reused_then_rebuilt_when_dataset_changes(tmp_path):
    root = tmp_path / "ds"
    write_synthetic(root, [3, 4])
    first = build_cache(root)
    mtime = os.stat(first.path / "frames.zst").st_mtime_ns
    assert build_cache(root).path == first.path and os.stat(first.path / "frames.zst").st_mtime_ns == mtime
    write_synthetic(root, [3, 4, 5])  # re-recorded: new files, new key, new cache
    second = build_cache(root)
    assert second.path != first.path and len(second.frame_task) == 12


def test_full_disk_is_a_clear_error_and_leaves_no_cache(tmp_path, monkeypatch):
    import errno

    from simplevla.data import cache as cache_mod
    from simplevla.errors import SimplevlaError

    root = tmp_path / "ds"
    write_synthetic(root, [3, 4])

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cache_mod, "write_frames", full)  # the serial build
    monkeypatch.setattr(cache_mod, "write_parts", full)  # the build by worker processes
    with pytest.raises(SimplevlaError, match=r"\.cache/[0-9a-f]+: the disk is full.*nothing was changed"):
        build_cache(root)
    assert not (root / ".cache").exists()  # the half-built cache directory, and its parent, were removed


def test_cache_frames_equal_the_datasets_frames(tmp_path):
    """The compressed cache returns, frame for frame, what decoding the dataset's PNGs gives."""
    from simplevla.data import load_dataset

    root = tmp_path / "ds"
    write_synthetic(root, [30, 40, 25])
    cache = build_cache(root)
    raw = np.concatenate(list(load_dataset(root).iter_images("observation.image", 16)))
    np.testing.assert_array_equal(cache.images[np.arange(len(raw))], raw)
    idx = np.array([[94, 0], [17, 17]])
    np.testing.assert_array_equal(cache.images[idx], raw[idx])


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_cache_built_by_worker_processes_equals_the_serial_build(tmp_path, monkeypatch, workers):
    """Row groups of 16 frames (the writer's usual ~8k, shrunk) decoded and compressed by worker
    processes: the same frames, in order, as the dataset's PNGs and as the one-process build, byte for byte."""
    from simplevla.data import load_dataset, writer

    monkeypatch.setattr(writer, "ROW_GROUP_FRAMES", 16)
    root = tmp_path / "ds"
    write_synthetic(root, [30, 40, 25, 9, 12, 7, 20])
    ds = load_dataset(root)
    groups = [pq.ParquetFile(f).metadata.num_row_groups for f in ds.files]
    assert sum(groups) >= 5  # more row groups than workers
    raw = np.concatenate(list(ds.iter_images("observation.image", 16)))
    serial = build_cache(root, tmp_path / "serial", workers=1)
    built = build_cache(root, tmp_path / "pool", workers=workers)
    np.testing.assert_array_equal(built.images[np.arange(len(raw))], raw)
    for name in ("frames.zst", "frame_offsets.npy", "states.npy", "actions.npy", "frame_task.npy"):
        assert (built.path / name).read_bytes() == (serial.path / name).read_bytes(), name


def test_cache_worker_errors_name_file_column_and_row(tmp_path, monkeypatch):
    """A frame that does not decode, met by a worker process, is the serial reader's error: file, column, row."""
    import pyarrow as pa

    from simplevla.data import writer
    from simplevla.errors import SimplevlaError

    monkeypatch.setattr(writer, "ROW_GROUP_FRAMES", 16)
    root = tmp_path / "ds"
    write_synthetic(root, [30, 20])
    path = next((root / "data").rglob("*.parquet"))
    table = pq.read_table(path)
    images = table.column("observation.image").combine_chunks()
    blobs = images.field("bytes").to_pylist()
    blobs[37] = b"not a png"
    broken = pa.StructArray.from_arrays(
        [pa.array(blobs, pa.binary()), images.field("path")], ["bytes", "path"]
    )
    table = table.set_column(table.schema.get_field_index("observation.image"), "observation.image", broken)
    pq.write_table(table, path, row_group_size=16)
    with pytest.raises(SimplevlaError, match=r"file-000\.parquet: column 'observation.image' row 37 is not"):
        build_cache(root, tmp_path / "cache", workers=2)
    assert not any((tmp_path / "cache").glob("*/frames.zst"))


def test_window_and_padding_at_episode_edges(cache):
    s = WindowSampler(cache, chunk_size=4, n_obs_steps=3, split="all")
    # episode 2 spans frames 6..12; sample frame 6 (its first) and 11 (second to last)
    b = s.get_batch(np.array([6, 11, 5]))
    state, action, pad = b["observation.state"].numpy(), b["action"].numpy(), b["action_is_pad"].numpy()
    assert state.shape == (3, 3, 2) and b["observation.image"].shape == (3, 3, 3, 16, 16)
    np.testing.assert_array_equal(state[0], [[2, 0], [2, 0], [2, 0]])  # history repeats the first frame
    np.testing.assert_array_equal(state[1], [[2, 3], [2, 4], [2, 5]])
    np.testing.assert_array_equal(action[1], [[1002, 5], [1002, 6], [1002, 6], [1002, 6]])  # repeats last
    np.testing.assert_array_equal(pad[1], [False, False, True, True])
    np.testing.assert_array_equal(pad[0], [False] * 4)
    np.testing.assert_array_equal(action[2], [[1001, 0]] * 4)  # one-frame episode 1
    np.testing.assert_array_equal(pad[2], [False, True, True, True])
    assert b["task"] == ["separate the two blocks", "separate the two blocks", "touch the blue circle"]
    assert b["task_index"].tolist() == cache.frame_task[[6, 11, 5]].tolist()
    img = b["observation.image"].numpy()
    np.testing.assert_allclose(img[1, 2], cache.images[11].transpose(2, 0, 1) / 255.0, rtol=1e-6)


def test_single_step_shapes(cache):
    b = WindowSampler(cache, split="all").get_batch(np.arange(4))
    assert b["observation.image"].shape == (4, 3, 16, 16) and b["observation.state"].shape == (4, 2)
    assert b["action"].shape == (4, 1, 2) and b["action_is_pad"].shape == (4, 1)
    assert 0.0 <= float(b["observation.image"].min()) and float(b["observation.image"].max()) <= 1.0


def test_split_is_by_episode(cache):
    train = WindowSampler(cache, split="train", val_fraction=0.34, seed=3)
    val = WindowSampler(cache, split="val", val_fraction=0.34, seed=3)
    ep_of = np.repeat(np.arange(len(LENGTHS)), LENGTHS)
    train_eps, val_eps = set(ep_of[train.frames]), set(ep_of[val.frames])
    assert not train_eps & val_eps and train_eps | val_eps == set(range(6)) and len(val_eps) == 2
    assert len(train) + len(val) == sum(LENGTHS)
    for e in val_eps:  # every frame of a val episode is in val
        assert (ep_of[val.frames] == e).sum() == LENGTHS[e]


def test_batch_indices_pure_function_of_seed_and_step(cache):
    a, b = WindowSampler(cache, split="all", seed=1), WindowSampler(cache, split="all", seed=1)
    n = len(a)
    steps = [a.batch_indices(k, 8) for k in range(10)]
    assert [b.batch_indices(k, 8).tolist() for k in (7, 2, 9)] == [steps[k].tolist() for k in (7, 2, 9)]
    per_epoch = n // 8
    epoch0 = np.concatenate(steps[:per_epoch])
    assert len(set(epoch0.tolist())) == len(epoch0)  # no repeats within an epoch
    expect = np.random.default_rng([1, 0]).permutation(n)[:8]
    np.testing.assert_array_equal(steps[0], expect)
    assert not np.array_equal(WindowSampler(cache, split="all", seed=2).batch_indices(0, 8), steps[0])
