"""Render one episode of a dataset as an animated GIF with the instruction as a caption."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from simplevla.atomic import atomic_write_bytes
from simplevla.errors import SimplevlaError
from simplevla.media import caption_frame

MAX_SCALE = 16  # a 64x64 frame becomes 1024x1024: a larger scale only spends memory


def episode_gif(ds, episode: int, out: str | Path, scale: int = 4) -> dict:
    """Write episode `episode` of loaded dataset `ds` to `out` (GIF at the dataset fps)."""
    if isinstance(scale, bool) or not isinstance(scale, int) or not 1 <= scale <= MAX_SCALE:
        raise SimplevlaError(f"--scale must be a whole number from 1 to {MAX_SCALE}, got {scale!r}")
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
    try:
        atomic_write_bytes(out, buf.getvalue())
    except OSError as e:  # a directory there, a parent that is a file, no permission (a full disk: above)
        raise SimplevlaError(f"--out {out}: cannot write the GIF there ({e.strerror or e})") from None
    return {
        "out": str(out),
        "episode": episode,
        "frames": b - a,
        "task": task,
        "size": list(np.asarray(frames[0]).shape[:2]),
    }
