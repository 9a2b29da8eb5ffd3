"""Read a LeRobotDataset v3.0 directory (ours or LeRobot's): `load_dataset(dir)`.

`ds = load_dataset(dir)`; `len(ds)` frames; `ds[i]` a dict keyed by feature name (images uint8 HWC,
low-dim features numpy, `task` the instruction); `ds.meta` has info, stats, tasks and episodes.
Low-dim columns are loaded eagerly (small); image bytes are read per data file on first use; video
frames are decoded per mp4 file on first use (optional `video` extra, PyAV).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pyarrow as pa

from simplevla import keys
from simplevla.data import format as fmt
from simplevla.data import validate as V
from simplevla.data.png import decode_png, png_size
from simplevla.data.video import decode_video
from simplevla.errors import SimplevlaError


@dataclass
class DatasetMeta:
    """info.json, stats.json, tasks (index -> string) and the episode table (without per-episode stats)."""

    root: Path
    info: dict
    stats: dict
    tasks: list[str]
    episodes: list[dict]

    @property
    def features(self) -> dict:
        return self.info["features"]

    @property
    def fps(self) -> int:
        return int(self.info["fps"])

    @property
    def total_frames(self) -> int:
        return int(self.info["total_frames"])

    @property
    def total_episodes(self) -> int:
        return len(self.episodes)

    @property
    def camera_keys(self) -> list[str]:
        return [k for k, ft in self.features.items() if fmt.is_visual(ft)]

    @property
    def video_keys(self) -> list[str]:
        return [k for k, ft in self.features.items() if ft["dtype"] == "video"]


def _read_tasks(root: Path) -> list[str]:
    path = V.check_inside(root, root / fmt.TASKS_PATH, "tasks table")
    table = V.read_table(path, "tasks table")
    name = next((c for c in (fmt.PANDAS_INDEX, "task") if c in table.column_names), None)
    if name is None or "task_index" not in table.column_names:
        raise SimplevlaError(
            f"{path}: needs columns 'task_index' and 'task' (or a pandas index of task strings)"
        )
    for column, ok, kind in ((name, _is_string, "strings"), ("task_index", pa.types.is_integer, "integers")):
        typ = table.schema.field(column).type
        if not ok(typ) or table[column].null_count:
            raise SimplevlaError(f"{path}: column '{column}' must hold {kind} without nulls, got {typ}")
    try:
        tasks = table[name].to_pylist()
    except UnicodeDecodeError as e:
        raise SimplevlaError(f"{path}: column '{name}' holds a task that is not UTF-8 ({e})") from None
    order = np.asarray(table["task_index"].to_numpy(), np.int64)
    if sorted(order.tolist()) != list(range(len(tasks))):
        raise SimplevlaError(f"{path}: column 'task_index' must hold 0..{len(tasks) - 1} exactly once")
    out = [""] * len(tasks)
    for i, t in zip(order.tolist(), tasks, strict=True):
        out[i] = t
    return out


def _read_episodes(root: Path) -> list[dict]:
    files = sorted((root / "meta/episodes").glob("chunk-*/file-*.parquet"))
    if not files:
        raise SimplevlaError(f"{root / 'meta/episodes'}: no episode files (chunk-*/file-*.parquet)")
    rows: list[dict] = []
    for path in files:
        V.check_inside(root, path, "episodes table")
        pf = V.open_parquet(path, "episodes table")
        cols = [c for c in pf.schema_arrow.names if not c.startswith("stats/")]
        try:
            rows.extend(V.read_table(path, "episodes table", cols).to_pylist())
        except UnicodeDecodeError as e:
            raise SimplevlaError(
                f"{path}: the episodes table holds a string that is not UTF-8 ({e})"
            ) from None
        V.require_columns(path, pf.schema_arrow, V.REQUIRED_EPISODE_COLUMNS, "episodes table")
        _check_episode_rows(path, rows)
    if not rows:
        raise SimplevlaError(
            f"{root / 'meta/episodes'}: the episodes table has no row; a dataset needs an episode"
        )
    rows.sort(key=lambda r: r["episode_index"])
    return rows


def _check_episode_rows(path: Path, rows: list[dict]) -> None:
    """The index columns of the episodes table are integers, and video timestamps numbers, in every row."""
    for i, row in enumerate(rows):
        for column, value in row.items():
            if column == "tasks":
                continue
            if column.endswith("_timestamp"):
                ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            elif column in V.REQUIRED_EPISODE_COLUMNS or column.endswith(("chunk_index", "file_index")):
                ok = isinstance(value, int) and not isinstance(value, bool)
            else:
                continue
            if not ok:
                raise SimplevlaError(f"{path}: column '{column}' row {i} holds {value!r}; need a number")


def _is_string(typ: pa.DataType) -> bool:
    return pa.types.is_string(typ) or pa.types.is_large_string(typ)


def _read_stats(root: Path) -> dict:
    path = root / fmt.STATS_PATH
    if not path.is_file():
        return {}
    V.check_inside(root, path, "stats.json")
    stats = V.read_json_file(path)
    if not isinstance(stats, dict):
        raise SimplevlaError(f"{path}: expected a JSON object of feature name -> stats")
    return stats


def load_meta(root: str | Path) -> DatasetMeta:
    root = Path(root)
    info = V.read_info(root)
    return DatasetMeta(root, info, _read_stats(root), _read_tasks(root), _read_episodes(root))


class LeRobotDataset:
    """Frame-indexed view of a v3.0 dataset (a small, numpy-only cousin of LeRobot's class)."""

    def __init__(self, root: str | Path):
        self.meta = load_meta(root)
        self.root = self.meta.root
        feats = self.meta.features
        self.image_keys = [k for k, ft in feats.items() if ft["dtype"] == "image"]
        self.video_keys = self.meta.video_keys
        for k in self.video_keys:  # where each episode's frames of a video feature are (LeRobot's columns)
            for c in (f"videos/{k}/chunk_index", f"videos/{k}/file_index", f"videos/{k}/from_timestamp"):
                if c not in self.meta.episodes[0]:
                    raise SimplevlaError(
                        f"{self.root / 'meta/episodes'}: the episodes table has no column '{c}' for the video "
                        f"feature '{k}' of {self.root / fmt.INFO_PATH}"
                    )
        self.lowdim_keys = [k for k, ft in feats.items() if not fmt.is_visual(ft)]
        files = list(dict.fromkeys((e["data/chunk_index"], e["data/file_index"]) for e in self.meta.episodes))
        self.files = [
            fmt.data_file(self.root, c, f)
            if self.meta.info["data_path"] == fmt.DATA_PATH
            else self.root / self.meta.info["data_path"].format(chunk_index=c, file_index=f)
            for c, f in files
        ]
        self.columns, self.file_starts = self._read_lowdim()
        V.check_indices(
            self.root,
            self.meta.info,
            self.meta.episodes,
            self.columns[keys.INDEX],
            self.columns[keys.EPISODE_INDEX],
            self.columns[keys.FRAME_INDEX],
            self.columns[keys.TASK_INDEX],
            len(self.meta.tasks),
        )
        # after the data: a feature shape the data files contradict is named there first
        V.check_stats(self.root / fmt.STATS_PATH, self.meta.stats, feats)
        self._image_cols: dict[tuple[int, str], pa.Array] = {}
        self._videos: dict[tuple[str, Path], tuple[np.ndarray, np.ndarray]] = {}
        for i in range(len(self.files)):  # decode one image per file: catches a wrong image shape early
            for k in self.image_keys:
                if self.file_starts[i + 1] > self.file_starts[i]:
                    V.check_image_shape(self.files[i], k, self._image_in_file(i, k, 0), feats[k]["shape"])

    def _read_lowdim(self) -> tuple[dict[str, np.ndarray], np.ndarray]:
        parts: dict[str, list[np.ndarray]] = {k: [] for k in self.lowdim_keys}
        starts = [0]
        for path in self.files:
            V.check_inside(self.root, path, "data file")
            pf = V.open_parquet(path, "data file")
            V.check_data_schema(path, pf.schema_arrow, self.meta.features)
            table = V.read_table(path, "data file", self.lowdim_keys)
            for k in self.lowdim_keys:
                parts[k].append(_column_numpy(path, k, table[k], self.meta.features[k]))
                V.check_finite(path, k, parts[k][-1])
            starts.append(starts[-1] + table.num_rows)
        return {k: np.concatenate(v) for k, v in parts.items()}, np.asarray(starts, np.int64)

    def __len__(self) -> int:
        return len(self.columns[keys.INDEX])

    def _image_column(self, file_i: int, key: str) -> pa.Array:
        if (file_i, key) not in self._image_cols:
            col = V.read_table(self.files[file_i], "data file", [key])[key].combine_chunks()
            self._image_cols[(file_i, key)] = col
        return self._image_cols[(file_i, key)]

    def _image_in_file(self, file_i: int, key: str, row: int) -> np.ndarray:
        item = self._image_column(file_i, key)[row].as_py()
        data = item.get("bytes") if item else None
        where = f"{self.files[file_i]}: column '{key}' row {row}"
        if data is None and item and item.get("path"):
            path = self.root / item["path"]
            try:
                V.check_inside(self.root, path, "image file")
            except SimplevlaError as e:
                raise SimplevlaError(f"{where} names an image path outside the dataset: {e}") from None
            try:
                data = path.read_bytes()
            except OSError as e:
                raise SimplevlaError(f"{where} names an image file that cannot be read ({e})") from None
        if data is None:
            raise SimplevlaError(f"{where} holds no image bytes or path")
        return decode_image(where, data, self.meta.features[key]["shape"])

    def _video_frame(self, key: str, i: int) -> np.ndarray:
        e = int(self.columns[keys.EPISODE_INDEX][i])
        ep = self.meta.episodes[e]
        path = fmt.video_file(
            self.root,
            key,
            ep[f"videos/{key}/chunk_index"],
            ep[f"videos/{key}/file_index"],
            self.meta.info.get("video_path") or fmt.VIDEO_PATH,
        )
        if (key, path) not in self._videos:
            V.check_inside(self.root, path, "video file")
            frames, times = decode_video(path)
            shape = list(self.meta.features[key]["shape"])
            if len(frames) and list(frames.shape[1:]) != shape:
                raise SimplevlaError(
                    f"{path}: decodes to frames of shape {list(frames.shape[1:])}, but "
                    f"{self.root / fmt.INFO_PATH} says {shape} (field 'features.{key}.shape')"
                )
            self._videos[(key, path)] = frames, times
        frames, times = self._videos[(key, path)]
        t = ep[f"videos/{key}/from_timestamp"] + float(self.columns[keys.TIMESTAMP][i])
        j = int(np.argmin(np.abs(times - t)))
        if abs(times[j] - t) > 1.0 / self.meta.fps:  # no frame within one frame period: past the video
            raise SimplevlaError(
                f"{path}: holds frames from {times[0]:.3f} s to {times[-1]:.3f} s, but frame {i} (episode {e}, "
                f"'videos/{key}/from_timestamp' {ep[f'videos/{key}/from_timestamp']} + timestamp "
                f"{float(self.columns[keys.TIMESTAMP][i]):.3f}) asks for {t:.3f} s; the video is shorter "
                "than its index"
            )
        return frames[j]

    def image(self, key: str, i: int) -> np.ndarray:
        """Frame i of image/video feature `key` as uint8 (H, W, 3)."""
        if key in self.video_keys:
            return self._video_frame(key, i)
        file_i = int(np.searchsorted(self.file_starts, i, side="right") - 1)
        return self._image_in_file(file_i, key, i - int(self.file_starts[file_i]))

    def __getitem__(self, i: int) -> dict:
        i = int(i)
        if not 0 <= i < len(self):
            raise IndexError(f"frame {i} out of range for a dataset of {len(self)} frames")
        item = {k: v[i] for k, v in self.columns.items()}
        for k in self.image_keys + self.video_keys:
            item[k] = self.image(k, i)
        item[keys.TASK] = self.meta.tasks[int(item[keys.TASK_INDEX])]
        return item

    def iter_images(self, key: str, chunk: int = 1024) -> Iterator[np.ndarray]:
        """Yield all frames of `key` in order, as uint8 (n, H, W, 3) chunks (memory flat in dataset size)."""
        if key in self.video_keys:
            for a in range(0, len(self), chunk):
                yield np.stack([self._video_frame(key, i) for i in range(a, min(a + chunk, len(self)))])
            return
        for file_i, path in enumerate(self.files):
            pf = V.open_parquet(path, "data file")
            shape, row = self.meta.features[key]["shape"], 0
            try:
                for batch in pf.iter_batches(batch_size=chunk, columns=[key]):
                    blobs = batch.column(0).field("bytes").to_pylist()
                    if any(b is None for b in blobs):  # images stored as paths: read one by one
                        yield np.stack([self._image_in_file(file_i, key, row + j) for j in range(len(blobs))])
                    else:
                        yield decode_images(path, key, blobs, row, shape)
                    row += len(blobs)
            except (pa.ArrowException, OSError) as e:
                raise column_error(path, key, e) from None
            self._image_cols.pop((file_i, key), None)

    @cached_property
    def episode_ends(self) -> np.ndarray:
        return np.asarray([e["dataset_to_index"] for e in self.meta.episodes], np.int64)


def decode_images(path: Path | str, key: str, blobs: list[bytes], row0: int, shape: list[int]) -> np.ndarray:
    """The PNG bytes of rows row0, row0 + 1, ... of column `key` in data file `path` -> uint8 (k, H, W, 3);
    a frame that does not decode is a SimplevlaError naming the file, the column and the row."""
    return np.stack(
        [decode_image(f"{path}: column '{key}' row {row0 + j}", b, shape) for j, b in enumerate(blobs)]
    )


def column_error(path: Path | str, key: str, error: Exception) -> SimplevlaError:
    """The error for an image column that pyarrow cannot read (a truncated or corrupt data file)."""
    return SimplevlaError(f"{path}: cannot read column '{key}' (truncated or corrupt): {error}")


def decode_image(where: str, data: bytes, shape: list[int]) -> np.ndarray:
    """PNG (or other Pillow-readable) bytes -> uint8 (H, W, 3) of the feature's shape, or a SimplevlaError
    starting with `where`. A PNG header claiming another size is refused before anything is decompressed."""
    size = png_size(data)
    if size is not None and [size[1], size[0]] != list(shape[:2]):
        raise SimplevlaError(
            f"{where}: the PNG header says {size[1]}x{size[0]} pixels, but info.json says feature shape "
            f"{list(shape)}"
        )
    try:
        img = decode_png(data)
    except Exception as e:  # noqa: BLE001  (Pillow raises many types for garbage bytes)
        raise SimplevlaError(f"{where} is not a decodable image ({type(e).__name__}: {e})") from None
    if list(img.shape) != list(shape):
        raise SimplevlaError(
            f"{where} decodes to shape {list(img.shape)}, but info.json says feature shape {list(shape)}"
        )
    return img


def _column_numpy(path: Path, key: str, col: pa.ChunkedArray, ft: dict) -> np.ndarray:
    """A low-dim column as numpy (N,) or (N, D), checking list lengths against the feature shape."""
    col = col.combine_chunks()
    dtype = np.dtype(ft["dtype"]) if ft["dtype"] != "string" else object
    if pa.types.is_fixed_size_list(col.type) or pa.types.is_list(col.type):
        d = ft["shape"][0]
        flat = col.flatten().to_numpy(zero_copy_only=False)
        if flat.size != len(col) * d:
            raise SimplevlaError(
                f"{path}: column '{key}' rows do not all have length {d} (feature shape {ft['shape']})"
            )
        return flat.reshape(len(col), d).astype(dtype, copy=False)
    return col.to_numpy(zero_copy_only=False).astype(dtype, copy=False)


def load_dataset(root: str | Path) -> LeRobotDataset:
    """Open and validate a LeRobotDataset v3.0 directory. Raises SimplevlaError on malformed input."""
    return LeRobotDataset(root)
