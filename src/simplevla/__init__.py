"""simplevla: small, honest Vision-Language-Action policies you can train and evaluate on a laptop CPU."""

from __future__ import annotations

__version__ = "0.1.0"

from simplevla.models import load_policy  # noqa: E402  (after __version__, which models reads)

__all__ = ["__version__", "load_policy"]


def _register_envs() -> None:
    """Register `simplevla/Tabletop-v0` with Gymnasium (the env module itself loads only on make)."""
    from gymnasium.envs.registration import register, registry

    if "simplevla/Tabletop-v0" not in registry:
        register(id="simplevla/Tabletop-v0", entry_point="simplevla.envs.tabletop:TabletopEnv")


_register_envs()
