"""Action validation shared by the envs: a float array of the env's shape, finite, else a ValueError."""

from __future__ import annotations

import math

import numpy as np


def check_action(action: np.ndarray, dim: int) -> list[float]:
    """`action` as `dim` Python floats, not yet clipped; a ValueError names what is wrong with it."""
    try:
        a = np.asarray(action, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"action must be a float array of shape ({dim},), got {action!r}") from e
    if a.shape != (dim,):
        raise ValueError(f"action must have shape ({dim},), got shape {a.shape}")
    values = a.tolist()
    if not all(map(math.isfinite, values)):
        raise ValueError(f"action must be finite (no NaN or inf), got {values}")
    return values
