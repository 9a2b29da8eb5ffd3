"""The training cache: a dataset decoded once into flat files for training: the frames compressed one by one
(`simplevla.data.frames`, ~0.5x the dataset's size on disk, decoded per batch) and the low-dim columns
as .npy arrays.

`build_cache(dataset_dir, cache_dir=None)` -> TrainingCache. The cache lives in
`<cache_dir or DIR/.cache>/<key>/`, where key = sha256 over the relative path, size and mtime_ns of every
file under data/, meta/ and videos/ (names, sizes and mtimes, not a content digest: cheap for GB-sized
datasets, and any rewrite by `simplevla record` changes it). A changed dataset gets a new key, so a stale
cache is never read. Worker processes decode and compress one parquet row group each
(`simplevla.data.frame_pool`; one process decodes in chunks and compresses each frame as it comes), so memory
stays flat as the dataset grows. When DIR is read-only the cache goes under
$XDG_CACHE_HOME/simplevla/datasets (default ~/.cache). The build is atomic (temporary dir, then rename).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simplevla import keys
from simplevla.atomic import atomic_dir
from simplevla.data.frame_pool import NoFrameBytes, compressed_parts
from simplevla.data.frames import (
    DICT_SAMPLES,
    CompressedFrames,
    ConcatFrames,
    train_table,
    write_frames,
    write_parts,
    write_table,
)
from simplevla.data.frames import FILES as FRAME_FILES
from simplevla.data.prefetch import prefetched
from simplevla.data.reader import load_dataset
from simplevla.data.stats import lowdim_stats, pooled_stats
from simplevla.errors import SimplevlaError

CACHE_VERSION = 2  # 2: frames compressed one by one (1 stored them raw, 12 KB per 64x64 frame)
_FILES = (*FRAME_FILES, "states.npy", "actions.npy", "episode_ends.npy", "frame_task.npy", "meta.json")


@dataclass
class TrainingCache:
    """Flat arrays of one dataset (see COMMON.md): images (N,H,W,3) uint8 memmap, states, actions, ..."""

    path: Path
    images: CompressedFrames | np.ndarray  # (N, H, W, 3) uint8, decoded on access (or an array, in tests)
    states: np.ndarray  # (N, S) float32
    actions: np.ndarray  # (N, A) float32
    episode_ends: np.ndarray  # (E,) int64, exclusive
    frame_task: np.ndarray  # (N,) int64
    tasks: list[str]
    stats: dict
    info: dict
    task_xy: np.ndarray | None = None  # (N, 4 or 6) float32 auxiliary target, when the dataset stores one

    def __len__(self) -> int:
        return len(self.frame_task)


def dataset_key(root: Path) -> str:
    """sha256 (16 hex digits) of the names, sizes and mtimes of the dataset's data/meta/videos files."""
    h = hashlib.sha256(f"simplevla-cache-v{CACHE_VERSION}".encode())
    for sub in ("data", "meta", "videos"):
        for p in sorted((root / sub).rglob("*")):
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts):
                st = p.stat()
                h.update(f"{p.relative_to(root).as_posix()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def _default_cache_root(root: Path) -> Path:
    if os.access(root, os.W_OK):
        return root / ".cache"
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "simplevla" / "datasets" / hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:12]


def _write(ds, root: Path, out: Path, chunk: int, workers: int) -> None:
    image_key = keys.IMAGE if keys.IMAGE in ds.meta.camera_keys else (ds.meta.camera_keys or [None])[0]
    if image_key is None:
        raise ValueError(f"{root}: the dataset has no image or video feature to cache")
    n, shape = len(ds), tuple(ds.meta.features[image_key]["shape"])
    if workers > 1 and image_key not in ds.video_keys:
        first = next(ds.iter_images(image_key, DICT_SAMPLES))  # (k, H, W, 3): what the dictionary learns from
        table = train_table(first)
        write_table(out, table)
        try:
            write_parts(out, compressed_parts(ds.files, image_key, list(shape), table, workers), n, shape)
            return _write_lowdim(ds, root, out, image_key)
        except NoFrameBytes:  # images stored as paths: read them one by one below
            (out / "frames.dict").unlink(missing_ok=True)
    # the next block is decoded in a thread while this one is compressed (22 s -> 17 s for make demo's data)
    write_frames(out, prefetched(ds.iter_images(image_key, chunk)), n, shape)  # blocks (n_chunk, H, W, 3)
    _write_lowdim(ds, root, out, image_key)


def _write_lowdim(ds, root: Path, out: Path, image_key: str) -> None:
    """The low-dim columns as .npy arrays and meta.json, beside the frames."""
    n = len(ds)
    cols = ds.columns
    np.save(out / "states.npy", cols[keys.STATE].astype(np.float32).reshape(n, -1))
    np.save(out / "actions.npy", cols[keys.ACTION].astype(np.float32).reshape(n, -1))
    np.save(out / "episode_ends.npy", ds.episode_ends)
    np.save(out / "frame_task.npy", cols[keys.TASK_INDEX].astype(np.int64))
    if keys.TASK_XY in cols:
        np.save(out / "task_xy.npy", cols[keys.TASK_XY].astype(np.float32).reshape(n, -1))
    meta = {
        "version": CACHE_VERSION,
        "dataset": str(root),
        "image_key": image_key,
        "tasks": ds.meta.tasks,
        "stats": ds.meta.stats,
        "info": ds.meta.info,
    }
    (out / "meta.json").write_text(json.dumps(meta))


