"""Malformed datasets raise SimplevlaError naming the file and the field, never a pyarrow traceback."""

from __future__ import annotations

import json
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from simplevla.data import load_dataset
from simplevla.errors import SimplevlaError

DATA = "data/chunk-000/file-000.parquet"
EPISODES = "meta/episodes/chunk-000/file-000.parquet"


@pytest.fixture
def ds_copy(small_dataset, tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(small_dataset[0], root)
    return root


def _edit_info(root, fn):
    info = json.loads((root / "meta/info.json").read_text())
    fn(info)
    (root / "meta/info.json").write_text(json.dumps(info))


def _raises(root, *fragments):
    with pytest.raises(SimplevlaError) as e:
        load_dataset(root)
    for f in fragments:
        assert f in str(e.value), str(e.value)


def test_missing_info(ds_copy):
    (ds_copy / "meta/info.json").unlink()
    _raises(ds_copy, "info.json", "missing")


def test_unknown_codebase_version(ds_copy):
    _edit_info(ds_copy, lambda i: i.update(codebase_version="v9.9"))
    _raises(ds_copy, "info.json", "codebase_version", "v9.9")


def test_missing_column(ds_copy):
    path = ds_copy / DATA
    pq.write_table(pq.read_table(path).drop_columns(["action"]), path)
    _raises(ds_copy, DATA, "'action'")


def test_wrong_feature_shape(ds_copy):
    _edit_info(ds_copy, lambda i: i["features"]["observation.state"].update(shape=[3]))
    _raises(ds_copy, DATA, "observation.state", "[3]")


def test_wrong_image_shape(ds_copy):
    _edit_info(ds_copy, lambda i: i["features"]["observation.image"].update(shape=[32, 32, 3]))
    _raises(ds_copy, DATA, "observation.image", "[32, 32, 3]")


def test_truncated_parquet(ds_copy):
    path = ds_copy / DATA
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    _raises(ds_copy, DATA, "truncated")


def test_garbage_parquet(ds_copy):
    (ds_copy / EPISODES).write_bytes(b"this is not parquet at all" * 10)
    _raises(ds_copy, EPISODES, "episodes table")


def test_garbage_tasks(ds_copy):
    (ds_copy / "meta/tasks.parquet").write_bytes(b"\x00" * 100)
    _raises(ds_copy, "tasks.parquet")


def test_total_frames_mismatch(ds_copy):
    _edit_info(ds_copy, lambda i: i.update(total_frames=i["total_frames"] + 1))
    _raises(ds_copy, "info.json", "total_frames")


def test_episode_ranges_do_not_add_up(ds_copy):
    path = ds_copy / EPISODES
    t = pq.read_table(path)
    col = t["dataset_to_index"].to_pylist()
    col[1] += 1
    t = t.set_column(
        t.schema.get_field_index("dataset_to_index"), "dataset_to_index", pa.array(col, pa.int64())
    )
    pq.write_table(t, path)
    _raises(ds_copy, "meta/episodes", "episode row 1", "dataset_to_index")


def test_index_column_does_not_add_up(ds_copy):
    path = ds_copy / DATA
    t = pq.read_table(path)
    idx = t["index"].to_pylist()
    idx[3] = 99
    t = t.set_column(
        t.schema.get_field_index("index"), pa.field("index", pa.int64()), pa.array(idx, pa.int64())
    )
    pq.write_table(t, path)
    _raises(ds_copy, "data", "'index'", "row 3")


def test_task_index_out_of_range(ds_copy):
    path = ds_copy / DATA
    t = pq.read_table(path)
    ti = t["task_index"].to_pylist()
    ti[0] = 7
    t = t.set_column(
        t.schema.get_field_index("task_index"), pa.field("task_index", pa.int64()), pa.array(ti, pa.int64())
    )
    pq.write_table(t, path)
    _raises(ds_copy, "task_index", "tasks.parquet")
