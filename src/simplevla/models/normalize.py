"""`Normalizer`: dataset statistics as buffers inside the policy, so a checkpoint acts on its own.

We use min-max scaling to [-1, 1] by default: both normalized features are bounded by construction (the
effector stays on the [0, 1] table; actions are clipped to [-1, 1]), so min-max maps them onto exactly the
range of the tutorial's tanh head, keeps every target reachable, and is not skewed by the many near-zero
actions at an episode's end the way mean/std is. `mean_std` stays available as a config option.
"""

from __future__ import annotations

import numbers

import numpy as np
import torch
from torch import nn

from simplevla import keys
from simplevla.errors import SimplevlaError

EPS = 1e-6
STAT_NAMES = ("min", "max", "mean", "std")


def _numbers(value: object) -> list[float] | None:
    """The numbers of a number or a (nested) list of numbers, flattened; None when anything else is in it
    (a string, null, an object, a bool). Iterative: a list nested 1,000 deep costs no recursion."""
    out, stack = [], [value]
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(reversed(v))
        elif isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_)):
            out.append(float(v) if not isinstance(v, int) else v)
        else:
            return None
    return out


def _stat(
    stats: dict, feature: str, name: str, dim: int, source: str = "dataset stats (meta/stats.json)"
) -> torch.Tensor:
    """stats[feature][name] as a float32 (dim,) tensor of finite numbers; a SimplevlaError naming `source`
    and the field otherwise."""
    field = f"field '{feature}.{name}'"
    entry = stats.get(feature) if isinstance(stats, dict) else None
    if not isinstance(entry, dict) or name not in entry:
        raise SimplevlaError(f"{source}: missing {feature!r}/{name!r} ({field})")
    raw = entry[name]
    if isinstance(raw, (torch.Tensor, np.ndarray, np.generic)):  # computed in memory (e.g. concat_caches)
        raw = np.asarray(raw.detach().cpu() if isinstance(raw, torch.Tensor) else raw).tolist()
    values = _numbers(raw)
    try:
        value = torch.tensor(values if values is not None else [], dtype=torch.float64)
    except (OverflowError, RuntimeError, TypeError):  # an integer beyond float64
        values = None
    if values is None:
        raise SimplevlaError(f"{source}: {field} must be a number or a list of numbers")
    if value.numel() != dim:
        raise SimplevlaError(f"{source}: {field} has {value.numel()} values, the policy expects {dim}")
    value = value.to(torch.float32)
    if not torch.isfinite(value).all():
        raise SimplevlaError(f"{source}: {field} holds NaN, inf or a number beyond float32: {value.tolist()}")
    return value


def check_stats(stats: dict, state_dim: int, action_dim: int, source: str) -> None:
    """Refuse stats a Normalizer could not be built from, naming `source` (e.g. a checkpoint's stats.json)."""
    for feature, dim in ((keys.STATE, state_dim), (keys.ACTION, action_dim)):
        for name in STAT_NAMES:
            _stat(stats, feature, name, dim, source)


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
