"""What must hold once the soak has drained: every writer lock free. (The other end checks, no hidden
temporary and the shared data unchanged, are faultkit.state's `hidden_leftovers` and `visible_files`.)"""

from __future__ import annotations

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
