"""Write synthetic episodes, read them back: identical arrays, strings, indices, stats."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq

from simplevla.data import load_dataset


def test_roundtrip_arrays_and_strings(small_dataset):
    root, eps = small_dataset
    ds = load_dataset(root)
    assert len(ds) == sum(len(e["action"]) for e in eps)
    assert ds.meta.total_episodes == len(eps)
    i = 0
    for e, ep in enumerate(eps):
        for t in range(len(ep["action"])):
            item = ds[i]
            np.testing.assert_array_equal(item["observation.image"], ep["observation.image"][t])
            np.testing.assert_array_equal(item["observation.state"], ep["observation.state"][t])
            np.testing.assert_array_equal(item["action"], ep["action"][t])
            assert item["next.done"] == ep["next.done"][t] and item["next.success"] == ep["next.success"][t]
            assert item["next.reward"] == ep["next.reward"][t]
            assert item["task"] == ep["task"]
            assert (item["episode_index"], item["frame_index"], item["index"]) == (e, t, i)
            assert np.isclose(item["timestamp"], t / 10)
            i += 1


def test_layout_matches_lerobot(small_dataset):
    root, eps = small_dataset
    info = json.loads((root / "meta/info.json").read_text())
    assert info["codebase_version"] == "v3.0" and info["fps"] == 10
    assert info["total_frames"] == sum(len(e["action"]) for e in eps)
    assert info["features"]["observation.image"]["names"] == ["height", "width", "channels"]
    schema = pq.read_schema(root / "data/chunk-000/file-000.parquet")
    assert str(schema.field("observation.image").type) == "struct<bytes: binary, path: string>"
    assert str(schema.field("action").type) == "fixed_size_list<element: float>[2]"
    assert str(schema.field("next.done").type) == "bool"
    hf = json.loads(schema.metadata[b"huggingface"])["info"]["features"]
    assert hf["observation.image"] == {"_type": "Image"}
    assert hf["action"]["_type"] == "List" and hf["action"]["length"] == 2
    tasks = pq.read_table(root / "meta/tasks.parquet")
    assert tasks.column_names == ["task_index", "__index_level_0__"]
    assert b"pandas" in tasks.schema.metadata
    ep = pq.read_table(root / "meta/episodes/chunk-000/file-000.parquet").to_pylist()
    assert [r["length"] for r in ep] == [len(e["action"]) for e in eps]
    assert ep[2]["dataset_from_index"] == 6 and ep[2]["dataset_to_index"] == 13
    assert np.asarray(ep[0]["stats/observation.image/mean"]).shape == (3, 1, 1)


def test_stats_against_numpy(small_dataset):
    root, eps = small_dataset
    stats = json.loads((root / "meta/stats.json").read_text())
    act = np.concatenate([e["action"] for e in eps]).astype(np.float64)
    np.testing.assert_allclose(stats["action"]["mean"], act.mean(0))
    np.testing.assert_allclose(stats["action"]["std"], act.std(0))
    np.testing.assert_allclose(stats["action"]["q90"], np.quantile(act, 0.9, axis=0))
    assert stats["action"]["count"] == [len(act)]
    img = np.concatenate([e["observation.image"] for e in eps]).reshape(-1, 3) / 255.0
    np.testing.assert_allclose(np.asarray(stats["observation.image"]["mean"]).ravel(), img.mean(0))
    np.testing.assert_allclose(np.asarray(stats["observation.image"]["std"]).ravel(), img.std(0))
    np.testing.assert_allclose(np.asarray(stats["observation.image"]["max"]).ravel(), img.max(0))
    q50 = np.quantile(img, 0.5, axis=0, method="inverted_cdf")
    np.testing.assert_allclose(np.asarray(stats["observation.image"]["q50"]).ravel(), q50)
    for name in ("min", "max", "mean", "std", "count", "q01", "q10", "q50", "q90", "q99"):
        assert name in stats["observation.state"]


def test_per_episode_stats_match_numpy(small_dataset):
    root, eps = small_dataset
    rows = pq.read_table(root / "meta/episodes/chunk-000/file-000.parquet").to_pylist()
    start = 0
    for e, (row, ep) in enumerate(zip(rows, eps, strict=True)):
        n = len(ep["action"])
        idx = np.arange(start, start + n)
        for key, values in (
            ("index", idx),
            ("frame_index", np.arange(n)),
            ("timestamp", np.arange(n) / 10),
            ("episode_index", np.full(n, e)),
            ("action", ep["action"]),
        ):
            v = np.asarray(values, np.float64).reshape(n, -1)
            np.testing.assert_allclose(row[f"stats/{key}/mean"], v.mean(0), atol=1e-9)
            np.testing.assert_allclose(row[f"stats/{key}/q10"], np.quantile(v, 0.1, axis=0), atol=1e-9)
            np.testing.assert_allclose(row[f"stats/{key}/min"], v.min(0))
            assert row[f"stats/{key}/count"] == [n]
        start += n
