"""Shared helpers for the models tests: toy stats, tasks and batches (no dataset needed)."""

from __future__ import annotations

import torch
from tiny_policy import TINY, TINY_SIMPLE  # noqa: F401  (re-exported to the tests)

from simplevla import keys

TASKS = ["push the red block left", "reach the blue circle", "move the green star to the top"]
STATS = {
    keys.STATE: {"min": [0.0, 0.0], "max": [1.0, 1.0], "mean": [0.5, 0.5], "std": [0.3, 0.3]},
    keys.ACTION: {"min": [-1.0, -1.0], "max": [1.0, 1.0], "mean": [0.0, 0.0], "std": [0.5, 0.5]},
}


def make_batch(cfg, batch_size: int = 4, seed: int = 0) -> dict:
    g = torch.Generator().manual_seed(seed)
    size, chunk = cfg.image_size, cfg.chunk_size
    state_dim = cfg.state_dim or len(STATS[keys.STATE]["mean"])  # unset: the dataset's (here STATS')
    action_dim = cfg.action_dim or len(STATS[keys.ACTION]["mean"])
    return {
        keys.IMAGE: torch.rand(batch_size, 3, size, size, generator=g),  # (B, 3, H, W)
        keys.STATE: torch.rand(batch_size, state_dim, generator=g),  # (B, S)
        keys.ACTION: torch.rand(batch_size, chunk, action_dim, generator=g) * 2 - 1,  # (B, C, A)
        keys.ACTION_IS_PAD: torch.zeros(batch_size, chunk, dtype=torch.bool),  # (B, C)
        keys.TASK: [TASKS[i % len(TASKS)] for i in range(batch_size)],
        keys.TASK_XY: torch.rand(batch_size, 4, generator=g),  # (B, 4) table units: the `default` aux target
    }
