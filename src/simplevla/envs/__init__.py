"""The Tabletop suite: a language-conditioned pushing environment, its task families and scripted expert.

`to_batch` (env observation -> policy batch) is loaded lazily, so that env worker processes (e.g. under
AsyncVectorEnv) never import torch.
"""

from __future__ import annotations

from typing import Any

from simplevla.envs.expert import Expert, Phase
from simplevla.envs.tabletop import TabletopEnv
from simplevla.envs.tasks import FAMILIES, MAX_STEPS

ENV_ID = "simplevla/Tabletop-v0"
ENV_IDS = {"tabletop": ENV_ID, "metaworld": "simplevla/MetaWorld-v0"}  # --env NAME -> gymnasium id
RECORD_SEED_START = 0  # recording uses seeds RECORD_SEED_START, RECORD_SEED_START + 1, ...
EVAL_SEED_START = 1_000_000  # evaluation uses seeds from here up, so they never overlap recording

__all__ = [
    "ENV_ID",
    "ENV_IDS",
    "EVAL_SEED_START",
    "FAMILIES",
    "MAX_STEPS",
    "RECORD_SEED_START",
    "Expert",
    "Phase",
    "TabletopEnv",
    "to_batch",
]


def __getattr__(name: str) -> Any:
    if name == "to_batch":
        from simplevla.envs.batch import to_batch

        return to_batch
    raise AttributeError(f"module 'simplevla.envs' has no attribute {name!r}")
