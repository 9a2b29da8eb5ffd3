"""Learning rate as a pure function of (step, configured total steps): linear warmup, then cosine decay.

Being a pure function of the configured total, the schedule after `--resume` is the one the uninterrupted
run would have followed, wherever the first run stopped.
"""

from __future__ import annotations

import math


def lr_at(step: int, base_lr: float, total_steps: int, warmup_steps: int, min_lr_ratio: float) -> float:
    """The learning rate for optimizer step `step` (0-based)."""
    warmup = min(warmup_steps, max(total_steps - 1, 0))
    if step < warmup:
        return base_lr * (step + 1) / (warmup + 1)
    progress = (step - warmup) / max(1, total_steps - warmup)
    cosine = 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))
    return base_lr * (min_lr_ratio + (1.0 - min_lr_ratio) * cosine)
