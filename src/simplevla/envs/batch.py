"""`to_batch`: the one conversion from env observations (numpy) to the policy's batch format (torch)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from simplevla import keys


def to_batch(
    obs: dict[str, np.ndarray], task: str | Sequence[str], device: str | torch.device = "cpu"
) -> dict:
    """Turn a single or vectorized env observation plus instruction(s) into a policy batch.

    obs["pixels"]: uint8 (H, W, 3) or (B, H, W, 3); obs["agent_pos"]: float32 (2,) or (B, 2).
    Returns {"observation.image": float (B, 3, H, W) in [0, 1], "observation.state": float (B, 2),
    "task": list of B strings}.
    """
    pixels = np.asarray(obs[keys.ENV_PIXELS])
    state = np.asarray(obs[keys.ENV_AGENT_POS], dtype=np.float32)
    if pixels.ndim == 3:
        pixels, state = pixels[None], state[None]  # add the batch dimension
    if pixels.ndim != 4 or pixels.shape[-1] != 3 or pixels.dtype != np.uint8:
        raise ValueError(
            f"obs['pixels'] must be uint8 (H, W, 3) or (B, H, W, 3), got {pixels.dtype} {pixels.shape}"
        )
    tasks = [task] if isinstance(task, str) else list(task)
    if any(not isinstance(t, str) or not t.strip() for t in tasks):
        raise ValueError(f"every instruction must be a non-empty string, got {tasks!r}")
    if not np.isfinite(state).all():
        raise ValueError(f"obs['agent_pos'] contains NaN or inf: {state.tolist()}")
    if len(tasks) != pixels.shape[0]:
        raise ValueError(f"got {len(tasks)} instruction(s) for a batch of {pixels.shape[0]} observations")
    image = torch.from_numpy(pixels).to(device).permute(0, 3, 1, 2).float().div_(255.0)  # (B, 3, H, W)
    return {
        keys.IMAGE: image,
        keys.STATE: torch.from_numpy(state).to(device),  # (B, 2)
        keys.TASK: tasks,
    }
