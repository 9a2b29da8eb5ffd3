"""Policies: config and presets, parts (vision, text, fusion, heads), factory, save/load."""

from __future__ import annotations

from simplevla.models.config import PRESETS, PolicyConfig
from simplevla.models.factory import make_policy, num_params
from simplevla.models.io import load_policy, resolve_checkpoint, save_policy
from simplevla.models.policy import VLAPolicy

__all__ = [
    "PRESETS",
    "PolicyConfig",
    "VLAPolicy",
    "load_policy",
    "make_policy",
    "num_params",
    "resolve_checkpoint",
    "save_policy",
]
