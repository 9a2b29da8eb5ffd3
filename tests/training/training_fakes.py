"""Tiny synthetic data with the real `TrainingCache` / `WindowSampler` interface, built in memory.

Each frame shows one bright pixel; the action is the (learnable) direction from the effector state to it,
so a policy can overfit it. Its `aux.task_xy` (what the `default` policy learns to read) is that pixel
three times (object, goal, reference). `write_dataset` writes the same episodes as a LeRobotDataset v3.0
on disk.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from tiny_policy import TINY, TINY_SIMPLE  # noqa: F401  (re-exported to the tests)

from simplevla import keys
from simplevla.data import TrainingCache
from simplevla.train.config import TrainConfig

TASKS = ["push the red block left", "reach the blue circle", "move the green star to the top"]


def episodes(n_episodes: int = 6, length: int = 10, size: int = 16, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    out = []
    for e in range(n_episodes):
        target = rng.integers(0, size, 2)  # (row, col)
        images = np.zeros((length, size, size, 3), np.uint8)
        images[:, target[0], target[1], e % 3] = 255
        states = rng.random((length, 2)).astype(np.float32)
        goal = np.array([target[1], size - 1 - target[0]], np.float32) / (size - 1)
        actions = np.clip((goal - states) * 2.0, -1, 1).astype(np.float32)
        task_xy = np.tile(np.concatenate([goal, goal, goal]), (length, 1)).astype(np.float32)  # (T, 6)
        out.append(
            dict(task=TASKS[e % len(TASKS)], images=images, states=states, actions=actions, task_xy=task_xy)
        )
    return out


def _stats(x: np.ndarray) -> dict:
    return {
        "min": x.min(0).tolist(),
        "max": x.max(0).tolist(),
        "mean": x.mean(0).tolist(),
        "std": x.std(0).tolist(),
        "count": [len(x)],
    }


def tiny_cache(n_episodes: int = 6, length: int = 10, size: int = 16, seed: int = 0) -> TrainingCache:
    eps = episodes(n_episodes, length, size, seed)
    states = np.concatenate([e["states"] for e in eps])
    actions = np.concatenate([e["actions"] for e in eps])
    tasks = sorted({e["task"] for e in eps})
    task_xy = np.concatenate([e["task_xy"] for e in eps])  # (N, 6)
    return TrainingCache(
        path=Path("/nonexistent"),
        images=np.concatenate([e["images"] for e in eps]),
        states=states,
        actions=actions,
        episode_ends=np.cumsum([length] * n_episodes).astype(np.int64),
        frame_task=np.repeat([tasks.index(e["task"]) for e in eps], length).astype(np.int64),
        tasks=tasks,
        stats={keys.STATE: _stats(states), keys.ACTION: _stats(actions), keys.TASK_XY: _stats(task_xy)},
        info={},
        task_xy=task_xy,
    )


def tiny_train_config(out: Path, steps: int, save_every: int, **kw) -> TrainConfig:
    """The loop settings the training tests share (batch 8, one thread, 2 warmup steps, validation every 3
    steps, a log row every step); `kw` overrides any of them or sets other TrainConfig fields."""
    base = dict(batch_size=8, threads=1, warmup_steps=2, val_every=3, log_every=1)
    return TrainConfig(out=out, steps=steps, save_every=save_every, **{**base, **kw})


class SlowSampler:
    """Wraps a sampler: each batch takes `delay` seconds longer, so a test can kill a run mid-way."""

    def __init__(self, inner, delay: float = 0.05) -> None:
        self.inner, self.delay = inner, delay

    def __len__(self) -> int:
        return len(self.inner)

    def batch_indices(self, step: int, batch_size: int) -> np.ndarray:
        return self.inner.batch_indices(step, batch_size)

    def get_batch(self, idx: np.ndarray) -> dict:
        time.sleep(self.delay)
        return self.inner.get_batch(idx)


def write_dataset(root: Path, n_episodes: int = 6, length: int = 10, size: int = 16) -> Path:
    """The same episodes written as a real LeRobotDataset v3.0 (PNG images) by simplevla's writer."""
    from simplevla.data import DatasetWriter, make_episode
    from simplevla.data.format import dataset_features

    writer = DatasetWriter(root, dataset_features(size, task_xy=True))
    for e in episodes(n_episodes, length, size):
        n = len(e["states"])
        done = np.zeros((n, 1), bool)
        done[-1] = True
        writer.add_episode(
            make_episode(
                e["task"],
                {
                    keys.IMAGE: e["images"],
                    keys.STATE: e["states"],
                    keys.ACTION: e["actions"],
                    keys.REWARD: np.zeros((n, 1), np.float32),
                    keys.DONE: done,
                    keys.SUCCESS: done.copy(),
                    keys.TASK_XY: e["task_xy"],
                },
            )
        )
    writer.finalize()
    return root
