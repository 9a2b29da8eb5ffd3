"""simplevla: small, honest Vision-Language-Action policies you can train and evaluate on a laptop CPU."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simplevla.models import VLAPolicy

__version__ = "0.2.0"


def load_policy(path: str | os.PathLike, device: str = "cpu") -> VLAPolicy:
    """A ready policy (eval mode) from a checkpoint dir or a run dir; see `simplevla.models.load_policy`.
    Imported lazily, so that `import simplevla` (e.g. in env worker processes) does not import torch."""
    from simplevla.models import load_policy as _load_policy

    return _load_policy(path, device)


__all__ = ["__version__", "load_policy"]


def _register_envs() -> None:
    """Register `simplevla/Tabletop-v0` and `simplevla/MetaWorld-v0` with Gymnasium (each env module loads
    only on make)."""
    from gymnasium.envs.registration import register, registry

    if "simplevla/Tabletop-v0" not in registry:
        register(id="simplevla/Tabletop-v0", entry_point="simplevla.envs.tabletop:TabletopEnv")
    if "simplevla/MetaWorld-v0" not in registry:  # needs the `metaworld` extra, imported only on make
        register(id="simplevla/MetaWorld-v0", entry_point="simplevla.envs.metaworld_env:MetaWorldEnv")


_register_envs()
