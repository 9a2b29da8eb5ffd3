"""Atomic file and directory writes: write to a temporary sibling, fsync, then rename over the target.

A process killed at any moment leaves either the previous complete file/directory or the new one, never a
mix and never nothing. Temporary siblings are hidden (`.NAME.tmp-PID-*`), so readers never see them; the
next write to the same place removes those a dead process left behind (`clean_stale`). A full disk is a
SimplevlaError saying so, with the target as it was.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from simplevla.errors import SimplevlaError

_STALE = re.compile(r"^\.(?P<name>.+)\.(?P<kind>tmp|old)-(?P<pid>\d+)(?:-.*)?$")
_RENAME_EXCHANGE = 2  # renameat2 flag (Linux >= 3.15)
_AT_FDCWD = -100


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def is_disk_full(e: BaseException) -> bool:
    """An error that means the disk or the quota is full: an OSError with ENOSPC or EDQUOT, or any error
    whose message is the system's for them (pyarrow's IOError; safetensors' SafetensorError, which is no
    OSError: "I/O error: No space left on device (os error 28)")."""
    if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return isinstance(e, Exception) and any(
        text in str(e) for text in ("No space left on device", "Disk quota exceeded")
    )


def disk_full_error(path: Path, e: BaseException) -> SimplevlaError:
    return SimplevlaError(
        f"{path}: the disk is full ({e}); nothing was changed there (the partial write was removed). "
        "Free some space, or write somewhere else"
    )


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(parent: Path, name: str | None = None) -> list[str]:
    """Remove the hidden temporaries that dead processes left in `parent` (only those of `name` if given).

    A `.NAME.old-PID` left by a process killed between the two renames of a non-atomic swap (platforms
    without RENAME_EXCHANGE) is the previous version of NAME: when NAME is missing it is renamed back.
    Returns what was removed or restored."""
    done: list[str] = []
    if not parent.is_dir():
        return done
    for entry in sorted(parent.iterdir()):
        m = _STALE.match(entry.name)
        if not m or (name is not None and m["name"] != name) or _alive(int(m["pid"])):
            continue
        target = parent / m["name"]
        with contextlib.suppress(OSError):
            if m["kind"] == "old" and not target.exists() and not target.is_symlink():
                os.replace(entry, target)
                done.append(f"restored {target}")
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            done.append(f"removed {entry}")
    return done


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (renameat2 RENAME_EXCHANGE); False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.tmp-{os.getpid()}-")
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual permissions
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if is_disk_full(e):
            raise disk_full_error(path, e) from None
        raise
    _fsync_dir(path.parent)
    clean_stale(path.parent, path.name)  # e.g. the `.train_log.csv.tmp-PID-*` of a run killed mid-write


def atomic_write_json(path: str | os.PathLike, obj: Any) -> None:
    """Write ``obj`` as indented JSON to ``path`` atomically."""
    atomic_write_bytes(path, (json.dumps(obj, indent=2, sort_keys=False) + "\n").encode())


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary directory; on clean exit it replaces ``path`` (removed first if it exists).

    If the body raises or the process dies, ``path`` is untouched and the temporary directory is removed
    (or, after SIGKILL, left as a hidden ``.<name>.tmp-<pid>-*`` sibling that readers ignore and the next
    write removes). An existing ``path`` is swapped with the new directory in one atomic rename
    (RENAME_EXCHANGE) where the system has it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(path.parent, path.name)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.tmp-{os.getpid()}-"))
    os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700
    try:
        yield tmp
        for sub in tmp.rglob("*"):
            if sub.is_file():
                with open(sub, "rb") as f:
                    os.fsync(f.fileno())
        if path.exists() and _exchange(tmp, path):
            shutil.rmtree(tmp, ignore_errors=True)  # now the previous version
        elif path.exists():
            old = path.parent / f".{path.name}.old-{os.getpid()}"
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if is_disk_full(e):
            raise disk_full_error(path, e) from None
        raise
