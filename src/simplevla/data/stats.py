"""Feature statistics in LeRobot's layout: min, max, mean, std, count and q01/q10/q50/q90/q99.

Low-dimensional features: exact, over all frames (np.quantile, linear interpolation), shape (D,).
Images: per channel in [0, 1] with shape (3, 1, 1) as LeRobot writes them, computed EXACTLY from a
256-bin histogram of every pixel of every frame (quantiles are the inverse CDF of that histogram).
`count` is the number of frames, shape (1,).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

QUANTILES = {"q01": 0.01, "q10": 0.10, "q50": 0.50, "q90": 0.90, "q99": 0.99}
STAT_NAMES = ("min", "max", "mean", "std", "count", *QUANTILES)


def lowdim_stats(x: np.ndarray) -> dict[str, np.ndarray]:
    """Stats of a (N,) or (N, D) array; ints keep int min/max, bools are treated as 0/1 floats."""
    x = np.asarray(x)
    x = x.reshape(len(x), -1)  # (N, D)
    if x.dtype == np.bool_:
        x = x.astype(np.float64)
    xf = x.astype(np.float64)
    out = {
        "min": x.min(axis=0),
        "max": x.max(axis=0),
        "mean": xf.mean(axis=0),
        "std": xf.std(axis=0),
        "count": np.array([len(x)], np.int64),
    }
    qs = np.quantile(xf, list(QUANTILES.values()), axis=0)  # (5, D)
    for (name, _), q in zip(QUANTILES.items(), qs, strict=True):
        out[name] = q
    return out


@lru_cache(maxsize=4096)
def _arange_stats(n: int) -> dict[str, np.ndarray]:
    return lowdim_stats(np.arange(n, dtype=np.int64))


def index_stats(n: int, start: int, episode: int, task: int, fps: int) -> dict[str, dict[str, np.ndarray]]:
    """Per-episode stats of the five index columns in closed form (no per-frame work)."""
    base = _arange_stats(n)  # frame_index = 0..n-1
    shifted = {k: (v if k in ("std", "count") else v + start) for k, v in base.items()}
    scaled = {k: (v if k == "count" else v / fps) for k, v in base.items()}

    def const(c: int) -> dict[str, np.ndarray]:
        out = {name: np.array([float(c)]) for name in STAT_NAMES}
        out.update(min=np.array([c]), max=np.array([c]), std=np.array([0.0]), count=np.array([n]))
        return out

    return {
        "timestamp": scaled,
        "frame_index": base,
        "episode_index": const(episode),
        "index": shifted,
        "task_index": const(task),
    }


def image_stats_from_hist(hist: np.ndarray, n_frames: int) -> dict[str, np.ndarray]:
    """Per-channel stats in [0, 1], shape (3, 1, 1), from a (3, 256) pixel histogram."""
    hist = np.asarray(hist, np.float64)  # (3, 256)
    values = np.arange(256) / 255.0
    total = hist.sum(axis=1)  # (3,)
    mean = (hist * values).sum(axis=1) / total
    var = (hist * (values - mean[:, None]) ** 2).sum(axis=1) / total
    cdf = np.cumsum(hist, axis=1) / total[:, None]  # (3, 256)
    nz = hist > 0
    out = {
        "min": values[nz.argmax(axis=1)],
        "max": values[255 - nz[:, ::-1].argmax(axis=1)],
        "mean": mean,
        "std": np.sqrt(var),
    }
    for name, q in QUANTILES.items():
        out[name] = values[np.array([np.searchsorted(cdf[c], q - 1e-12) for c in range(3)])]
    out = {k: v.reshape(3, 1, 1) for k, v in out.items()}
    out["count"] = np.array([n_frames], np.int64)
    return {k: out[k] for k in STAT_NAMES}


def serialize_stats(stats: dict[str, dict[str, np.ndarray]]) -> dict:
    """numpy stats -> JSON lists (nested for images)."""
    return {key: {name: np.asarray(v).tolist() for name, v in st.items()} for key, st in stats.items()}
