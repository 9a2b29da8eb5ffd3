"""Compressed frames (simplevla.data.frames): lossless, random access by any index, picklable."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from simplevla.data.frames import CompressedFrames, write_frames


def _frames(n: int, seed: int = 0) -> np.ndarray:
    """Flat-colour frames with a moving block, like the envs' (n, 24, 24, 3) uint8."""
    rng = np.random.default_rng(seed)
    out = np.full((n, 24, 24, 3), 200, np.uint8)
    for i in range(n):
        x, y = rng.integers(0, 18, 2)
        out[i, y : y + 6, x : x + 6] = rng.integers(0, 255, 3)
    return out


@pytest.mark.parametrize("n", [5, 300])  # too few frames for a dictionary, and enough for one
def test_roundtrip_is_lossless_by_any_index(tmp_path, n):
    frames = _frames(n)
    written = write_frames(tmp_path, (frames[i : i + 64] for i in range(0, n, 64)), n, (24, 24, 3))
    assert (tmp_path / "frames.dict").is_file() == (n >= 64)
    stored = CompressedFrames(tmp_path)
    assert stored.shape == frames.shape and len(stored) == n and stored.stored_bytes == written
    assert written < frames.nbytes / 4  # flat colours compress far
    np.testing.assert_array_equal(stored[np.arange(n)], frames)
    np.testing.assert_array_equal(stored[n - 1], frames[n - 1])
    np.testing.assert_array_equal(stored[-1], frames[-1])
    np.testing.assert_array_equal(stored[1:4], frames[1:4])
    idx = np.array([[3, 0], [2, 2]]) % n
    np.testing.assert_array_equal(stored[idx], frames[idx])
    np.testing.assert_array_equal(np.asarray(stored), frames)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(stored))[np.arange(n)], frames)
    with pytest.raises(IndexError, match="out of range"):
        stored[np.array([n])]


def test_wrong_blocks_are_refused(tmp_path):
    with pytest.raises(ValueError, match="expected 4 frames"):
        write_frames(tmp_path, [_frames(3)], 4, (24, 24, 3))
    with pytest.raises(ValueError, match="expected 2 frames"):
        write_frames(tmp_path, [_frames(3)], 2, (24, 24, 3))
    with pytest.raises(ValueError, match=r"\(24, 24, 3\)"):
        write_frames(tmp_path, [np.zeros((2, 8, 8, 3), np.uint8)], 2, (24, 24, 3))
