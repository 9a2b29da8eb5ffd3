"""The recorder's fast paths equal the plain ones: TabletopEnv rollout, batched PNG/histogram/stats, the
columnar episodes table, and the renderer's partial redraws."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
from data_synth import TASKS, synthetic_episode

from simplevla import envs
from simplevla.collect.record import EnvSpec, run_episode
from simplevla.data.format import dataset_features
from simplevla.data.png import channel_hist, encode_png, encode_pngs, frames_hist
from simplevla.data.stats import index_columns, index_stats, lowdim_stats, lowdim_stats_many, serialize_stats
from simplevla.data.writer import DatasetWriter, make_episode
from simplevla.envs.tabletop.render import Renderer


class _PlainExpert(envs.Expert):
    """The stock expert under another class: `run_episode` then takes the generic Gymnasium loop."""


def test_fast_rollout_equals_gymnasium_loop():
    fast_env, slow_env = envs.TabletopEnv(size=32), envs.TabletopEnv(size=32)
    for seed in range(6):
        spec = EnvSpec(size=32, noise=0.2)
        fast, slow = (
            run_episode(fast_env, envs.Expert, spec, seed),
            run_episode(slow_env, _PlainExpert, spec, seed),
        )
        assert (fast is None) == (slow is None)
        if fast is None:
            continue
        assert fast.task == slow.task and fast.images == slow.images
        for k in slow.frames:
            np.testing.assert_array_equal(fast.frames[k], slow.frames[k])
            assert fast.frames[k].dtype == slow.frames[k].dtype
        np.testing.assert_array_equal(fast.stat_vec[0], slow.stat_vec[0])


def test_batched_png_hist_and_stats_match_per_item():
    rng = np.random.default_rng(0)
    frames = np.repeat(rng.integers(0, 256, (1, 16, 12, 3), dtype=np.uint8), 9, axis=0)
    frames[3:, 2:5, 1:4] = 9  # a few pixels change between frames, as in recorded video
    frames[6] = rng.integers(0, 256, (16, 12, 3), dtype=np.uint8)
    assert encode_pngs(frames) == [encode_png(f) for f in frames]
    for x in (frames, frames[:1], rng.integers(0, 256, (5, 8, 8, 3), dtype=np.uint8)):
        np.testing.assert_array_equal(frames_hist(x), channel_hist(x))
    arrays = {"a": rng.random((7, 2)).astype(np.float32), "b": rng.random(7) > 0.5, "c": np.arange(7)}
    many = lowdim_stats_many(arrays)
    for k, v in arrays.items():
        for name, ref in lowdim_stats(v).items():
            np.testing.assert_array_equal(many[k][name], ref)
            assert many[k][name].dtype == ref.dtype


def test_index_columns_match_per_episode_index_stats():
    cases = [(1, 0, 0, 0), (7, 123, 4, 2), (300, 10**7 + 3, 16000, 1234), (7, 9, 5, 3)]
    cols = index_columns(*[np.array(c) for c in zip(*cases, strict=True)], 10)
    for i, (n, start, e, t) in enumerate(cases):
        ref = serialize_stats(index_stats(n, start, e, t, 10))
        flat = {f"stats/{k}/{name}": v for k, st in ref.items() for name, v in st.items()}
        assert list(flat) == list(cols)
        assert all(cols[c][i].tolist() == v for c, v in flat.items())


def test_episodes_table_stats_match_recomputed(tmp_path):
    writer = DatasetWriter(tmp_path, dataset_features(16))
    eps = [make_episode(TASKS[e % 3], synthetic_episode(e, 3 + e)) for e in range(4)]
    for ep in eps:
        writer.add_episode(ep)
    writer.finalize()
    table = pq.read_table(next((tmp_path / "meta/episodes").rglob("*.parquet"))).to_pylist()
    for row, ep in zip(table, eps, strict=True):
        for k, v in ep.frames.items():
            for name, ref in serialize_stats({k: lowdim_stats(v)})[k].items():
                assert row[f"stats/{k}/{name}"] == ref, (k, name)


def test_renderer_partial_redraw_equals_fresh_render():
    rng = np.random.default_rng(1)
    shapes, colours = ["circle", "square", "triangle", "square"], ["red", "blue", "green", "yellow"]
    live = Renderer(48, shapes, colours)
    pos = rng.uniform(0.1, 0.9, (4, 2))
    for _ in range(30):
        moved = rng.integers(4)
        pos = pos.copy()
        pos[moved] = np.clip(pos[moved] + rng.normal(0, 0.05, 2), 0.0, 1.0)  # incl. touching the border
        pusher = rng.uniform(0.0, 1.0, 2)
        np.testing.assert_array_equal(
            live.render(pos, pusher), Renderer(48, shapes, colours).render(pos, pusher)
        )
