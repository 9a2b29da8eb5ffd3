"""Wilson intervals against scipy's implementation; captioned frames and bar charts on disk."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from simplevla.eval.metrics import summary, wilson_interval
from simplevla.media import caption_frame, plot_success_bars, write_frame_strip, write_rollout_video


@pytest.mark.parametrize("k,n", [(0, 10), (3, 10), (10, 10), (45, 50), (250, 250), (1, 1)])
def test_wilson_matches_scipy(k: int, n: int) -> None:
    stats = pytest.importorskip("scipy.stats")
    ref = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    lo, hi = wilson_interval(k, n)
    assert lo == pytest.approx(100 * ref.low, abs=1e-6)
    assert hi == pytest.approx(100 * ref.high, abs=1e-6)


def test_wilson_contains_point_estimate() -> None:
    for k in range(0, 21):
        lo, hi = wilson_interval(k, 20)
        assert lo <= 100 * k / 20 <= hi


def test_caption_frame_shape_and_mark() -> None:
    frame = np.zeros((64, 64, 3), dtype=np.uint8)
    out = caption_frame(frame, "push the red square to the left", scale=4, mark=True)
    assert out.dtype == np.uint8 and out.shape[1] == 256 and out.shape[0] % 16 == 0
    assert out.shape[0] > 256  # a caption band above the image
    green = (out == (40, 170, 60)).all(-1)  # (H', W') the success border and tag
    assert green.sum() > 4 * 256
    assert not (caption_frame(frame, "x", scale=4, mark=None) == (40, 170, 60)).all(-1).any()


def test_video_and_bars_written(tmp_path) -> None:
    frames = [np.full((32, 32, 3), v, dtype=np.uint8) for v in range(0, 200, 20)]
    path = write_rollout_video(frames, "reach the blue circle", False, tmp_path / "ep")
    assert path.exists() and path.stat().st_size > 0 and path.suffix in (".mp4", ".gif")
    strip = write_frame_strip(frames, "reach the blue circle", False, tmp_path / "ep", n=6, scale=2)
    with Image.open(strip) as im:
        assert strip.suffix == ".png" and im.size[0] >= 6 * 64 and im.size[1] > 64  # 6 frames, 2x, a caption
        pixels = np.asarray(im.convert("RGB"))
    assert {0, 180}.issubset(set(pixels[-20, :, 0].tolist()))  # the first and the last frame are in it
    # 50/50 successes: the interval's upper end rounds to just below 100, which once made a negative error bar
    groups = {"reach": summary([True] * 50), "separate": summary([False] * 3 + [True] * 7)}
    png = plot_success_bars(groups, tmp_path / "bars.png")
    with Image.open(png) as im:
        assert im.size[0] > 100 and im.size[1] > 100


def test_to_batch_rejects_empty_instructions_and_nan_state() -> None:
    from simplevla.envs.batch import to_batch

    obs = {"pixels": np.zeros((8, 8, 3), np.uint8), "agent_pos": np.array([0.5, 0.5], np.float32)}
    assert to_batch(obs, "reach the red circle")["observation.image"].shape == (1, 3, 8, 8)
    for bad in ("", "   "):
        with pytest.raises(ValueError, match="non-empty"):
            to_batch(obs, bad)
    with pytest.raises(ValueError, match="NaN"):
        to_batch({**obs, "agent_pos": np.array([np.nan, 0.5], np.float32)}, "reach the red circle")


def test_caption_frame_size_does_not_depend_on_text() -> None:
    frame = np.zeros((32, 32, 3), dtype=np.uint8)
    short = caption_frame(frame, "reach it", scale=4)
    long = caption_frame(
        frame, "please push the crimson wedge all the way into the upper-left corner now", scale=4
    )
    assert (
        short.shape == long.shape == caption_frame(frame, "x", scale=4, mark=False).shape
    )  # grids and videos
