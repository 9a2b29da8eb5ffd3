"""The training cache's frames, compressed one by one with Zstandard and read back by index.

Tabletop and Meta-World frames are flat colours: a 64x64 RGB frame (12,288 bytes raw) takes ~460 bytes as
Zstandard level 3 with a dictionary trained on the dataset's first frames, and decodes in ~8 us
(benchmarks/RESULTS.md). `write_frames` stores three files in a cache directory:

- `frames.zst`: the compressed frames, back to back;
- `frame_offsets.npy`: int64 (N + 1,), frame i is bytes [offsets[i], offsets[i + 1]);
- `frames.dict`: the Zstandard dictionary (absent when too few frames to train one).

`CompressedFrames(dir)` reads them as an (N, H, W, 3) uint8 array for the sampler: `frames[idx]` for an int,
a slice or an int array decodes just those frames; `np.asarray(frames)` decodes all (the GPU path).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import zstandard

LEVEL = 3  # Zstandard level: 3 compresses as well as 1-9 do here within 10%, and encodes fastest
DICT_BYTES = 64 << 10  # the trained dictionary's size
DICT_SAMPLES = 1024  # frames the dictionary is trained on (the first ones)
FILES = ("frames.zst", "frame_offsets.npy", "frames.json")


def write_frames(out: Path, blocks: Iterable[np.ndarray], n: int, shape: tuple[int, int, int]) -> int:
    """Compress `n` frames of `shape` (H, W, 3), given as uint8 blocks (n_block, H, W, 3) in order, into
    `out`; returns the bytes written. A block of another shape, or a frame count other than `n`, raises
    ValueError."""
    out = Path(out)
    compressor = None

    def parts() -> Iterator[tuple[np.ndarray, bytes]]:
        nonlocal compressor
        pos = 0
        for block in blocks:
            block = np.ascontiguousarray(block, dtype=np.uint8)
            if block.shape[1:] != tuple(shape) or pos + len(block) > n:
                raise ValueError(
                    f"frames: expected {n} frames of {tuple(shape)}, got a block {block.shape} at {pos}"
                )
            if compressor is None:
                table = train_table(block)
                write_table(out, table)
                compressor = make_compressor(table)
            pos += len(block)
            yield compress_block(block, compressor)

    return write_parts(out, parts(), n, shape)


def write_parts(out: Path, parts: Iterable[tuple[np.ndarray, bytes]], n: int, shape: tuple[int, ...]) -> int:
    """Store `n` frames of `shape` already compressed, given in order as parts (lengths (k,) int64, the k
    frames' bytes back to back), as `frames.zst`, `frame_offsets.npy` and `frames.json` in `out` (the
    dictionary, if any, is `write_table`'s); returns the bytes written. Another frame count raises ValueError."""
    out = Path(out)
    offsets = np.zeros(n + 1, np.int64)
    pos, written = 0, 0
    with open(out / "frames.zst", "wb") as f:
        for lengths, data in parts:
            k = len(lengths)
            if pos + k > n or int(lengths.sum()) != len(data):
                raise ValueError(
                    f"frames: expected {n} frames, got a part of {k} ({len(data)} bytes) at {pos}"
                )
            f.write(data)
            offsets[pos + 1 : pos + 1 + k] = written + np.cumsum(lengths)
            written += len(data)
            pos += k
    if pos != n:
        raise ValueError(f"frames: expected {n} frames, got {pos}")
    np.save(out / "frame_offsets.npy", offsets)
    (out / "frames.json").write_text(json.dumps({"shape": [n, *shape], "codec": "zstd", "level": LEVEL}))
    return written


def train_table(first: np.ndarray) -> bytes | None:
    """A Zstandard dictionary trained on the first frames (uint8 (k, H, W, 3)), or None when there are too
    few of them or too little variety to train one."""
    samples = [f.tobytes() for f in first[:DICT_SAMPLES]]
    if len(samples) < 64:
        return None
    try:
        return zstandard.train_dictionary(DICT_BYTES, samples).as_bytes()
    except zstandard.ZstdError:  # too little variety to train on: plain Zstandard
        return None


def write_table(out: Path, table: bytes | None) -> None:
    """Store the dictionary beside the frames (`frames.dict`; nothing when there is none)."""
    if table is not None:
        (Path(out) / "frames.dict").write_bytes(table)


def make_compressor(table: bytes | None) -> zstandard.ZstdCompressor:
    """A level-LEVEL compressor, with the dictionary when there is one."""
    if table is None:
        return zstandard.ZstdCompressor(level=LEVEL)
    return zstandard.ZstdCompressor(level=LEVEL, dict_data=zstandard.ZstdCompressionDict(table))


def compress_block(block: np.ndarray, compressor: zstandard.ZstdCompressor) -> tuple[np.ndarray, bytes]:
    """uint8 frames (k, H, W, 3) -> (each frame's compressed length (k,) int64, the frames back to back)."""
    blobs = [compressor.compress(frame.tobytes()) for frame in np.ascontiguousarray(block, dtype=np.uint8)]
    return np.fromiter(map(len, blobs), np.int64, len(blobs)), b"".join(blobs)


def _indices(index: int | slice | np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """An int, slice or int array over `n` frames as (the index array, its flat non-negative form (K,));
    IndexError when out of range."""
    if isinstance(index, slice):
        index = np.arange(*index.indices(n))
    idx = np.asarray(index, np.int64)
    flat = idx.reshape(-1)
    if flat.size and (flat.min() < -n or flat.max() >= n):
        raise IndexError(f"frame index out of range for {n} frames")
    return idx, np.where(flat < 0, flat + n, flat)


class CompressedFrames:
    """(N, H, W, 3) uint8 frames stored by `write_frames`, decoded on access."""

    dtype = np.dtype(np.uint8)
    ndim = 4

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.shape: tuple[int, ...] = tuple(json.loads((self.path / "frames.json").read_text())["shape"])
        self._open()

    def _open(self) -> None:
        self.offsets = np.load(self.path / "frame_offsets.npy")  # (N + 1,) int64
        size = int(self.offsets[-1])
        self._blob = np.memmap(self.path / "frames.zst", np.uint8, "r") if size else np.zeros(0, np.uint8)
        table = self.path / "frames.dict"
        self._dict = zstandard.ZstdCompressionDict(table.read_bytes()) if table.is_file() else None
        self._local = threading.local()  # a decompressor per thread (they are not thread-safe)

    def __getstate__(self) -> dict:
        return {"path": self.path, "shape": self.shape}

    def __setstate__(self, state: dict) -> None:
        self.path, self.shape = state["path"], state["shape"]
        self._open()

    def __len__(self) -> int:
        return self.shape[0]

    @property
    def nbytes(self) -> int:
        """Bytes of the decoded frames (what a device copy holds)."""
        return int(np.prod(self.shape))

    @property
    def stored_bytes(self) -> int:
        return int(self.offsets[-1])

    def _decompressor(self) -> zstandard.ZstdDecompressor:
        d = getattr(self._local, "d", None)
        if d is None:
            d = self._local.d = (
                zstandard.ZstdDecompressor(dict_data=self._dict)
                if self._dict
                else zstandard.ZstdDecompressor()
            )
        return d

    def __getitem__(self, index: int | slice | np.ndarray) -> np.ndarray:
        idx, flat = _indices(index, len(self))
        out = np.empty((flat.size, *self.shape[1:]), np.uint8)  # (K, H, W, 3)
        frame_bytes = out[0].nbytes if flat.size else 0
        d = self._decompressor()
        for j, i in enumerate(flat):
            raw = d.decompress(self._blob[self.offsets[i] : self.offsets[i + 1]], max_output_size=frame_bytes)
            out[j] = np.frombuffer(raw, np.uint8).reshape(self.shape[1:])
        return out.reshape(*idx.shape, *self.shape[1:])

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        out = self[np.arange(len(self))]
        return out if dtype is None else out.astype(dtype)


class ConcatFrames:
    """Several frame stores (CompressedFrames or arrays, one (H, W, 3)) read as one (N1 + N2 + ..., H, W, 3)
    array: `frames[idx]` gathers each index from the store that holds it."""

    dtype = np.dtype(np.uint8)
    ndim = 4

    def __init__(self, parts: list) -> None:
        shapes = {tuple(p.shape[1:]) for p in parts}
        if len(shapes) != 1:
            raise ValueError(f"frames: the stores have different frame shapes {sorted(shapes)}")
        self.parts = parts
        self.starts = np.cumsum([0, *(len(p) for p in parts)])  # (P + 1,)
        self.shape = (int(self.starts[-1]), *shapes.pop())

    def __len__(self) -> int:
        return self.shape[0]

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape))

    def __getitem__(self, index: int | slice | np.ndarray) -> np.ndarray:
        idx, flat = _indices(index, len(self))
        part = np.searchsorted(self.starts, flat, side="right") - 1  # (K,) which store holds each frame
        out = np.empty((flat.size, *self.shape[1:]), np.uint8)
        for p in np.unique(part):
            sel = part == p
            out[sel] = self.parts[p][flat[sel] - self.starts[p]]
        return out.reshape(*idx.shape, *self.shape[1:])

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        out = self[np.arange(len(self))]
        return out if dtype is None else out.astype(dtype)
