"""Synthetic episodes and datasets for the data tests (deterministic; values encode episode and frame)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from simplevla.atomic import atomic_dir
from simplevla.data.format import dataset_features
from simplevla.data.writer import DatasetWriter, make_episode

TASKS = ["push the red block left", "touch the blue circle", "separate the two blocks"]


def synthetic_episode(e: int, length: int, size: int = 16) -> dict:
    """Arrays of one deterministic synthetic episode; frame values encode (episode, frame)."""
    rng = np.random.default_rng(e)
    t = np.arange(length)
    images = rng.integers(0, 256, (length, size, size, 3), dtype=np.uint8)
    images[:, 0, 0, 0] = e
    images[:, 0, 0, 1] = t
    return {
        "observation.image": images,
        "observation.state": np.stack([np.full(length, e), t], 1).astype(np.float32),
        "action": np.stack([np.full(length, 1000 + e), t], 1).astype(np.float32),
        "next.reward": (t == length - 1).astype(np.float32),
        "next.done": t == length - 1,
        "next.success": t == length - 1,
    }


def write_synthetic(root: Path, lengths: list[int], size: int = 16) -> list[dict]:
    """Write a dataset of len(lengths) episodes; returns the raw arrays per episode (task under 'task')."""
    eps = []
    with atomic_dir(root) as tmp:
        w = DatasetWriter(tmp, dataset_features(size))
        for e, n in enumerate(lengths):
            arrays = synthetic_episode(e, n, size)
            task = TASKS[e % len(TASKS)]
            w.add_episode(make_episode(task, arrays, seed=e))
            eps.append({**arrays, "task": task})
        w.finalize({"seed_start": 0, "seed_end": len(lengths)})
    return eps
