"""CLI commands of the data area: `simplevla data info` and `simplevla data view`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Union

import numpy as np
import tyro

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


DataCommand = Union[  # noqa: UP007  (tyro reads this Union as the list of subcommands)
    Annotated[DataInfoCommand, tyro.conf.subcommand("info")],
    Annotated[DataViewCommand, tyro.conf.subcommand("view")],
]
