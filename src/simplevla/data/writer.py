"""Write a LeRobotDataset v3.0 directory from whole episodes (PNG-in-parquet images).

`DatasetWriter(root, features)` streams episodes into `data/chunk-*/file-*.parquet` (row groups of
about `ROW_GROUP_FRAMES` frames; a new file past `data_files_size_in_mb`), then `finalize()` writes
`meta/episodes/...`, `meta/tasks.parquet`, `meta/stats.json` and `meta/info.json`. It writes into
`root` in place: callers wrap it in `simplevla.atomic.atomic_dir` so a killed run leaves nothing half-done.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from simplevla import keys
from simplevla.atomic import atomic_dir, atomic_write_json
from simplevla.data import format as fmt
from simplevla.data.png import channel_hist, decode_png, encode_pngs, frames_hist
from simplevla.data.stats import (
    image_stats_from_hist,
    index_columns,
    lowdim_stats,
    lowdim_stats_many,
    serialize_stats,
    stat_vector,
    stat_width,
    stats_columns,
)
from simplevla.errors import SimplevlaError

ROW_GROUP_FRAMES = 8192


@dataclass
class Episode:
    """One episode ready to write: low-dim arrays (T, ...) and PNG-encoded frames per image key."""

    task: str
    frames: dict[str, np.ndarray]
    images: dict[str, list[bytes]] = field(default_factory=dict)
    hists: dict[str, np.ndarray] = field(default_factory=dict)  # (3, 256) pixel histogram per image key
    stats: dict[str, dict] = field(default_factory=dict)  # per-episode low-dim stats (computed if absent)
    seed: int | None = None
    # per-episode stats of the non-index features as `stats.stat_vector` (vector, offsets), precomputed by
    # `make_episode` in the recording workers; the writer computes any feature missing from it
    stat_vec: tuple[np.ndarray, dict[str, int]] | None = None

    def __len__(self) -> int:
        return len(next(iter(self.frames.values())))


def make_episode(task: str, arrays: dict[str, np.ndarray], seed: int | None = None) -> Episode:
    """Build an Episode from raw arrays; uint8 (T, H, W, 3) arrays are PNG-encoded as images."""
    frames, images, hists = {}, {}, {}
    for k, v in arrays.items():
        v = np.asarray(v)
        if v.dtype == np.uint8 and v.ndim == 4:
            images[k] = encode_pngs(v)
            hists[k] = frames_hist(v)
        else:
            frames[k] = v
    n = len(next(iter(frames.values()))) if frames else len(next(iter(images.values())))
    # all per-episode stats are computed here, i.e. in the recording worker
    stats = {k: image_stats_from_hist(h, n) for k, h in hists.items()} | lowdim_stats_many(frames)
    return Episode(
        task=task, frames=frames, images=images, hists=hists, seed=seed, stat_vec=stat_vector(stats)
    )


class DatasetWriter:
    """Streams episodes into a v3.0 dataset rooted at `root` (an empty or new directory)."""

    def __init__(
        self,
        root: str | Path,
        features: dict,
        fps: int = fmt.FPS,
        robot_type: str | None = None,
        data_files_size_in_mb: int = fmt.DATA_FILES_SIZE_MB,
    ):
        self.root, self.features, self.fps, self.robot_type = Path(root), features, fps, robot_type
        self.file_limit = data_files_size_in_mb * 1024 * 1024
        self.schema = fmt.data_schema(features)
        self.visual = [k for k, ft in features.items() if ft["dtype"] == "image"]
        self.lowdim = [
            k for k, ft in features.items() if not fmt.is_visual(ft) and k not in fmt.INDEX_FEATURES
        ]
        self.tasks: dict[str, int] = {}
        self.episodes: list[dict] = []
        self.n_frames = 0
        self._columns: dict[str, list] = {k: [] for k in self.schema.names}
        self._buffered = 0
        self._file_index, self._file_bytes, self._pq = 0, 0, None
        self._values: dict[str, list[np.ndarray]] = {
            k: [] for k in features if not fmt.is_visual(features[k])
        }
        self._hist = {k: np.zeros((3, 256), np.int64) for k in self.visual}
        self._layout = [  # (key, stats cell shape, integer min/max) of the per-episode stats columns
            (k, (3, 1, 1), False)
            if k in self.visual
            else ((k, (int(np.prod(features[k]["shape"])),), np.dtype(features[k]["dtype"]).kind in "iu"))
            for k in features
            if k in self.visual or k in self.lowdim
        ]
        self._stat_vecs: list[np.ndarray] = []  # per episode, laid out as self._layout

    def _check(self, ep: Episode) -> int:
        n = len(ep)
        if n < 1:
            raise ValueError("an episode needs at least one frame")
        for k in self.lowdim:
            if k not in ep.frames:
                raise ValueError(f"episode is missing feature {k!r}")
            want = tuple(self.features[k]["shape"])
            got = ep.frames[k].shape[1:] or (1,)
            if len(ep.frames[k]) != n or got != want:
                raise ValueError(f"feature {k!r}: got shape {ep.frames[k].shape}, want ({n}, *{list(want)})")
        for k in self.visual:
            if len(ep.images.get(k, [])) != n:
                raise ValueError(f"image feature {k!r}: need {n} PNG frames, got {len(ep.images.get(k, []))}")
        return n

    def add_episode(self, ep: Episode) -> int:
        """Append one episode; returns its episode_index."""
        n = self._check(ep)
        if self._pq is not None and self._file_bytes > self.file_limit:
            self._close_file()
            self._file_index += 1
        e, start = len(self.episodes), self.n_frames
        task_index = self.tasks.setdefault(ep.task, len(self.tasks))
        frame_index = np.arange(n, dtype=np.int64)
        cols = {k: ep.frames[k] for k in self.lowdim}
        cols[keys.TIMESTAMP] = (frame_index / self.fps).astype(np.float32)
        cols[keys.FRAME_INDEX] = frame_index
        cols[keys.EPISODE_INDEX] = np.full(n, e, np.int64)
        cols[keys.INDEX] = np.arange(start, start + n, dtype=np.int64)
        cols[keys.TASK_INDEX] = np.full(n, task_index, np.int64)
        for k in self.features:
            if k in self.visual:
                self._columns[k].extend(ep.images[k])
                self._hist[k] += ep.hists[k]
                self._file_bytes += sum(map(len, ep.images[k]))
            elif k in cols:
                v = np.asarray(cols[k]).astype(self.features[k]["dtype"], copy=False)
                self._columns[k].append(
                    v.reshape(n, -1) if self.features[k]["shape"] != [1] else v.reshape(n)
                )
                self._values[k].append(v.reshape(n, -1))
        self._file_bytes += n * 8 * len(cols)
        self._stat_vecs.append(self._stat_vector(ep, n))
        self.episodes.append(self._episode_row(e, ep.task, n, start))
        self.n_frames += n
        self._buffered += n
        if self._buffered >= ROW_GROUP_FRAMES:
            self._flush()
        return e

    def _stat_vector(self, ep: Episode, n: int) -> np.ndarray:
        """The episode's stats of the non-index features, laid out as self._layout: taken from the
        precomputed `ep.stat_vec` where it has a feature with the right size, computed here otherwise."""
        vec, offsets = ep.stat_vec or (np.zeros(0), {})
        parts = []
        for k, cell, _ in self._layout:
            at, w = offsets.get(k), stat_width(cell)
            if at is not None and at + w <= len(vec):
                parts.append(vec[at : at + w])
                continue
            st = image_stats_from_hist(ep.hists[k], n) if k in self.visual else ep.stats.get(k)
            st = st if st is not None else lowdim_stats(ep.frames[k])
            parts.append(stat_vector({k: st})[0])
        return np.concatenate(parts) if parts else np.zeros(0)

    def _episode_row(self, e: int, task: str, n: int, start: int) -> dict:
        return {
            "episode_index": e,
            "tasks": [task],
            "length": n,
            "data/chunk_index": self._file_index // fmt.CHUNKS_SIZE,
            "data/file_index": self._file_index % fmt.CHUNKS_SIZE,
            "dataset_from_index": start,
            "dataset_to_index": start + n,
        }

    def _episodes_table(self) -> pa.Table:
        """meta/episodes: the rows' scalars, then stats of the index columns and of the other features."""
        rows, columns = self.episodes, {}
        for name in rows[0]:
            columns[name] = pa.array([row[name] for row in rows])
        ints = {k: np.array([row[k] for row in rows], np.int64) for k in ("length", "dataset_from_index")}
        task_index = np.array([self.tasks[row["tasks"][0]] for row in rows], np.int64)
        episode = np.arange(len(rows), dtype=np.int64)
        stats = index_columns(ints["length"], ints["dataset_from_index"], episode, task_index, self.fps)
        stats |= stats_columns(np.stack(self._stat_vecs), self._layout)  # (E, K) -> columns
        columns |= {name: _nested_list_array(col) for name, col in stats.items()}
        columns["meta/episodes/chunk_index"] = pa.array(np.zeros(len(rows), np.int64))
        columns["meta/episodes/file_index"] = pa.array(np.zeros(len(rows), np.int64))
        return pa.table(columns)

    def _column_array(self, k: str) -> pa.Array:
        typ = self.schema.field(k).type
        parts = self._columns[k]
        if k in self.visual:  # parts: PNG bytes per frame -> struct {bytes, path: null}
            lengths = np.fromiter(map(len, parts), np.int64, len(parts))
            offsets = np.concatenate([[0], np.cumsum(lengths)])  # (n + 1,)
            if offsets[-1] >= 2**31:
                raise ValueError(f"{k}: a row group holds over 2 GiB of images; lower ROW_GROUP_FRAMES")
            data = pa.Array.from_buffers(
                pa.binary(),
                len(parts),
                [None, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(b"".join(parts))],
            )
            path = pa.nulls(len(parts), typ.field("path").type)
            return pa.StructArray.from_arrays([data, path], fields=list(typ))
        flat = np.concatenate(parts)
        if pa.types.is_fixed_size_list(typ):
            return pa.FixedSizeListArray.from_arrays(pa.array(flat.reshape(-1)), typ.list_size)
        return pa.array(flat, type=typ)

    def _flush(self) -> None:
        if self._buffered == 0:
            return
        if self._pq is None:
            path = fmt.data_file(
                self.root, self._file_index // fmt.CHUNKS_SIZE, self._file_index % fmt.CHUNKS_SIZE
            )
            path.parent.mkdir(parents=True, exist_ok=True)
            self._pq = pq.ParquetWriter(path, self.schema)
        table = pa.Table.from_arrays([self._column_array(k) for k in self.schema.names], schema=self.schema)
        self._pq.write_table(table)
        self._columns = {k: [] for k in self.schema.names}
        self._buffered = 0

    def _close_file(self) -> None:
        self._flush()
        if self._pq is not None:
            self._pq.close()
        self._pq, self._file_bytes = None, 0

    def stats(self) -> dict:
        """Dataset-level stats of everything added so far (numpy arrays)."""
        out = {}
        for k in self.features:
            if k in self.visual:
                out[k] = image_stats_from_hist(self._hist[k], self.n_frames)
            elif self._values.get(k):
                out[k] = lowdim_stats(np.concatenate(self._values[k]))
        return out

    def finalize(self, extra_info: dict | None = None) -> dict:
        """Close the data file and write all metadata. Returns info.json's content."""
        if not self.episodes:
            raise ValueError("cannot finalize a dataset with no episodes")
        self._close_file()
        ep_path = self.root / fmt.EPISODES_PATH.format(chunk_index=0, file_index=0)
        ep_path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(self._episodes_table(), ep_path)
        tasks = sorted(self.tasks, key=self.tasks.get)
        pq.write_table(fmt.tasks_table(tasks), self.root / fmt.TASKS_PATH)
        atomic_write_json(self.root / fmt.STATS_PATH, serialize_stats(self.stats()))
        info = {
            "codebase_version": fmt.CODEBASE_VERSION,
            "robot_type": self.robot_type,
            "total_episodes": len(self.episodes),
            "total_frames": self.n_frames,
            "total_tasks": len(tasks),
            "chunks_size": fmt.CHUNKS_SIZE,
            "data_files_size_in_mb": self.file_limit // (1024 * 1024),
            "video_files_size_in_mb": fmt.VIDEO_FILES_SIZE_MB,
            "fps": self.fps,
            "splits": {"train": f"0:{len(self.episodes)}"},
            "data_path": fmt.DATA_PATH,
            "video_path": None,
            "features": self.features,
        }
        if extra_info:
            info["simplevla"] = extra_info
        atomic_write_json(self.root / fmt.INFO_PATH, info)
        return info


