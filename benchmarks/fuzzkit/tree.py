"""`tree_hash`: a digest of everything under a directory (as tests/refusal.py's, but safe on FIFOs)."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path


def tree_hash(root: Path) -> str:
    """sha256 over every entry under root (hidden ones too): relative path, kind, and bytes or link target.
    A FIFO, socket or device counts by its kind only (reading one could block)."""
    h = hashlib.sha256()
    root = Path(root)
    if not root.exists() and not root.is_symlink():
        return "absent"
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            p = Path(dirpath) / name
            rel = p.relative_to(root).as_posix()
            mode = p.lstat().st_mode
            if stat.S_ISLNK(mode):
                h.update(f"L {rel} -> {os.readlink(p)}\n".encode())
            elif stat.S_ISDIR(mode):
                h.update(f"D {rel}\n".encode())
            elif stat.S_ISREG(mode):
                h.update(f"F {rel} {hashlib.sha256(p.read_bytes()).hexdigest()}\n".encode())
            else:
                h.update(f"S {rel} {stat.S_IFMT(mode)}\n".encode())
    return h.hexdigest()
