"""Render one episode of a dataset as an animated GIF with the instruction as a caption."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from simplevla.atomic import atomic_write_bytes
from simplevla.errors import SimplevlaError


def _caption_lines(text: str, width_chars: int) -> list[str]:
    words, lines, cur = text.split(), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width_chars:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    return [*lines, cur] if cur else lines


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
    font = ImageFont.load_default()
    frames = []
    for i in range(a, b):
        img = Image.fromarray(ds.image(key, i)).resize(
            (ds.image(key, i).shape[1] * scale,) * 2, Image.NEAREST
        )
        lines = _caption_lines(task, max(8, img.width // 7))
        canvas = Image.new("RGB", (img.width, img.height + 14 * len(lines) + 6), "white")
        canvas.paste(img, (0, 0))
        draw = ImageDraw.Draw(canvas)
        for j, line in enumerate(lines):
            draw.text((4, img.height + 3 + 14 * j), line, fill="black", font=font)
        frames.append(canvas)
    out = Path(out)
    tmp = out.with_suffix(".gif.tmp")
    frames[0].save(
        tmp, format="GIF", save_all=True, append_images=frames[1:], duration=int(1000 / ds.meta.fps), loop=0
    )
    atomic_write_bytes(out, tmp.read_bytes())
    tmp.unlink()
    return {
        "out": str(out),
        "episode": episode,
        "frames": b - a,
        "task": task,
        "size": list(np.asarray(frames[0]).shape[:2]),
    }
