"""One writer per dataset or run directory: `with writer_lock(path, "record"): ...`.

The lock is a POSIX record lock (`fcntl.lockf`) on a hidden sibling file `.NAME.lock`, taken without
waiting: a second `simplevla record`, `dagger` or `train` aimed at the same directory is refused at once
with the owner's pid. The kernel drops the lock when its owner's process ends, however it ends (SIGKILL,
OOM, power loss of the process), so no stale lock ever needs deleting by hand; the file itself stays and is
harmless. POSIX locks rather than `flock`: `flock` locks are shared with forked children, so a recording's
worker processes would keep a killed recorder's lock alive for as long as they lived. POSIX locks belong to
one process, so locks held inside this process are tracked too (a second lock in the same process is refused
the same way). On a platform without `fcntl` (Windows) the lock is a no-op.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from simplevla.atomic import clean_stale, is_disk_full
from simplevla.errors import SimplevlaError

try:
    import fcntl
except ImportError:  # pragma: no cover  (Windows)
    fcntl = None

_HELD: set[str] = set()  # lock files held by this process
_GUARD = threading.Lock()


def lock_path(target: str | os.PathLike) -> Path:
    """The lock file of a dataset or run directory: `.NAME.lock` beside it."""
    target = Path(target)
    return target.parent / f".{target.name}.lock"


def _owner(fd: int) -> str:
    with contextlib.suppress(OSError):
        text = os.pread(fd, 200, 0).decode(errors="replace").strip()
        if text:
            return text
    return "another process"


@contextlib.contextmanager
def writer_lock(target: str | os.PathLike, command: str) -> Iterator[Path]:
    """Hold the write lock of `target` (a dataset or run directory) for the body, or raise SimplevlaError."""
    target = Path(target)
    path = lock_path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = str(path.resolve())
    with _GUARD:
        if key in _HELD:
            raise SimplevlaError(
                f"{target}: this process is already writing it (lock {path}); one writer at a time"
            )
        _HELD.add(key)
    fd = -1
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        if fcntl is not None:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise SimplevlaError(
                    f"{target}: {_owner(fd)} is writing it (lock {path}); wait for it to finish, or write "
                    "somewhere else. The lock goes away by itself when that process ends, even if it is killed"
                ) from None
        try:  # who holds it, for a second writer's message; the lock holds without it
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"simplevla {command} (pid {os.getpid()})\n".encode(), 0)
        except OSError as e:
            if not is_disk_full(e):  # a full disk fails the command at its first real write, named there
                raise
        clean_stale(target.parent, target.name)  # what a killed writer left: removed, or restored
        yield path
    finally:
        if fd >= 0:
            os.close(fd)  # closing the descriptor releases the POSIX lock
        with _GUARD:
            _HELD.discard(key)


# pids inside `workers_die_with_me`: the children they fork get the death signal
_FORKING_PARENTS: list[int] = []


def _death_signal_after_fork() -> None:
    """os.register_at_fork hook, run in every child right after fork: inside `workers_die_with_me`, ask for
    SIGKILL when the parent dies before the child runs anything else (a lock it inherited, or a slow start,
    can then no longer keep an orphan alive)."""
    if _FORKING_PARENTS:
        exit_with_parent(_FORKING_PARENTS[-1])


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_death_signal_after_fork)


def worker_start_method() -> str | None:
    """How to start worker processes: the platform's default (fork on Linux: instant, so a parent killed at
    once leaves no worker starting up), but spawn once this process has loaded MuJoCo: a worker forked after
    MuJoCo rendered (Mesa's llvmpipe threads) hangs in its first render."""
    return "spawn" if "mujoco" in sys.modules else None


@contextlib.contextmanager
def workers_die_with_me() -> Iterator[None]:
    """Around a fork-started worker pool: every process forked meanwhile is SIGKILLed when this one dies,
    from its first step after fork (the pool's initializer, which also calls `exit_with_parent`, runs later)."""
    _FORKING_PARENTS.append(os.getpid())
    try:
        yield
    finally:
        _FORKING_PARENTS.pop()


def exit_with_parent(parent_pid: int | None = None) -> None:
    """In a worker process: ask Linux to SIGKILL it when its parent dies, so a killed `record` or `dagger`
    leaves no orphaned workers behind (elsewhere a no-op). A spawned worker gets here only after its start-up
    (seconds on a busy machine): given `parent_pid`, it exits at once if that parent is already gone."""
    with contextlib.suppress(Exception):
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)
        if os.getppid() == 1 or (parent_pid is not None and os.getppid() != parent_pid):
            os._exit(1)  # the parent died before prctl took effect (its orphans went to init or a subreaper)