def open_cache(path: Path) -> TrainingCache:
    meta = json.loads((path / "meta.json").read_text())
    return TrainingCache(
        path=path,
        images=CompressedFrames(path),
        states=np.load(path / "states.npy"),
        actions=np.load(path / "actions.npy"),
        episode_ends=np.load(path / "episode_ends.npy"),
        frame_task=np.load(path / "frame_task.npy"),
        tasks=meta["tasks"],
        stats=meta["stats"],
        info=meta["info"],
        task_xy=np.load(path / "task_xy.npy") if (path / "task_xy.npy").is_file() else None,
    )


def build_cache(
    dataset_dir: str | Path, cache_dir: str | Path | None = None, chunk: int = 1024, workers: int = 0
) -> TrainingCache:
    """Return the dataset's training cache, building it first if missing or stale: the frames decoded and
    compressed by `workers` processes (0: one per CPU core, shared among torchrun's local ranks; 1: in this
    process, a thread decoding ahead)."""
    root = Path(dataset_dir)
    local_ranks = max(1, int(os.environ.get("LOCAL_WORLD_SIZE", "1")))
    workers = workers or max(1, (os.cpu_count() or 1) // local_ranks)
    key = dataset_key(root)
    base = Path(cache_dir) if cache_dir is not None else _default_cache_root(root)
    path = base / key
    if not all((path / f).is_file() for f in _FILES):
        ds = load_dataset(root)  # validated before anything is written
        made = [d for d in (base, *base.parents) if not d.exists()]  # the directories this build creates
        try:
            with atomic_dir(path) as tmp:
                _write(ds, root, tmp, chunk, workers)
        except BaseException:  # a full disk is atomic_dir's SimplevlaError, the partial cache removed
            for d in made:  # a failed build leaves the dataset directory as it found it
                with contextlib.suppress(OSError):
                    d.rmdir()
            raise
    return open_cache(path)


def concat_caches(caches: list[TrainingCache], names: list[str]) -> TrainingCache:
    """Several datasets' caches as one, for training on them together: frames, states, actions and
    episodes back to back, tasks the union (in order of first appearance), stats recomputed over all
    frames for states and actions (exact) and pooled for the rest. A SimplevlaError names the dataset whose
    image size, state or action width, or auxiliary target differs from the first's (`names[i]`)."""
    first = caches[0]
    for c, name in zip(caches[1:], names[1:], strict=True):
        diffs = []
        if c.images.shape[1:] != first.images.shape[1:]:
            diffs.append(f"frames {tuple(c.images.shape[1:])} against {tuple(first.images.shape[1:])}")
        for what in ("states", "actions"):
            a, b = getattr(first, what).shape[1], getattr(c, what).shape[1]
            if a != b:
                diffs.append(f"{what} of width {b} against {a}")
        if (c.task_xy is None) != (first.task_xy is None):
            diffs.append(f"'{keys.TASK_XY}' {'absent' if c.task_xy is None else 'present'}, unlike the first")
        elif c.task_xy is not None and c.task_xy.shape[1] != first.task_xy.shape[1]:
            diffs.append(f"'{keys.TASK_XY}' of width {c.task_xy.shape[1]} against {first.task_xy.shape[1]}")
        if diffs:
            raise SimplevlaError(
                f"--dataset {name}: cannot train on it together with {names[0]}: " + "; ".join(diffs)
            )
    tasks: list[str] = list(dict.fromkeys(t for c in caches for t in c.tasks))
    where = {t: i for i, t in enumerate(tasks)}
    frame_task = np.concatenate(
        [np.array([where[t] for t in c.tasks], np.int64)[c.frame_task] for c in caches]
    )
    offsets = np.cumsum([0, *(len(c) for c in caches[:-1])])
    states = np.concatenate([c.states for c in caches])
    actions = np.concatenate([c.actions for c in caches])
    stats = {
        k: pooled_stats([c.stats[k] for c in caches])
        for k in first.stats
        if all(k in c.stats for c in caches)
    }
    stats[keys.STATE], stats[keys.ACTION] = lowdim_stats(states), lowdim_stats(actions)
    return TrainingCache(
        path=first.path,
        images=ConcatFrames([c.images for c in caches]),
        states=states,
        actions=actions,
        episode_ends=np.concatenate([c.episode_ends + o for c, o in zip(caches, offsets, strict=True)]),
        frame_task=frame_task,
        tasks=tasks,
        stats=stats,
        info={**first.info, "datasets": list(names)},
        task_xy=None if first.task_xy is None else np.concatenate([c.task_xy for c in caches]),
    )
