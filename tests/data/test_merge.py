"""`record --shard I/N`, `data merge` and `data validate`: shards merge into the dataset one recording of
all their seeds gives (frames, tasks, stats); mismatched or overlapping datasets are refused."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from simplevla.collect.commands import RecordCommand, parse_shard
from simplevla.data import load_dataset
from simplevla.data.commands import DataMergeCommand, DataValidateCommand
from simplevla.errors import SimplevlaError


def _record(out, episodes, size=32, **kw):
    return RecordCommand(out=out, episodes=episodes, size=size, progress=False, **kw).run()


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    root = tmp_path_factory.mktemp("shards")
    parts = [_record(root / f"part{i}", 3, shard=f"{i}/2") for i in range(2)]
    whole = _record(root / "whole", 6)
    return root, parts, whole


def test_shard_seeds_are_disjoint_blocks(shards):
    _, parts, whole = shards
    assert [p["seeds"] for p in parts] == [[0, 3], [3, 6]] and whole["seeds"] == [0, 6]
    assert parse_shard("2/3") == (2, 3)
    for bad in ("3/3", "1", "a/b", "-1/2", "1/0"):
        with pytest.raises(SimplevlaError, match="--shard must be I/N"):
            parse_shard(bad)
    with pytest.raises(SimplevlaError, match="instead of --resume"):
        RecordCommand(out=shards[0] / "x", episodes=2, shard="0/2", resume=True)


def test_merge_of_shards_equals_one_recording(shards):
    root, _, _ = shards
    result = DataMergeCommand(dirs=(root / "part0", root / "part1"), out=root / "merged").run()
    assert result["total_episodes"] == 6 - 0 and result["seed_ranges"] == [[0, 6]]
    merged, whole = load_dataset(root / "merged"), load_dataset(root / "whole")
    assert merged.meta.tasks == whole.meta.tasks and len(merged) == len(whole)
    assert [e["episode_index"] for e in merged.meta.episodes] == list(range(merged.meta.total_episodes))
    for key in whole.columns:
        np.testing.assert_array_equal(merged.columns[key], whole.columns[key], err_msg=key)
    np.testing.assert_array_equal(
        np.concatenate(list(merged.iter_images("observation.image"))),
        np.concatenate(list(whole.iter_images("observation.image"))),
    )
    stats = [json.loads((r / "meta/stats.json").read_text()) for r in (root / "merged", root / "whole")]
    assert stats[0] == stats[1]
    assert merged.meta.features == whole.meta.features
    assert [m["path"] for m in merged.meta.info["simplevla"]["merged_from"]] == [
        str(root / "part0"),
        str(root / "part1"),
    ]
    assert DataValidateCommand(dir=root / "merged").run()["frames_decoded"] == {
        "observation.image": len(whole)
    }


def test_merge_refuses_other_features_overlaps_and_existing_out(shards, tmp_path):
    root, _, _ = shards
    _record(tmp_path / "small", 1, size=48, seed=100)
    with pytest.raises(SimplevlaError, match=r"features\.observation\.image\.shape.*cannot merge"):
        DataMergeCommand(dirs=(root / "part0", tmp_path / "small"), out=tmp_path / "m1").run()
    with pytest.raises(SimplevlaError, match="overlap 0..2 of .*part0.*same episodes twice"):
        DataMergeCommand(dirs=(root / "part0", root / "whole"), out=tmp_path / "m2").run()
    with pytest.raises(SimplevlaError, match="already exists"):
        DataMergeCommand(dirs=(root / "part0", root / "part1"), out=root / "whole").run()
    with pytest.raises(SimplevlaError, match="at least two"):
        DataMergeCommand(dirs=(root / "part0",), out=tmp_path / "m3").run()
    assert not (tmp_path / "m1").exists() and not (tmp_path / "m2").exists()


def test_validate_names_a_corrupt_frame(shards, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    bad = tmp_path / "bad"
    shutil.copytree(shards[0] / "part0", bad)
    path = next((bad / "data").rglob("*.parquet"))
    table = pq.read_table(path)
    col = table.column("observation.image").combine_chunks()
    blobs = col.field("bytes").to_pylist()
    blobs[2] = blobs[2][:20]  # a truncated PNG
    fixed = pa.StructArray.from_arrays(
        [pa.array(blobs, pa.binary()), col.field("path")], names=["bytes", "path"]
    )
    pq.write_table(
        table.set_column(table.schema.get_field_index("observation.image"), "observation.image", fixed), path
    )
    assert DataValidateCommand(dir=bad, frames=False).run()["ok"]  # metadata and columns are fine
    with pytest.raises(SimplevlaError, match=r"observation\.image.*row 2"):
        DataValidateCommand(dir=bad).run()
