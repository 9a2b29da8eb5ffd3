"""Pictures for people: captioned rollout videos (mp4 with PyAV, else GIF), a strip of a rollout's frames
as one PNG, and success bar charts."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from simplevla.atomic import atomic_write_bytes

_GREEN = (40, 170, 60)
_RED = (200, 40, 40)


def has_mp4() -> bool:
    """True when PyAV (the `video` extra) can encode mp4."""
    try:
        import av  # noqa: F401
    except ImportError:
        return False
    return True


def caption_frame(frame: np.ndarray, text: str, scale: int = 4, mark: bool | None = None) -> np.ndarray:
    """Upscale an (H, W, 3) uint8 frame by `scale` and put `text` in a band above it.

    `mark` True/False draws a green/red border and a "success"/"failure" tag; None draws neither.
    Returns uint8 (H', W', 3) with H' and W' multiples of 16 (mp4 encoders want even sizes).
    """
    big = np.repeat(np.repeat(frame, scale, axis=0), scale, axis=1)  # (H*s, W*s, 3)
    width = big.shape[1]
    font = ImageFont.load_default()
    lines = textwrap.wrap(text, width=max(12, width // 7))[:3]
    # Three caption lines plus one for the mark: every frame has one size, whatever the text.
    band_h = 14 * 3 + 22
    canvas = Image.new("RGB", (width, big.shape[0] + band_h), (255, 255, 255))
    canvas.paste(Image.fromarray(big), (0, band_h))
    draw = ImageDraw.Draw(canvas)
    for i, line in enumerate(lines):
        draw.text((4, 4 + 14 * i), line, fill=(0, 0, 0), font=font)
    if mark is not None:
        colour = _GREEN if mark else _RED
        draw.text((4, 4 + 14 * len(lines)), "success" if mark else "failure", fill=colour, font=font)
        draw.rectangle([0, band_h, width - 1, canvas.height - 1], outline=colour, width=3)
    out = np.asarray(canvas)
    pad_h, pad_w = (-out.shape[0]) % 16, (-out.shape[1]) % 16
    return np.pad(out, ((0, pad_h), (0, pad_w), (0, 0)), constant_values=255)


def write_frame_strip(
    frames: Sequence[np.ndarray],
    instruction: str,
    success: bool,
    path: str | Path,
    n: int = 6,
    scale: int = 2,
) -> Path:
    """Write `n` evenly spaced frames of a rollout side by side as one small PNG, the instruction above.

    The last frame carries the success/failure mark. Returns the path (suffix .png)."""
    path = Path(path).with_suffix(".png")
    picks = np.linspace(0, len(frames) - 1, num=min(n, len(frames))).round().astype(int)  # (n,)
    tiles = [
        np.repeat(np.repeat(frames[i], scale, axis=0), scale, axis=1) for i in picks
    ]  # n x (H*s, W*s, 3)
    gap = np.full((tiles[0].shape[0], 4, 3), 255, dtype=np.uint8)
    row = np.concatenate([t for tile in tiles for t in (tile, gap)][:-1], axis=1)  # (H*s, W', 3)
    strip = caption_frame(row, instruction, scale=1, mark=success)
    buf = io.BytesIO()
    Image.fromarray(strip).save(buf, format="PNG", optimize=True)
    atomic_write_bytes(path, buf.getvalue())
    return path


def write_rollout_video(
    frames: Sequence[np.ndarray], instruction: str, success: bool, path: str | Path, fps: int = 10
) -> Path:
    """Write a captioned rollout; `path`'s suffix is replaced by .mp4 (PyAV present) or .gif.

    The last frame is held for one second with the success/failure mark.
    """
    path = Path(path).with_suffix(".mp4" if has_mp4() else ".gif")
    shots = [caption_frame(f, instruction) for f in frames]
    shots += [caption_frame(frames[-1], instruction, mark=success)] * fps
    buf = io.BytesIO()
    if path.suffix == ".mp4":
        import imageio.v3 as iio

        iio.imwrite(buf, np.stack(shots), extension=".mp4", plugin="pyav", fps=fps, codec="libx264")
    else:
        images = [Image.fromarray(s) for s in shots]
        images[0].save(
            buf, format="GIF", save_all=True, append_images=images[1:], duration=1000 // fps, loop=0
        )
    atomic_write_bytes(path, buf.getvalue())
    return path


def plot_success_bars(groups: dict[str, dict], path: str | Path, title: str = "success per family") -> Path:
    """Bar chart of `pc_success` per group with the 95% Wilson interval as error bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(groups)
    pc = np.array([groups[n]["pc_success"] for n in names])
    lo = np.array([groups[n]["ci95"][0] for n in names])
    hi = np.array([groups[n]["ci95"][1] for n in names])
    fig, ax = plt.subplots(figsize=(1.4 * len(names) + 2, 3.5))
    yerr = np.clip([pc - lo, hi - pc], 0.0, None)  # (2, G); rounding can make 100 - 100 slightly negative
    ax.bar(names, pc, yerr=yerr, capsize=4, color="#4a7ebb")
    for i, v in enumerate(pc):
        ax.text(i, min(v + 2, 101), f"{v:.0f}", ha="center", va="bottom", fontsize=8)
    ax.set_ylim(0, 105)
    ax.set_ylabel("success (%), 95% Wilson CI")
    ax.set_title(title)
    ax.tick_params(axis="x", labelrotation=20)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())
    return Path(path)
