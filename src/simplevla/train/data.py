"""The data a run trains on: a training cache, train/val `WindowSampler`s, and feature checks."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from simplevla import keys
from simplevla.data import WindowSampler, build_cache
from simplevla.data.cache import concat_caches
from simplevla.errors import SimplevlaError
from simplevla.models.config import PolicyConfig


@dataclasses.dataclass
class DataSource:
    """What the loop needs from a dataset. Tests may build one around an in-memory TrainingCache."""

    cache: object  # simplevla.data.TrainingCache (or anything with its fields)
    train: object  # WindowSampler over the train split
    val: object | None  # WindowSampler over the val split, or None

    @property
    def stats(self) -> dict:
        return self.cache.stats

    @property
    def tasks(self) -> list[str]:
        return list(self.cache.tasks)


class SliceSampler:
    """`--debug`: the first `n` sample positions of a sampler, same interface."""

    def __init__(self, inner: object, n: int = 64) -> None:
        self.inner, self.n = inner, min(n, len(inner))

    def __len__(self) -> int:
        return self.n

    def get_batch(self, idx: np.ndarray) -> dict:
        return self.inner.get_batch(idx)

    def batch_indices(self, step: int, batch_size: int) -> np.ndarray:
        return np.random.default_rng([self.inner.seed, step]).integers(0, self.n, batch_size)


def make_source(
    cache: object,
    policy: PolicyConfig,
    val_fraction: float,
    seed: int,
    debug: bool = False,
    name: str = "dataset",
) -> DataSource:
    """Samplers for `cache`, after checking its features against the policy config."""
    check_features(cache, policy, name)
    n_eps = len(cache.episode_ends)
    frac = val_fraction if n_eps > 1 else 0.0
    train = WindowSampler(cache, chunk_size=policy.chunk_size, split="train", val_fraction=frac, seed=seed)
    val = (
        WindowSampler(cache, chunk_size=policy.chunk_size, split="val", val_fraction=frac, seed=seed)
        if frac > 0
        else None
    )
    if debug:
        train = SliceSampler(train)
        val = SliceSampler(val) if val is not None else None
    return DataSource(cache, train, val)


def load_source(
    datasets: Path | Sequence[Path],
    cache_dir: Path | None,
    policy: PolicyConfig,
    val_fraction: float,
    seed: int,
    debug: bool = False,
) -> DataSource:
    """Samplers over one dataset's training cache, or over several datasets' caches read as one
    (`concat_caches`: they must share image size, state and action widths)."""
    roots = [Path(datasets)] if isinstance(datasets, (str, Path)) else [Path(d) for d in datasets]
    for root in roots:
        if not (root / "meta" / "info.json").is_file():
            raise SimplevlaError(f"--dataset {root}: not a LeRobotDataset v3.0 directory (no meta/info.json)")
    caches = [build_cache(root, cache_dir) for root in roots]
    names = [str(r) for r in roots]
    cache = caches[0] if len(caches) == 1 else concat_caches(caches, names)
    return make_source(cache, policy, val_fraction, seed, debug, name=" + ".join(names))


def check_features(cache: object, policy: PolicyConfig, name: str) -> None:
    """Raise a SimplevlaError naming every feature whose shape differs from what the policy expects."""
    _, h, w, _ = cache.images.shape
    diffs = []
    if (h, w) != (policy.image_size, policy.image_size):
        diffs.append(
            f"'{keys.IMAGE}' is {h}x{w}, the {policy.preset!r} policy expects "
            f"{policy.image_size}x{policy.image_size} (override with --policy.image-size {h})"
        )
    # state_dim/action_dim left unset (None) are the dataset's (Tabletop 2 and 2, Meta-World 4 and 4)
    if policy.state_dim is not None and cache.states.shape[1] != policy.state_dim:
        diffs.append(
            f"'{keys.STATE}' has {cache.states.shape[1]} values, the policy expects {policy.state_dim} "
            f"(--policy.state-dim)"
        )
    if policy.action_dim is not None and cache.actions.shape[1] != policy.action_dim:
        diffs.append(
            f"'{keys.ACTION}' has {cache.actions.shape[1]} values, the policy expects "
            f"{policy.action_dim} (--policy.action-dim)"
        )
    if (policy.aux_weight > 0 or policy.parse_weight > 0) and getattr(cache, "task_xy", None) is None:
        diffs.append(
            f"'{keys.TASK_XY}' is missing, and the policy's auxiliary loss (aux_weight={policy.aux_weight}) "
            f"reads it while its parse head (parse_weight={policy.parse_weight}) learns Tabletop's grammar "
            "(record Tabletop with --task-xy, or train with --policy.aux-weight 0 --policy.plan-input False "
            "--policy.parse-weight 0)"
        )
    xy = getattr(cache, "task_xy", None)
    width = None if xy is None else xy.shape[1]
    if policy.aux_weight > 0 and policy.aux_dim is not None and width not in (None, policy.aux_dim):
        diffs.append(
            f"'{keys.TASK_XY}' has {width} columns, the policy reads {policy.aux_dim} "
            f"(--policy.aux-dim {width})"
        )
    if diffs:
        raise SimplevlaError(f"{name}: dataset features do not match the policy: " + "; ".join(diffs))
