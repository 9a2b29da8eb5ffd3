"""simplevla: small, honest Vision-Language-Action policies you can train and evaluate on a laptop CPU."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from simplevla.envs import register_all
from simplevla.version import __version__

if TYPE_CHECKING:
    from simplevla.models import VLAPolicy


def load_policy(path: str | os.PathLike, device: str = "cpu") -> VLAPolicy:
    """A ready policy (eval mode) from a checkpoint dir or a run dir; see `simplevla.models.load_policy`.
    Imported on call, so that `import simplevla` (e.g. in env worker processes) does not import torch."""
    from simplevla.models import load_policy as _load_policy

    return _load_policy(path, device)


register_all()  # simplevla/Tabletop-v0 and simplevla/MetaWorld-v0

__all__ = ["__version__", "load_policy"]
