"""Decode an mp4 file into frames with PyAV (the optional `video` extra: `pip install simplevla[video]`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from simplevla.errors import SimplevlaError


def decode_video(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """All frames of `path` as uint8 (F, H, W, 3) RGB, and their presentation times in seconds (F,)."""
    try:
        import av
    except ImportError:
        raise SimplevlaError(
            f"{path}: reading the 'video' dtype needs PyAV; run `pip install 'simplevla[video]'`"
        ) from None
    if not path.is_file():
        raise SimplevlaError(f"{path}: missing video file")
    frames, times = [], []
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise SimplevlaError(f"{path}: holds no video stream")
            stream = container.streams.video[0]
            for frame in container.decode(stream):
                frames.append(frame.to_ndarray(format="rgb24"))
                known = frame.pts is not None and stream.time_base is not None
                times.append(float(frame.pts * stream.time_base) if known else len(times))
    except (av.FFmpegError, UnicodeDecodeError) as e:  # UnicodeDecodeError: container metadata not UTF-8
        raise SimplevlaError(f"{path}: cannot decode video ({type(e).__name__}: {e})") from None
    if not frames:
        raise SimplevlaError(f"{path}: video holds no frames")
    return np.stack(frames), np.asarray(times, np.float64)
