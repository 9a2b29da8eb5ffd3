"""The training cache resident on the training device (a GPU), so a step copies no frames from the host.

`DeviceSampler` wraps a `WindowSampler`: the frames (uint8), states, actions and episode bounds are copied
to the device once; each step the host picks the sample positions (the same pure function of seed and
step) and the instructions, sends the B positions without waiting (pinned memory, `transfer.to_device`),
and the device gathers, pads and converts the batch. Nothing in `get_batch` reads a device value back to the host, so
the host can queue the next steps while the GPU works. Batches equal `WindowSampler.get_batch`'s.
"""

from __future__ import annotations

import numpy as np
import torch

from simplevla import keys
from simplevla.errors import SimplevlaError
from simplevla.transfer import to_device

UPLOAD_ROWS = 8192  # frames copied to the device at a time
DEVICE_SHARE = 0.5  # `--data-device auto` moves the cache when it takes at most this share of free memory


def cache_bytes(cache: object) -> int:
    """Bytes the device copy of a TrainingCache takes."""
    arrays = [cache.images, cache.states, cache.actions, getattr(cache, "task_xy", None)]
    return sum(int(a.nbytes) for a in arrays if a is not None) + 16 * len(cache.images)


def fits(cache: object, device: torch.device) -> bool:
    """True when the cache takes at most DEVICE_SHARE of the device's free memory (CUDA only)."""
    if device.type != "cuda":
        return False
    free, _ = torch.cuda.mem_get_info(device)
    return cache_bytes(cache) <= DEVICE_SHARE * free


class DeviceSampler:
    """`WindowSampler`'s interface, its batches built on `device` from a device copy of the cache."""

    def __init__(self, host: object, device: torch.device) -> None:
        self.host, self.device = host, torch.device(device)
        cache = host.cache
        need = cache_bytes(cache)
        if self.device.type == "cuda":
            free, _ = torch.cuda.mem_get_info(self.device)
            if need > free:
                raise SimplevlaError(
                    f"{cache.path}: the training cache needs {need / 2**30:.1f} GiB on {self.device}, "
                    f"{free / 2**30:.1f} GiB is free; train with --data-device host"
                )

        def put(a: np.ndarray) -> torch.Tensor:  # in chunks, so a memory-mapped cache is never read whole
            out = torch.empty(a.shape, dtype=torch.from_numpy(np.array(a[:0])).dtype, device=self.device)
            for i in range(0, len(a), UPLOAD_ROWS):
                out[i : i + UPLOAD_ROWS].copy_(torch.from_numpy(np.array(a[i : i + UPLOAD_ROWS])))
            return out

        self.images = put(cache.images)  # (N, H, W, 3) uint8
        self.states = put(cache.states)  # (N, S)
        self.actions = put(cache.actions)  # (N, A)
        xy = getattr(cache, "task_xy", None)
        self.task_xy = put(xy) if xy is not None else None  # (N, 4 or 6)
        self.frames = put(host.frames)  # (M,) this split's frame ids
        self.ep_start, self.ep_end = put(host._ep_start), put(host._ep_end)  # (N,), (N,)
        self.obs_offsets = put(host._obs_offsets)  # (T,)
        self.act_offsets = put(host._act_offsets)  # (C,)
        self.n_obs_steps = host.n_obs_steps

    @property
    def cache(self) -> object:
        return self.host.cache

    @property
    def seed(self) -> int:
        return self.host.seed

    def __len__(self) -> int:
        return len(self.host)

    def batch_indices(self, step: int, batch_size: int) -> np.ndarray:
        return self.host.batch_indices(step, batch_size)

    def get_batch(self, idx: np.ndarray) -> dict:
        """The batch for sample positions `idx` (B,), on the device (`WindowSampler.get_batch`'s values)."""
        idx = np.asarray(idx, np.int64)
        task_index = self.host.cache.frame_task[self.host.frames[idx]]  # (B,) on the host: the strings
        t = self.frames[to_device(torch.from_numpy(idx), self.device)]  # (B,)
        s, e = self.ep_start[t], self.ep_end[t]  # (B,), (B,)
        obs = torch.maximum(t[:, None] + self.obs_offsets, s[:, None])  # (B, T)
        act = t[:, None] + self.act_offsets  # (B, C)
        pad = act >= e[:, None]  # (B, C)
        act = torch.minimum(act, e[:, None] - 1)
        b, n_obs = len(idx), self.n_obs_steps
        image = self.images[obs.reshape(-1)].permute(0, 3, 1, 2).float().mul_(1.0 / 255.0)  # (B*T, 3, H, W)
        state = self.states[obs.reshape(-1)]  # (B*T, S)
        if n_obs > 1:
            image, state = image.reshape(b, n_obs, *image.shape[1:]), state.view(b, n_obs, -1)
        batch = {
            keys.IMAGE: image,  # (B, 3, H, W) or (B, T, 3, H, W)
            keys.STATE: state,  # (B, S) or (B, T, S)
            keys.ACTION: self.actions[act],  # (B, C, A)
            keys.ACTION_IS_PAD: pad,  # (B, C)
            keys.TASK: [self.host.cache.tasks[i] for i in task_index],
            keys.TASK_INDEX: to_device(torch.from_numpy(task_index.astype(np.int64)), self.device),
        }
        if self.task_xy is not None:
            batch[keys.TASK_XY] = self.task_xy[t]  # (B, 4 or 6) at the current frame
        return batch
