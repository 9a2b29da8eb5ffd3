"""The training cache's frames decoded and compressed by worker processes, one parquet row group each.

Building the cache decodes every PNG frame (zlib) and compresses it again (Zstandard, `data.frames`): about
30 us and 17 us a 64x64 frame on this project's 2-core machine, ~50 us in all with the parquet read. In
one process the per-frame Python work takes turns under the GIL (a decoding thread beside the compressing
one bought 22 s -> 17 s for `make demo`'s 334k frames); processes run it side by side (two: 11 s, against
22-23 s for one process with that thread; benchmarks/RESULTS.md). Each worker reads
one row group's image column (~8k frames in a `simplevla record` dataset), decodes and checks every frame
as the serial reader does (the same error names file, column and row), compresses it with the dictionary
the parent trained on the first frames, and hands back only the compressed bytes (~0.5 KB a frame), in
row-group order.

Row groups whose images are stored as file paths (LeRobot's image-path datasets) have no bytes to decode
here: `compressed_parts` raises `NoFrameBytes` at the first one, and the caller takes the serial path.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa

from simplevla.data import validate as V
from simplevla.data.frames import compress_block, make_compressor
from simplevla.data.reader import column_error, decode_images
from simplevla.locking import exit_with_parent, worker_start_method, workers_die_with_me

_WORKER: dict = {}


class NoFrameBytes(Exception):
    """A row group stores its images as paths, not bytes: build the cache serially instead."""


def row_groups(files: list[Path]) -> list[tuple[str, int, int]]:
    """(file, row group, its first row in the file) for every row group of `files`, in dataset order."""
    groups = []
    for path in files:
        meta = V.open_parquet(path, "data file").metadata
        row = 0
        for g in range(meta.num_row_groups):
            groups.append((str(path), g, row))
            row += meta.row_group(g).num_rows
    return groups


def compressed_parts(
    files: list[Path], key: str, shape: list[int], table: bytes | None, workers: int
) -> Iterator[tuple[np.ndarray, bytes]]:
    """(lengths (k,), bytes) per row group of `files` in order: column `key`'s frames decoded, checked
    against `shape` and compressed with the dictionary `table`, by `workers` processes."""
    groups = row_groups(files)
    ctx = mp.get_context(worker_start_method())
    with (
        workers_die_with_me(),
        ctx.Pool(min(workers, len(groups)), initializer=_init, initargs=(key, shape, table)) as pool,
    ):
        for part in pool.imap(_compress_group, groups):
            if part is None:
                raise NoFrameBytes
            yield part


def _init(key: str, shape: list[int], table: bytes | None) -> None:
    if mp.parent_process() is not None:  # a pool worker: die with the process building the cache
        exit_with_parent(mp.parent_process().pid)
    _WORKER.update(key=key, shape=shape, compressor=make_compressor(table))


def _compress_group(group: tuple[str, int, int]) -> tuple[np.ndarray, bytes] | None:
    path, index, row0 = group
    key, shape = _WORKER["key"], _WORKER["shape"]
    try:
        col = V.open_parquet(Path(path), "data file").read_row_group(index, columns=[key]).column(0)
        blobs = col.combine_chunks().field("bytes").to_pylist()
    except (pa.ArrowException, OSError) as e:
        raise column_error(path, key, e) from None
    if any(b is None for b in blobs):
        return None
    block = decode_images(path, key, blobs, row0, shape)  # (k, H, W, 3), checked as the serial reader does
    return compress_block(block, _WORKER["compressor"])
