"""Helpers for repeatable lessons: seed every random number generator, and pin torch to one thread."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator

import numpy as np
import torch


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch with `seed`; return a fresh torch.Generator seeded the same way."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run the body with `torch.set_num_threads(1)`, then restore the previous count.

    A float sum's value depends on how it is split across threads, so a small model trained with a
    different thread count ends at (slightly) different weights. One thread makes a seeded lesson give the
    same numbers on every machine, and for models this small it is also the fastest choice.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