def _nested_list_array(col: np.ndarray) -> pa.Array:
    """(E, d1, ..., dk) numbers -> a list<...list<double or int64>> Arrow column of E nested lists (the
    type `pa.array(col.tolist())` infers, built without Python lists)."""
    out = pa.array(col.reshape(-1))
    for d in reversed(col.shape[1:]):  # wrap the innermost lists first
        out = pa.ListArray.from_arrays(pa.array(np.arange(0, len(out) + 1, d, dtype=np.int32)), out)
    return out


def episodes_of(ds) -> Iterator[Episode]:
    """Re-emit every episode of a loaded image dataset as Episodes (PNG bytes reused, not re-encoded)."""
    low = [k for k in ds.lowdim_keys if k not in fmt.INDEX_FEATURES]
    for ep in ds.meta.episodes:
        a, b = ep["dataset_from_index"], ep["dataset_to_index"]
        images, hists = {}, {}
        for k in ds.image_keys:
            file_i = int(np.searchsorted(ds.file_starts, a, side="right") - 1)
            off = int(ds.file_starts[file_i])
            col = ds._image_column(file_i, k).field("bytes")
            images[k] = col.slice(a - off, b - a).to_pylist()
            hists[k] = channel_hist(np.stack([decode_png(x) for x in images[k]]))
        frames = {k: ds.columns[k][a:b] for k in low}
        yield Episode(
            task=ds.meta.tasks[int(ds.columns[keys.TASK_INDEX][a])], frames=frames, images=images, hists=hists
        )


def write_dataset(
    out: Path, features: dict, episodes: Iterable[Episode], extra_info: dict, keep: Iterable[Episode] = ()
) -> dict:
    """Write `keep` then `episodes` into a fresh dataset that atomically replaces `out`. Returns info."""
    # The writer keeps ~100 small lists per episode until finalize: with the cyclic GC on, its full
    # collections rescan them all again and again (a third of the writing time at 16k episodes). Nothing
    # here makes reference cycles, so the GC is paused while writing.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        with atomic_dir(out) as tmp:
            writer = DatasetWriter(tmp, features)
            for ep in keep:
                writer.add_episode(ep)
            for ep in episodes:
                writer.add_episode(ep)
            if not writer.episodes:
                raise SimplevlaError(f"{out}: no episode to write; nothing was changed")
            info = writer.finalize(extra_info)
    finally:
        if gc_was_enabled:
            gc.enable()
    return info
