"""simplevla: small, honest Vision-Language-Action policies you can train and evaluate on a laptop CPU."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
