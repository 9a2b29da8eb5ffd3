"""CLI commands of the data area: `simplevla data info`, `view`, `validate` and `merge`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Union

import numpy as np
import tyro

from simplevla.data.merge import merge_datasets
from simplevla.data.reader import load_dataset
from simplevla.data.view import episode_gif


def _short(v) -> list:
    return np.round(np.asarray(v, np.float64).ravel(), 4).tolist()


@dataclass
class DataInfoCommand:
    """Summarize a dataset: episodes, frames, tasks, features and stats."""

    dir: tyro.conf.Positional[Path]
    json: bool = False

    def run(self) -> dict:
        ds = load_dataset(self.dir)
        m = ds.meta
        lengths = [e["length"] for e in m.episodes]
        return {
            "dir": str(self.dir),
            "codebase_version": m.info["codebase_version"],
            "fps": m.fps,
            "episodes": m.total_episodes,
            "frames": len(ds),
            "episode_length": {
                "min": min(lengths),
                "mean": round(float(np.mean(lengths)), 2),
                "max": max(lengths),
            },
            "tasks": len(m.tasks),
            "task_examples": m.tasks[:5],
            "features": {k: f"{ft['dtype']} {ft['shape']}" for k, ft in m.features.items()},
            "stats": {
                k: {s: _short(st[s]) for s in ("min", "max", "mean", "std") if s in st}
                for k, st in m.stats.items()
                if k in ("observation.state", "action", "observation.image")
            },
            "simplevla": m.info.get("simplevla", {}).get("env"),
        }


@dataclass
class DataViewCommand:
    """Write one episode as a GIF with its instruction as a caption."""

    dir: tyro.conf.Positional[Path]
    episode: int = 0
    out: Path = Path("episode.gif")
    scale: int = 4
    json: bool = False

    def run(self) -> dict:
        return episode_gif(load_dataset(self.dir), self.episode, self.out, self.scale)


@dataclass
class DataValidateCommand:
    """Check a dataset end to end: its metadata, every column, and (unless --no-frames) every frame decodes
    to its feature's shape. Exits non-zero with the file and field of the first problem."""

    dir: tyro.conf.Positional[Path]
    frames: bool = True
    """decode every image or video frame too (the slow part)"""
    json: bool = False

    def run(self) -> dict:
        ds = load_dataset(self.dir)  # metadata, tasks, episodes, stats and every low-dim column, checked
        m = ds.meta
        decoded = {}
        if self.frames:
            for key in m.camera_keys:
                decoded[key] = sum(len(block) for block in ds.iter_images(key))
        missing = [k for k in m.features if k not in m.stats and k not in ("index", "task_index")]
        return {
            "dir": str(self.dir),
            "ok": True,
            "episodes": m.total_episodes,
            "frames": len(ds),
            "tasks": len(m.tasks),
            "frames_decoded": decoded,
            "features_without_stats": missing,
        }


@dataclass
class DataMergeCommand:
    """Merge datasets of the same features into one (episodes renumbered, tasks and stats merged), written
    atomically; e.g. the shards of `simplevla record --shard I/N`."""

    dirs: tyro.conf.Positional[tuple[Path, ...]]
    out: Path
    """the merged dataset's directory (must not exist)"""
    json: bool = False

    def run(self) -> dict:
        info = merge_datasets(self.dirs, self.out)
        return {
            "out": str(self.out),
            "merged": [str(d) for d in self.dirs],
            "total_episodes": info["total_episodes"],
            "total_frames": info["total_frames"],
            "total_tasks": info["total_tasks"],
            "seed_ranges": info.get("simplevla", {}).get("seed_ranges"),
        }


DataCommand = Union[  # noqa: UP007  (tyro reads this Union as the list of subcommands)
    Annotated[DataInfoCommand, tyro.conf.subcommand("info")],
    Annotated[DataViewCommand, tyro.conf.subcommand("view")],
    Annotated[DataValidateCommand, tyro.conf.subcommand("validate")],
    Annotated[DataMergeCommand, tyro.conf.subcommand("merge")],
]
