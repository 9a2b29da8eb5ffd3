"""WindowSampler: training windows over a TrainingCache, split into train/val by episode.

A sample is a start frame t of episode [s, e). It holds observations t-n_obs_steps+1 .. t (frames before
s repeat frame s) and actions t .. t+chunk_size-1 (past e-1 they repeat the last action, and
`action_is_pad` is True there). `batch_indices(step, batch_size)` is a pure function of (seed, step).
"""

from __future__ import annotations

import numpy as np
import torch

from simplevla import keys
from simplevla.data.cache import TrainingCache

SPLITS = ("train", "val", "all")


def split_episodes(n_episodes: int, split: str, val_fraction: float, seed: int) -> np.ndarray:
    """Sorted episode ids of `split`. val takes round(E * val_fraction) episodes (at least 1 if > 0)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    if split == "all":
        return np.arange(n_episodes)
    n_val = int(round(n_episodes * val_fraction))
    if val_fraction > 0 and n_episodes > 1:
        n_val = min(max(n_val, 1), n_episodes - 1)
    perm = np.random.default_rng([seed, 0x5A17]).permutation(n_episodes)
    chosen = perm[:n_val] if split == "val" else perm[n_val:]
    if len(chosen) == 0:
        raise ValueError(
            f"split {split!r} is empty ({n_episodes} episodes, val_fraction={val_fraction}); "
            "record more episodes or change val_fraction"
        )
    return np.sort(chosen)


class WindowSampler:
    """Windows of n_obs_steps observations and chunk_size actions from a TrainingCache."""

    def __init__(
        self,
        cache: TrainingCache,
        chunk_size: int = 1,
        n_obs_steps: int = 1,
        split: str = "train",
        val_fraction: float = 0.1,
        seed: int = 0,
    ):
        if chunk_size < 1 or n_obs_steps < 1:
            raise ValueError(f"chunk_size and n_obs_steps must be >= 1, got {chunk_size}, {n_obs_steps}")
        self.cache, self.chunk_size, self.n_obs_steps, self.seed = cache, chunk_size, n_obs_steps, seed
        ends = np.asarray(cache.episode_ends, np.int64)
        starts = np.concatenate([[0], ends[:-1]])
        self.episodes = split_episodes(len(ends), split, val_fraction, seed)
        self.frames = np.concatenate([np.arange(starts[e], ends[e]) for e in self.episodes]).astype(np.int64)
        lengths = ends - starts
        self._ep_start = np.repeat(starts, lengths)  # (N,) start frame of each frame's episode
        self._ep_end = np.repeat(ends, lengths)  # (N,) exclusive end
        self._obs_offsets = np.arange(-(n_obs_steps - 1), 1)  # (T,)
        self._act_offsets = np.arange(chunk_size)  # (C,)
        self._perm_epoch, self._perm = -1, None

    def __len__(self) -> int:
        return len(self.frames)

    def get_batch(self, idx: np.ndarray) -> dict:
        """Batch for sample positions `idx` (B,) (positions in this split, not frame ids)."""
        t = self.frames[np.asarray(idx, np.int64)]  # (B,)
        s, e = self._ep_start[t], self._ep_end[t]
        obs = np.maximum(t[:, None] + self._obs_offsets, s[:, None])  # (B, T)
        act = t[:, None] + self._act_offsets  # (B, C)
        pad = act >= e[:, None]  # (B, C)
        act = np.minimum(act, e[:, None] - 1)
        b, n_obs = len(t), self.n_obs_steps
        imgs = self.cache.images[obs.reshape(-1)]  # (B*T, H, W, 3) uint8
        h, w = imgs.shape[1:3]
        image = torch.empty((b * n_obs, 3, h, w), dtype=torch.float32)
        image.copy_(torch.from_numpy(imgs).permute(0, 3, 1, 2)).mul_(1.0 / 255.0)  # (B*T, 3, H, W)
        state = torch.from_numpy(self.cache.states[obs.reshape(-1)])  # (B*T, S)
        if n_obs > 1:
            image, state = image.view(b, n_obs, 3, h, w), state.view(b, n_obs, -1)
        task_index = self.cache.frame_task[t]  # (B,)
        batch = {
            keys.IMAGE: image,  # (B, 3, H, W) or (B, T, 3, H, W)
            keys.STATE: state,  # (B, S) or (B, T, S)
            keys.ACTION: torch.from_numpy(self.cache.actions[act]),  # (B, C, A)
            keys.ACTION_IS_PAD: torch.from_numpy(pad),  # (B, C)
            keys.TASK: [self.cache.tasks[i] for i in task_index],
            keys.TASK_INDEX: torch.from_numpy(task_index.astype(np.int64)),  # (B,)
        }
        if self.cache.task_xy is not None:
            batch[keys.TASK_XY] = torch.from_numpy(self.cache.task_xy[t])  # (B, 4 or 6) at the current frame
        return batch

    def batch_indices(self, step: int, batch_size: int) -> np.ndarray:
        """Sample positions for training step `step`: epoch = step // (len // batch_size), shuffled by
        np.random.default_rng([seed, epoch]); a pure function of (seed, step), so resuming is exact."""
        n = len(self)
        per_epoch = max(1, n // batch_size)
        epoch, k = divmod(int(step), per_epoch)
        if epoch != self._perm_epoch:
            perm = np.random.default_rng([self.seed, epoch]).permutation(n)
            self._perm_epoch, self._perm = epoch, np.resize(perm, max(n, batch_size))
        return self._perm[k * batch_size : (k + 1) * batch_size]
