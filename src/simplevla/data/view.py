"""Render one episode of a dataset as an animated GIF with the instruction as a caption."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from simplevla.atomic import atomic_write_bytes
from simplevla.errors import SimplevlaError
from simplevla.media import caption_frame


def episode_gif(ds, episode: int, out: str | Path, scale: int = 4) -> dict:
    """Write episode `episode` of loaded dataset `ds` to `out` (GIF at the dataset fps)."""
    n_eps = ds.meta.total_episodes
    if not 0 <= episode < n_eps:
        raise SimplevlaError(f"--episode {episode} is out of range: {ds.root} has episodes 0..{n_eps - 1}")
    if not ds.meta.camera_keys:
        raise SimplevlaError(f"{ds.root / 'meta/info.json'}: no image or video feature to view")
    key = ds.meta.camera_keys[0]
    ep = ds.meta.episodes[episode]
    a, b = ep["dataset_from_index"], ep["dataset_to_index"]
    task = ds[a]["task"]
    frames = [Image.fromarray(caption_frame(ds.image(key, i), task, scale=scale)) for i in range(a, b)]
    buf = io.BytesIO()
    frames[0].save(
        buf, format="GIF", save_all=True, append_images=frames[1:], duration=int(1000 / ds.meta.fps), loop=0
    )
    out = Path(out)
    atomic_write_bytes(out, buf.getvalue())
    return {
        "out": str(out),
        "episode": episode,
        "frames": b - a,
        "task": task,
        "size": list(np.asarray(frames[0]).shape[:2]),
    }
