"""What a hostile-input test expects of a refusal: a SimplevlaError whose message holds given fragments,
within bounded wall time and peak Python/numpy allocation, with the directory byte for byte as it was."""

from __future__ import annotations

import hashlib
import os
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from simplevla.errors import SimplevlaError


def tree_hash(root: Path) -> str:
    """sha256 over every entry under root (hidden ones too): relative path, kind, and bytes or link target."""
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            p = Path(dirpath) / name
            rel = p.relative_to(root).as_posix()
            if p.is_symlink():
                h.update(f"L {rel} -> {os.readlink(p)}\n".encode())
            elif p.is_dir():
                h.update(f"D {rel}\n".encode())
            else:
                h.update(f"F {rel} {hashlib.sha256(p.read_bytes()).hexdigest()}\n".encode())
    return h.hexdigest()


def assert_refused(
    root: Path, open_: Callable[[], object], fragments: tuple[str, ...], seconds: float, peak_mb: float
) -> str:
    """Run `open_()`; it must raise a SimplevlaError naming every fragment, within `seconds` and `peak_mb`
    MiB of allocation, and leave `root` unchanged. Returns the error message."""
    before = tree_hash(root)
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        with pytest.raises(SimplevlaError) as e:
            open_()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    took = time.perf_counter() - t0
    msg = str(e.value)
    for f in fragments:
        assert f in msg, f"{f!r} not in: {msg}"
    assert took < seconds, f"took {took:.1f} s"
    assert peak < peak_mb * 2**20, f"peak allocation {peak / 2**20:.0f} MiB"
    assert tree_hash(root) == before, f"{root} changed"
    return msg
