"""What must hold once the soak has drained: every writer lock free, no hidden temporary anywhere under the
disk (the training caches' directories included), and the shared dataset and policy as they were."""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover  (Windows: no locks to check)
    fcntl = None


def held_locks(root: Path) -> list[str]:
    """The `.NAME.lock` files under root that some process still holds."""
    held = []
    for path in sorted(root.rglob(".*.lock")):
        if fcntl is None:
            break
        fd = os.open(path, os.O_RDWR)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.lockf(fd, fcntl.LOCK_UN)
        except OSError:
            held.append(str(path.relative_to(root)))
        finally:
            os.close(fd)
    return held


def temporaries(root: Path) -> list[str]:
    """Hidden files and directories under root other than lock files and the `.cache` directories
    themselves: what a killed writer left and no later writer removed."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            if name.startswith(".") and not name.endswith(".lock") and name != ".cache":
                out.append(str(Path(dirpath, name).relative_to(root)))
    return sorted(out)


def tree_hash(root: Path) -> str:
    """A hash of every file under root that is not hidden (names and bytes)."""
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(f for f in filenames if not f.startswith(".")):
            p = Path(dirpath, name)
            h.update(str(p.relative_to(root)).encode())
            with contextlib.suppress(OSError):
                h.update(p.read_bytes() if not p.is_symlink() else os.readlink(p).encode())
    return h.hexdigest()[:16]
