"""The soak's disk: a tmpfs that every lane writes into, and `Filler`, which fills it to the last byte for a
few seconds at random moments and frees it again. Mounting needs root; without it the lanes write to the
plain directory and nothing is filled (reported as such)."""

from __future__ import annotations

import contextlib
import errno
import os
import random
import subprocess
from collections.abc import Iterator
from pathlib import Path

from faultkit.disk_full import tmpfs

CHUNK = b"\0" * (1 << 20)


@contextlib.contextmanager
def soak_disk(path: Path, mib: int, wanted: bool) -> Iterator[bool]:
    """Mount a `mib` MiB tmpfs at path when `wanted` and possible; yields whether it is mounted."""
    path.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        mounted = False
        if wanted:
            with contextlib.suppress(subprocess.CalledProcessError, FileNotFoundError, PermissionError):
                stack.enter_context(tmpfs(path, mib * 1024))
                mounted = True
        yield mounted


class Filler:
    """Fills `mount` (a file FILL at its root) every `period` seconds for `hold` seconds (both drawn
    uniformly), and remembers when it was full so a lane can tell a full-disk refusal from a failure."""

    def __init__(
        self,
        mount: Path | None,
        rng: random.Random,
        period: tuple[float, float] = (15.0, 45.0),
        hold: tuple[float, float] = (2.0, 8.0),
    ) -> None:
        self.path = mount / "FILL" if mount is not None else None
        self.rng, self.period, self.hold = rng, period, hold
        self.spans: list[tuple[float, float]] = []  # (filled at, freed at)
        self.full_since: float | None = None
        self.next = 0.0
        self.until = 0.0

    def start(self, now: float) -> None:
        self.next = now + self.rng.uniform(*self.period)

    def tick(self, now: float) -> None:
        if self.path is None:
            return
        if self.full_since is None and now >= self.next:
            self._fill()
            self.full_since, self.until = now, now + self.rng.uniform(*self.hold)
        elif self.full_since is not None and now >= self.until:
            self.stop(now)
            self.next = now + self.rng.uniform(*self.period)

    def stop(self, now: float) -> None:
        """Free the disk (and fill no more until `start`)."""
        if self.path is not None:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
        if self.full_since is not None:
            self.spans.append((self.full_since, now))
            self.full_since = None
        self.next = float("inf")

    def was_full(self, t0: float, t1: float) -> bool:
        """Whether the disk was full at some moment of [t0, t1] (a second's grace after each free: a
        write may fail just before the file is removed and be reported just after)."""
        if self.full_since is not None and self.full_since <= t1:
            return True
        return any(a <= t1 and t0 <= b + 1.0 for a, b in self.spans)

    def _fill(self) -> None:
        assert self.path is not None
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            while True:
                os.write(fd, CHUNK)
        except OSError as e:
            if e.errno != errno.ENOSPC:
                raise
            # the last partial MiB, in ever smaller writes, so that not even a small file fits
            for size in (1 << 16, 1 << 12, 1 << 8, 1):
                with contextlib.suppress(OSError):
                    while True:
                        os.write(fd, CHUNK[:size])
        finally:
            os.close(fd)
