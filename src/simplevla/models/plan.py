"""The plan input: the policy's own reading of where the task object is and where it must go, made explicit.

With `aux_weight > 0` the policy learns to read `aux.task_xy` (the task object's centre and its goal) off
its fused features. With `plan_input`, that reading (detached: only the auxiliary loss trains it) is also
turned into a few geometric features relative to the effector and fed to the action head beside the fused
features. An MLP on exactly these quantities imitates the expert closed loop far better than the full
pixel policy (docs/results.md), so the head is given them instead of having to rediscover them.
"""

from __future__ import annotations

import torch
from torch import nn

PLAN_DIM = 15  # features per sample, see `plan_features`
PLAN_SCALE = 4.0  # table-unit offsets are ~0.05-0.5; this brings them near unit size


def table_to_unit(xy: torch.Tensor) -> torch.Tensor:
    """Table units [0, 1] -> the [-1, 1] coordinates the probe predicts in (any shape)."""
    return xy * 2.0 - 1.0


def unit_to_table(xy: torch.Tensor) -> torch.Tensor:
    """The probe's [-1, 1] coordinates -> table units [0, 1] (any shape)."""
    return (xy + 1.0) / 2.0


def plan_probe(in_dim: int, hidden: int, out_dim: int = 4) -> nn.Module:
    """Fused features (B, in_dim) -> task_xy (B, out_dim) in [-1, 1] coordinates (object x, y, goal x, y
    and, with out_dim 6, the reference object's x, y: a target that only trains the reading)."""
    return nn.Sequential(nn.Linear(in_dim, hidden), nn.GELU(), nn.Linear(hidden, out_dim))


def plan_features(task_xy: torch.Tensor, effector: torch.Tensor) -> torch.Tensor:
    """task_xy (B, 4 or more) in [-1, 1] coordinates, effector (B, 2) in table units -> (B, PLAN_DIM); only
    the object and goal (the first 4 columns) are read.

    Features: object and goal (in [-1, 1]); object - effector, goal - object and goal - effector (scaled
    table units); the unit push direction; the effector's position in the push frame (along the push
    direction and across it) relative to the object, and its distance from the object.
    """
    task_xy = task_xy[:, :4]  # (B, 4) object, goal
    xy = unit_to_table(task_xy)  # (B, 4) table units
    obj, goal = xy[:, :2], xy[:, 2:]  # (B, 2) each
    push = goal - obj  # (B, 2)
    unit = push / push.norm(dim=-1, keepdim=True).clamp_min(1e-3)  # (B, 2)
    rel = effector - obj  # (B, 2)
    along = (rel * unit).sum(-1, keepdim=True)  # (B, 1) > 0: the effector is on the goal side
    across = rel[:, :1] * unit[:, 1:] - rel[:, 1:] * unit[:, :1]  # (B, 1) signed side of the push line
    dist = rel.norm(dim=-1, keepdim=True)  # (B, 1)
    feats = [
        task_xy,
        -rel * PLAN_SCALE,
        push * PLAN_SCALE,
        (goal - effector) * PLAN_SCALE,
        unit,
        along * PLAN_SCALE,
        across * PLAN_SCALE,
    ]
    return torch.cat(feats + [dist * PLAN_SCALE], dim=-1)  # (B, PLAN_DIM)
