"""An episode's frames as a captioned GIF or mp4 (mp4 with the `video` extra), in memory, for download."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from PIL import Image

from simplevla.media import caption_frame, has_mp4


def formats() -> list[str]:
    """The download formats this install can write."""
    return ["gif", "mp4"] if has_mp4() else ["gif"]


def episode_video(
    frames: Sequence[np.ndarray], instruction: str, success: bool | None, fmt: str, fps: int = 10
) -> bytes:
    """Frames (H, W, 3) uint8 upscaled and captioned with `instruction`; the last one is held for a second,
    marked success or failure (`success` None: the episode has not ended, no mark)."""
    if fmt not in formats():
        raise ValueError(f"format {fmt!r} is not available here; choose from {formats()}")
    shots = [caption_frame(f, instruction) for f in frames]
    shots += [caption_frame(frames[-1], instruction, mark=success)] * fps
    buf = io.BytesIO()
    if fmt == "mp4":
        import imageio.v3 as iio

        iio.imwrite(buf, np.stack(shots), extension=".mp4", plugin="pyav", fps=fps, codec="libx264")
    else:
        images = [Image.fromarray(s) for s in shots]
        images[0].save(
            buf, format="GIF", save_all=True, append_images=images[1:], duration=1000 // fps, loop=0
        )
    return buf.getvalue()
