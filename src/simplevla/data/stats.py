"""Feature statistics in LeRobot's layout: min, max, mean, std, count and q01/q10/q50/q90/q99.

Low-dimensional features: exact, over all frames (np.quantile, linear interpolation), shape (D,).
Images: per channel in [0, 1] with shape (3, 1, 1) as LeRobot writes them, computed EXACTLY from a
256-bin histogram of every pixel of every frame (quantiles are the inverse CDF of that histogram).
`count` is the number of frames, shape (1,).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

QUANTILES = {"q01": 0.01, "q10": 0.10, "q50": 0.50, "q90": 0.90, "q99": 0.99}
STAT_NAMES = ("min", "max", "mean", "std", "count", *QUANTILES)


def _moments(x: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """min, max, mean, std and count of an (N, ...) array, plus its (N, D) float64 copy for quantiles."""
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
    return out, xf


def _with_quantiles(out: dict[str, np.ndarray], qs: np.ndarray) -> dict[str, np.ndarray]:
    for (name, _), q in zip(QUANTILES.items(), qs, strict=True):
        out[name] = q
    return out


def lowdim_stats(x: np.ndarray) -> dict[str, np.ndarray]:
    """Stats of a (N,) or (N, D) array; ints keep int min/max, bools are treated as 0/1 floats."""
    out, xf = _moments(x)
    return _with_quantiles(out, np.quantile(xf, list(QUANTILES.values()), axis=0))  # (5, D)


def lowdim_stats_many(arrays: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
    """`lowdim_stats` of several (N, ...) arrays with one N, sharing one np.quantile call (the costly
    part for short episodes). Quantiles are per column, so the results are the same, value for value."""
    parts = {k: _moments(v) for k, v in arrays.items()}
    if not parts:
        return {}
    xf = np.concatenate([xf for _, xf in parts.values()], axis=1)  # (N, sum of D)
    qs = np.quantile(xf, list(QUANTILES.values()), axis=0)  # (5, sum of D)
    out, col = {}, 0
    for k, (moments, part) in parts.items():
        d = part.shape[1]
        out[k] = _with_quantiles(moments, qs[:, col : col + d])
        col += d
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


def stat_vector(stats: dict[str, dict[str, np.ndarray]]) -> tuple[np.ndarray, dict[str, int]]:
    """Per-episode stats {key: {name: array}} as one float64 vector (keys in order, STAT_NAMES within a key)
    and each key's offset in it: a compact form to send between processes (ints below 2**53 stay exact)."""
    parts, offsets, at = [], {}, 0
    for k, st in stats.items():
        offsets[k] = at
        for name in STAT_NAMES:
            v = np.asarray(st[name], np.float64).reshape(-1)
            parts.append(v)
            at += v.size
    return (np.concatenate(parts) if parts else np.zeros(0)), offsets


def stat_width(cell: tuple[int, ...]) -> int:
    """Length of one key's block in a stat vector, for stats cells of shape `cell` (count is (1,))."""
    return (len(STAT_NAMES) - 1) * math.prod(cell) + 1


def stats_columns(
    matrix: np.ndarray, layout: list[tuple[str, tuple[int, ...], bool]]
) -> dict[str, np.ndarray]:
    """Episodes-table stats columns from stacked stat vectors (E, K) laid out as `layout` =
    [(key, cell shape, integer min/max), ...]: {"stats/<key>/<name>": array (E, *cell)}."""
    out, at = {}, 0
    for key, cell, int_minmax in layout:
        size = int(np.prod(cell))
        for name in STAT_NAMES:
            shape, w = ((1,), 1) if name == "count" else (cell, size)
            col = matrix[:, at : at + w].reshape(len(matrix), *shape)
            if name == "count" or (int_minmax and name in ("min", "max")):
                col = col.astype(np.int64)
            out[f"stats/{key}/{name}"] = col
            at += w
    return out


def index_columns(
    n: np.ndarray, start: np.ndarray, episode: np.ndarray, task: np.ndarray, fps: int
) -> dict[str, np.ndarray]:
    """`index_stats` of E episodes at once as episodes-table columns {"stats/<key>/<name>": (E, 1)}: the
    same values and dtypes as per-episode `index_stats`, in its order."""
    uniq, inv = np.unique(n, return_inverse=True)
    base = {name: np.stack([_arange_stats(int(u))[name] for u in uniq])[inv] for name in STAT_NAMES}  # (E, 1)
    col = {k: np.asarray(v, np.int64).reshape(-1, 1) for k, v in (("s", start), ("e", episode), ("t", task))}

    def const(c: np.ndarray) -> dict[str, np.ndarray]:
        out = {name: c.astype(np.float64) for name in STAT_NAMES}
        out.update(min=c, max=c, std=np.zeros(c.shape), count=base["count"])
        return out

    per_key = {
        "timestamp": {k: (v if k == "count" else v / fps) for k, v in base.items()},
        "frame_index": base,
        "episode_index": const(col["e"]),
        "index": {k: (v if k in ("std", "count") else v + col["s"]) for k, v in base.items()},
        "task_index": const(col["t"]),
    }
    return {f"stats/{key}/{name}": st[name] for key, st in per_key.items() for name in STAT_NAMES}


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


def pooled_stats(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """One feature's stats over several datasets from each one's stats (min, max, mean, std and count
    pooled exactly; quantiles, which do not pool, are the count-weighted mean of the parts')."""
    counts = np.array([float(np.asarray(p["count"]).reshape(-1)[0]) for p in parts])  # (P,)
    w = counts / counts.sum()
    mean = sum(wi * np.asarray(p["mean"], np.float64) for wi, p in zip(w, parts, strict=True))
    second = sum(
        wi * (np.asarray(p["std"], np.float64) ** 2 + np.asarray(p["mean"], np.float64) ** 2)
        for wi, p in zip(w, parts, strict=True)
    )
    out = {
        "min": np.minimum.reduce([np.asarray(p["min"]) for p in parts]),
        "max": np.maximum.reduce([np.asarray(p["max"]) for p in parts]),
        "mean": mean,
        "std": np.sqrt(np.maximum(second - mean**2, 0.0)),
        "count": np.array([int(counts.sum())]),
    }
    for name in QUANTILES:
        if all(name in p for p in parts):
            out[name] = sum(wi * np.asarray(p[name], np.float64) for wi, p in zip(w, parts, strict=True))
    return out
