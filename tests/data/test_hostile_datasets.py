"""Datasets a stranger wrote: every malformed or hostile one is refused with a SimplevlaError that names the
file and the field, within bounded time and memory, and leaves the dataset directory byte for byte as it was.

Each case corrupts a copy of a small valid dataset, then opens it the way training does: `load_dataset`,
every frame through `ds[i]`, and `build_cache` (which decodes every image).
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import zlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import refusal

from simplevla.data import build_cache, load_dataset
from simplevla.data.validate import REQUIRED_INFO

DATA = "data/chunk-000/file-000.parquet"
EPISODES = "meta/episodes/chunk-000/file-000.parquet"
INFO = "meta/info.json"
TASKS = "meta/tasks.parquet"
STATS = "meta/stats.json"
SECONDS, PEAK_MB = 20.0, 256  # bounds per case: wall time, and peak Python/numpy allocation


def open_everything(root: Path) -> None:
    ds = load_dataset(root)
    for i in range(len(ds)):
        ds[i]
    build_cache(root)


def assert_refused(root: Path, *fragments: str) -> str:
    return refusal.assert_refused(root, lambda: open_everything(root), fragments, SECONDS, PEAK_MB)


# ----------------------------------------------------------------------------------------------- helpers


def _edit_info(root: Path, fn) -> None:
    info = json.loads((root / INFO).read_text())
    fn(info)
    (root / INFO).write_text(json.dumps(info))


def _edit_table(path: Path, fn) -> None:
    t = pq.read_table(path)
    pq.write_table(fn(t), path)


def _set_column(t: pa.Table, name: str, values, typ=None) -> pa.Table:
    arr = pa.array(values, typ or t.schema.field(name).type)
    return t.set_column(t.schema.get_field_index(name), pa.field(name, arr.type), arr)


def _set_lowdim(root: Path, name: str, row: int, value) -> None:
    def fn(t):
        rows = t[name].to_pylist()
        if isinstance(rows[row], list):
            rows[row] = [value] * len(rows[row])
        else:
            rows[row] = value
        return _set_column(t, name, rows)

    _edit_table(root / DATA, fn)


def _set_image(root: Path, row: int, data: bytes | None, path: str | None = None) -> None:
    def fn(t):
        rows = t["observation.image"].to_pylist()
        rows[row] = {"bytes": data, "path": path}
        return _set_column(t, "observation.image", rows)

    _edit_table(root / DATA, fn)


def _set_episode_ints(root: Path, column: str, row: int, value: int) -> None:
    def fn(t):
        col = t[column].to_pylist()
        col[row] = value
        return _set_column(t, column, col, pa.int64())

    _edit_table(root / EPISODES, fn)


def _png_header_only(w: int, h: int) -> bytes:
    """A tiny file whose PNG header claims a w x h RGB image (a decompression bomb's first bytes)."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    idat = zlib.compress(b"\x00" * 4096, 9)
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _png(img: np.ndarray) -> bytes:
    from simplevla.data.png import encode_png

    return encode_png(img)


def _truncate(path: Path, keep: float | int) -> None:
    data = path.read_bytes()
    n = int(len(data) * keep) if isinstance(keep, float) else len(data) + keep
    path.write_bytes(data[:n])


# ------------------------------------------------------------------------------------------------ cases
# Each case: (id, mutate(root, outside), fragments the error message must hold). `outside` is a directory
# beside the dataset, holding a file `secret.parquet` (a valid data file) and `secret.png`.

CASES = [
    # corrupt or truncated parquet
    ("data_truncated_half", lambda r, o: _truncate(r / DATA, 0.5), [DATA]),
    ("data_missing_footer", lambda r, o: _truncate(r / DATA, -8), [DATA]),
    ("data_zero_bytes", lambda r, o: (r / DATA).write_bytes(b""), [DATA]),
    ("data_random_bytes", lambda r, o: (r / DATA).write_bytes(os.urandom(4096)), [DATA]),
    ("episodes_truncated", lambda r, o: _truncate(r / EPISODES, 0.6), [EPISODES]),
    ("tasks_truncated", lambda r, o: _truncate(r / TASKS, 0.5), [TASKS]),
    ("data_missing_file", lambda r, o: (r / DATA).unlink(), [DATA, "missing"]),
    # wrong dtypes or shapes
    (
        "action_as_strings",
        lambda r, o: _edit_table(
            r / DATA,
            lambda t: _set_column(
                t, "action", [[str(v) for v in x] for x in t["action"].to_pylist()], pa.list_(pa.string(), 2)
            ),
        ),
        [DATA, "'action'"],
    ),
    (
        "action_three_wide",
        lambda r, o: _edit_table(
            r / DATA,
            lambda t: _set_column(
                t, "action", [[*x, 0.0] for x in t["action"].to_pylist()], pa.list_(pa.float32(), 3)
            ),
        ),
        [DATA, "'action'"],
    ),
    (
        "action_ragged_lists",
        lambda r, o: _edit_table(
            r / DATA,
            lambda t: _set_column(
                t,
                "action",
                [x[:1] if i == 3 else x for i, x in enumerate(t["action"].to_pylist())],
                pa.list_(pa.float32()),
            ),
        ),
        [DATA, "'action'"],
    ),
    (
        "state_scalar_column",
        lambda r, o: _edit_table(
            r / DATA,
            lambda t: _set_column(
                t, "observation.state", [x[0] for x in t["observation.state"].to_pylist()], pa.float32()
            ),
        ),
        [DATA, "'observation.state'"],
    ),
    (
        "image_column_not_struct",
        lambda r, o: _edit_table(
            r / DATA, lambda t: _set_column(t, "observation.image", [b"x"] * t.num_rows, pa.binary())
        ),
        [DATA, "'observation.image'"],
    ),
    (
        "feature_dtype_unknown",
        lambda r, o: _edit_info(r, lambda i: i["features"]["action"].update(dtype="complex_quaternion")),
        [INFO, "features.action", "dtype"],
    ),
    (
        "feature_shape_not_ints",
        lambda r, o: _edit_info(r, lambda i: i["features"]["action"].update(shape=["two"])),
        [INFO, "features.action", "shape"],
    ),
    (
        "image_shape_huge",
        lambda r, o: _edit_info(
            r, lambda i: i["features"]["observation.image"].update(shape=[100000, 100000, 3])
        ),
        [INFO, "observation.image"],
    ),
    # meta/info.json fields missing or of the wrong type
    *[
        (f"info_missing_{k}", lambda r, o, k=k: _edit_info(r, lambda i: i.pop(k)), [INFO, f"'{k}'"])
        for k in REQUIRED_INFO
    ],
    (
        "info_features_a_list",
        lambda r, o: _edit_info(r, lambda i: i.update(features=["action"])),
        [INFO, "features"],
    ),
    ("info_fps_a_word", lambda r, o: _edit_info(r, lambda i: i.update(fps="ten")), [INFO, "'fps'"]),
    ("info_fps_zero", lambda r, o: _edit_info(r, lambda i: i.update(fps=0)), [INFO, "'fps'"]),
    (
        "info_total_frames_a_string",
        lambda r, o: _edit_info(r, lambda i: i.update(total_frames="57")),
        [INFO, "'total_frames'"],
    ),
    ("info_a_list", lambda r, o: (r / INFO).write_text("[1, 2, 3]"), [INFO, "JSON object"]),
    ("info_binary_garbage", lambda r, o: (r / INFO).write_bytes(b"\xff\xfe\x00garbage"), [INFO]),
    ("stats_a_list", lambda r, o: (r / STATS).write_text("[1, 2]"), [STATS, "JSON object"]),
    ("stats_not_json", lambda r, o: (r / STATS).write_text("{nope"), [STATS]),
    # episode indices that overlap, leave gaps or repeat
    (
        "episodes_overlap",
        lambda r, o: _set_episode_ints(r, "dataset_from_index", 2, 3),
        [EPISODES.rsplit("/", 2)[0], "episode row 2"],
    ),
    (
        "episodes_gap",
        lambda r, o: _set_episode_ints(r, "dataset_from_index", 2, 9),
        [EPISODES.rsplit("/", 2)[0], "episode row 2"],
    ),
    (
        "episode_index_repeated",
        lambda r, o: _set_episode_ints(r, "episode_index", 3, 2),
        [EPISODES.rsplit("/", 2)[0], "episode"],
    ),
    (
        "episode_length_negative",
        lambda r, o: _set_episode_ints(r, "length", 1, -1),
        [EPISODES.rsplit("/", 2)[0], "episode row 1"],
    ),
    (
        "frame_episode_index_wrong",
        lambda r, o: _edit_table(r / DATA, lambda t: _set_column(t, "episode_index", [0] * t.num_rows)),
        ["data", "'episode_index'"],
    ),
    # NaN and inf
    ("action_nan", lambda r, o: _set_lowdim(r, "action", 7, float("nan")), [DATA, "'action'", "row 7"]),
    ("action_inf", lambda r, o: _set_lowdim(r, "action", 0, float("inf")), [DATA, "'action'", "row 0"]),
    (
        "state_nan",
        lambda r, o: _set_lowdim(r, "observation.state", 11, float("nan")),
        [DATA, "'observation.state'", "row 11"],
    ),
    (
        "state_minus_inf",
        lambda r, o: _set_lowdim(r, "observation.state", 28, float("-inf")),
        [DATA, "'observation.state'", "row 28"],
    ),
    (
        "reward_nan",
        lambda r, o: _set_lowdim(r, "next.reward", 4, float("nan")),
        [DATA, "'next.reward'", "row 4"],
    ),
    # images that are not what they claim
    (
        "png_garbage_first_frame",
        lambda r, o: _set_image(r, 0, b"GIF89a not a png"),
        [DATA, "'observation.image'", "row 0"],
    ),
    (
        "png_garbage_later_frame",
        lambda r, o: _set_image(r, 20, os.urandom(300)),
        [DATA, "'observation.image'", "row 20"],
    ),
    (
        "png_truncated",
        lambda r, o: _set_image(r, 5, _png(np.zeros((16, 16, 3), np.uint8))[:40]),
        [DATA, "'observation.image'", "row 5"],
    ),
    (
        "png_wrong_size_later_frame",
        lambda r, o: _set_image(r, 13, _png(np.zeros((8, 8, 3), np.uint8))),
        [DATA, "'observation.image'", "row 13"],
    ),
    (
        "png_header_claims_gigapixels",
        lambda r, o: _set_image(r, 9, _png_header_only(60000, 60000)),
        [DATA, "'observation.image'", "row 9"],
    ),
    (
        "image_neither_bytes_nor_path",
        lambda r, o: _set_image(r, 2, None),
        [DATA, "'observation.image'", "row 2"],
    ),
    # path traversal and symlinks out of the dataset
    (
        "image_path_escapes",
        lambda r, o: _set_image(r, 3, None, "../outside/secret.png"),
        [DATA, "'observation.image'", "row 3", "outside the dataset"],
    ),
    (
        "image_path_absolute",
        lambda r, o: _set_image(r, 3, None, str(o / "secret.png")),
        [DATA, "'observation.image'", "row 3", "outside the dataset"],
    ),
    (
        "data_path_escapes",
        lambda r, o: _edit_info(r, lambda i: i.update(data_path="../outside/secret.parquet")),
        [INFO, "'data_path'"],
    ),
    (
        "data_path_absolute",
        lambda r, o: _edit_info(r, lambda i: i.update(data_path=str(o / "secret.parquet"))),
        [INFO, "'data_path'"],
    ),
    (
        "data_path_bad_template",
        lambda r, o: _edit_info(r, lambda i: i.update(data_path="data/{nope}.parquet")),
        [INFO, "'data_path'"],
    ),
    (
        "video_path_escapes",
        lambda r, o: _edit_info(r, lambda i: i.update(video_path="../../../{video_key}/{chunk_index}.mp4")),
        [INFO, "'video_path'"],
    ),
    (
        "data_file_symlink_out",
        lambda r, o: ((r / DATA).unlink(), (r / DATA).symlink_to(o / "secret.parquet")),
        [DATA, "outside the dataset"],
    ),
    (
        "meta_dir_symlink_out",
        lambda r, o: _swap_for_link(r / "meta", o / "meta"),
        ["meta", "outside the dataset"],
    ),
    (
        "info_symlink_out",
        lambda r, o: _swap_for_link(r / INFO, o / "info.json"),
        [INFO, "outside the dataset"],
    ),
]


def _swap_for_link(path: Path, target: Path) -> None:
    """Move `path` to `target` (outside the dataset) and leave a symlink to it in its place."""
    shutil.move(path, target)
    path.symlink_to(target)


@pytest.fixture
def dataset_and_outside(small_dataset, tmp_path):
    root = tmp_path / "ds"
    shutil.copytree(small_dataset[0], root)
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copy(root / DATA, outside / "secret.parquet")
    (outside / "secret.png").write_bytes(_png(np.zeros((16, 16, 3), np.uint8)))
    return root, outside


def test_the_unmodified_copy_opens(dataset_and_outside, small_dataset):
    """The baseline every case mutates reads back exactly what was written, item by item and cached."""
    root, _ = dataset_and_outside
    written = small_dataset[1]
    ds = load_dataset(root)
    for key in ("observation.image", "observation.state", "action"):
        expected = np.concatenate([ep[key] for ep in written])  # (N, ...)
        assert len(ds) == len(expected) > 0
        np.testing.assert_array_equal(np.stack([ds[i][key] for i in range(len(ds))]), expected)
    assert [ds[i]["task"] for i in range(len(ds))] == [ep["task"] for ep in written for _ in ep["action"]]
    cache = build_cache(root)
    np.testing.assert_array_equal(cache.images, np.concatenate([ep["observation.image"] for ep in written]))


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_hostile_dataset_is_refused(dataset_and_outside, case):
    root, outside = dataset_and_outside
    _, mutate, fragments = case
    mutate(root, outside)
    assert_refused(root, *[str(root / f) if "/" in f else f for f in fragments])


# ------------------------------------------------------------------------------------------------ video


def _rewrite_video(path: Path, keep: int) -> None:
    """Re-encode an mp4 keeping only its first `keep` frames."""
    import av

    with av.open(str(path)) as src:
        frames = [f.to_ndarray(format="rgb24") for f in src.decode(video=0)]
    tmp = path.with_suffix(".new.mp4")
    with av.open(str(tmp), "w") as dst:
        stream = dst.add_stream("libx264" if "libx264" in av.codecs_available else "mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv420p"
        for img in frames[:keep]:
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                dst.mux(packet)
        for packet in stream.encode():
            dst.mux(packet)
    os.replace(tmp, path)


@pytest.fixture
def video_dataset(fixtures_dir, tmp_path):
    pytest.importorskip("av", reason="the video dtype needs the optional 'video' extra (PyAV)")
    root = tmp_path / "video"
    shutil.copytree(fixtures_dir / "lerobot_v3_video", root)
    return root, next((root / "videos").rglob("*.mp4"))


def test_video_fixture_copy_opens(video_dataset, fixtures_dir):
    """The baseline the video cases mutate decodes to LeRobot's own frames (.expected.npz; lossy codec)."""
    root, _ = video_dataset
    expected = np.load(fixtures_dir / "lerobot_v3_video.expected.npz")
    ds = load_dataset(root)
    images = np.stack([ds[i]["observation.image"] for i in range(len(ds))])  # (N, H, W, 3)
    assert images.dtype == np.uint8 and images.shape == expected["observation.image"].shape
    assert np.abs(images.astype(np.float64) - expected["observation.image"]).mean() <= 2.0
    np.testing.assert_array_equal(np.stack([ds[i]["action"] for i in range(len(ds))]), expected["action"])


def test_video_shorter_than_its_index_is_refused(video_dataset):
    root, mp4 = video_dataset
    _rewrite_video(mp4, keep=8)
    assert_refused(root, str(mp4), "from_timestamp")


def test_video_that_is_not_a_video_is_refused(video_dataset):
    root, mp4 = video_dataset
    mp4.write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(2000))
    assert_refused(root, str(mp4))
