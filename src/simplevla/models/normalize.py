"""`Normalizer`: dataset statistics as buffers inside the policy, so a checkpoint acts on its own.

We use min-max scaling to [-1, 1] by default: both normalized features are bounded by construction (the
effector stays on the [0, 1] table; actions are clipped to [-1, 1]), so min-max maps them onto exactly the
range of the tutorial's tanh head, keeps every target reachable, and is not skewed by the many near-zero
actions at an episode's end the way mean/std is. `mean_std` stays available as a config option.
"""

from __future__ import annotations

import torch
from torch import nn

from simplevla import keys
from simplevla.errors import SimplevlaError

EPS = 1e-6
STAT_NAMES = ("min", "max", "mean", "std")


def _stat(stats: dict, feature: str, name: str, dim: int) -> torch.Tensor:
    try:
        value = torch.as_tensor(stats[feature][name], dtype=torch.float32).reshape(-1)
    except KeyError as e:
        raise SimplevlaError(f"dataset stats: missing {feature!r}/{name!r} (meta/stats.json)") from e
    if value.numel() != dim:
        raise SimplevlaError(
            f"dataset stats: {feature!r}/{name!r} has {value.numel()} values, the policy expects {dim}"
        )
    return value


class Normalizer(nn.Module):
    """Normalizes `observation.state` and `action` with the dataset's stats (mode 'min_max' or 'mean_std')."""

    def __init__(self, stats: dict, state_dim: int, action_dim: int, mode: str = "min_max") -> None:
        super().__init__()
        self.mode = mode
        for feature, prefix, dim in ((keys.STATE, "state", state_dim), (keys.ACTION, "action", action_dim)):
            for name in STAT_NAMES:
                self.register_buffer(f"{prefix}_{name}", _stat(stats, feature, name, dim))

    def _scale_shift(self, prefix: str) -> tuple[torch.Tensor, torch.Tensor]:
        """(scale, center) so that normalized = (x - center) / scale."""
        if self.mode == "min_max":
            lo, hi = getattr(self, f"{prefix}_min"), getattr(self, f"{prefix}_max")
            return ((hi - lo) / 2).clamp_min(EPS), (hi + lo) / 2
        return getattr(self, f"{prefix}_std").clamp_min(EPS), getattr(self, f"{prefix}_mean")

    def state(self, x: torch.Tensor) -> torch.Tensor:
        scale, center = self._scale_shift("state")
        return (x - center) / scale  # (..., S)

    def action(self, x: torch.Tensor) -> torch.Tensor:
        scale, center = self._scale_shift("action")
        return (x - center) / scale  # (..., A)

    def unaction(self, x: torch.Tensor) -> torch.Tensor:
        scale, center = self._scale_shift("action")
        return x * scale + center  # (..., A)

    def stats_json(self) -> dict:
        """The stats it holds, as {feature: {stat: list}} (written as stats.json in a checkpoint)."""
        out: dict = {}
        for feature, prefix in ((keys.STATE, "state"), (keys.ACTION, "action")):
            out[feature] = {n: getattr(self, f"{prefix}_{n}").tolist() for n in STAT_NAMES}
        return out
