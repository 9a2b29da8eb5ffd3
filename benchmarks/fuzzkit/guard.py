"""The property every generated input must satisfy, checked around one call of a reader.

`Guard.run(root, call, names)` runs `call()` and classifies what happened:

- `loaded_ok`: it returned None (the call itself checks that what it read behaves as valid data and
  raises `Invalid` otherwise);
- `refused_clean`: it raised `SimplevlaError` (the project's one error type) whose message `names(msg)`
  accepts (it names the file and the field), or it returned a string (a refusal that is no exception:
  the web API's HTTP 4xx answer with a JSON error, as the call checked);
- `unclean`: anything else: another exception, a message that names no file, a call running past the
  deadline (SIGALRM), a peak Python/numpy allocation past the cap (tracemalloc), a peak resident size past
  the cap (getrusage) or an address space past the cap (RLIMIT_AS, so a runaway allocation fails instead of
  eating the machine), a file of `root` changed (tree hash before and after), or a read outside `root`:
  a Python-level `open` (audit hook) of a path under the work directory but not under `root`, or any access
  to the canary directory beside it, seen by inotify (which also sees reads from C++, e.g. pyarrow).

A call blocked in native code that holds the GIL (e.g. Rust opening a FIFO) cannot be interrupted: past
three times the deadline, faulthandler prints every thread's traceback and ends the process.

Everything runs in this process (no workers): the harness is a library that pytest and
`benchmarks/fuzz.py` call.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import faulthandler
import os
import resource
import signal
import stat
import sys
import threading
import time
import traceback
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from simplevla.errors import SimplevlaError

from .tree import tree_hash


class Invalid(AssertionError):
    """Raised by a target's call when the input loaded but does not behave as valid data."""


class Hang(BaseException):
    """Raised by SIGALRM when a call runs past its deadline (a BaseException: readers must not catch it)."""


@dataclass
class Outcome:
    kind: str  # "loaded_ok" | "refused_clean" | "unclean"
    message: str
    seconds: float
    peak_mb: float

    @property
    def clean(self) -> bool:
        return self.kind != "unclean"


# ------------------------------------------------------------------------------------- reads outside


_WATCH: dict = {"prefix": None, "root": None, "allow": (), "seen": []}


def _under(p: str, base: str) -> bool:
    return p == base or p.startswith(base + os.sep)


def _audit(event: str, args: tuple) -> None:
    if event != "open" or _WATCH["prefix"] is None:
        return
    path = args[0] if args else None
    if isinstance(path, (str, bytes, os.PathLike)):
        try:
            p = os.path.abspath(os.fsdecode(path))
        except (TypeError, ValueError):
            return
        if _under(p, _WATCH["prefix"]) and not any(_under(p, b) for b in (_WATCH["root"], *_WATCH["allow"])):
            _WATCH["seen"].append(p)


_HOOKED = False


def _install_audit_hook() -> None:
    global _HOOKED
    if not _HOOKED:  # an audit hook cannot be removed: install one, switched on and off by _WATCH
        sys.addaudithook(_audit)
        _HOOKED = True


class Inotify:
    """inotify on one directory (Linux, through libc): did anything open or read it or a file in it?"""

    IN_ACCESS, IN_OPEN = 0x1, 0x20

    def __init__(self, directory: Path) -> None:
        self.fd = -1
        name = ctypes.util.find_library("c")
        if sys.platform != "linux" or name is None:
            return
        libc = ctypes.CDLL(name, use_errno=True)
        fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if fd < 0:
            return
        if libc.inotify_add_watch(fd, os.fsencode(directory), self.IN_ACCESS | self.IN_OPEN) < 0:
            os.close(fd)
            return
        self.fd = fd

    def events(self) -> int:
        """Bytes of events since the last call (0: nothing touched the directory)."""
        if self.fd < 0:
            return 0
        n = 0
        with contextlib.suppress(BlockingIOError):
            while True:
                chunk = os.read(self.fd, 65536)
                if not chunk:
                    break
                n += len(chunk)
        return n


# ------------------------------------------------------------------------------------------- limits


def _vm_size() -> int:
    """This process's address space in bytes (VmSize), 0 when unknown."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


@contextlib.contextmanager
def _address_space_cap(extra_bytes: int):
    """RLIMIT_AS at the current address space plus `extra_bytes` (restored afterwards); a no-op when the
    limit cannot be read or set."""
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        now = _vm_size()
        cap = now + extra_bytes
        if not now or (hard != resource.RLIM_INFINITY and cap > hard):
            raise ValueError
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ValueError, OSError):
        yield
        return
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _unblock_fifos(root: Path) -> None:
    """Open every FIFO under `root` for writing and close it again: a reader blocked in native code on
    opening one (where SIGALRM cannot reach it: Rust and C++ retry an interrupted open) gets end of file,
    returns to Python, and the pending SIGALRM raises `Hang` there."""
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            p = os.path.join(dirpath, name)
            with contextlib.suppress(OSError):
                if stat.S_ISFIFO(os.lstat(p).st_mode):
                    os.close(os.open(p, os.O_WRONLY | os.O_NONBLOCK))


@contextlib.contextmanager
def _deadline(seconds: float, root: Path):
    def fire(signum, frame):
        raise Hang(f"still running after {seconds:g} s")

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    rescue = threading.Timer(seconds + 0.5, _unblock_fifos, (root,))
    rescue.daemon = True
    rescue.start()
    # the last resort, for native code that blocks holding the GIL (no Python thread or signal handler
    # runs then): a C thread prints every thread's traceback and ends the process
    faulthandler.dump_traceback_later(max(3 * seconds, seconds + 30), exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
        rescue.cancel()
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def where(e: BaseException) -> str:
    """The innermost frame of `e`'s traceback inside simplevla (else the innermost), as file:line."""
    frames = traceback.extract_tb(e.__traceback__)
    ours = [f for f in frames if "simplevla" in f.filename and "fuzzkit" not in f.filename]
    f = (ours or frames or [None])[-1]
    if f is None:
        return "?"
    name = f.filename.split("/src/")[-1] if "/src/" in f.filename else f.filename
    return f"{name}:{f.lineno}"


class Guard:
    """Checks the property around calls that read inputs under `work` (canary directory: work/outside)."""

    def __init__(
        self,
        work: Path,
        seconds: float = 20.0,
        peak_mb: float = 256.0,
        rss_mb: float = 1024.0,
        address_space_mb: float = 4096.0,
    ) -> None:
        self.work, self.seconds, self.peak_mb, self.rss_mb = Path(work), seconds, peak_mb, rss_mb
        self.address_space = int(address_space_mb * 2**20)
        self.outside = self.work / "outside"
        self.outside.mkdir(parents=True, exist_ok=True)
        self.inotify: Inotify | None = None
        _install_audit_hook()

    def watch_outside(self) -> None:
        """Start watching the canary directory (call after its files are written)."""
        if self.inotify is None:
            self.inotify = Inotify(self.outside)
        self.inotify.events()

    def run(
        self,
        root: Path,
        call: Callable[[], object],
        names: Callable[[str], str | None],
        allow: tuple[Path, ...] = (),
    ) -> Outcome:
        """Run `call()` on the input under `root`; `names(message)` returns None when a refusal's message
        names the file and the field, else what it lacks. `allow`: directories beside `root` that the call
        may open (its outputs, e.g. a cache directory)."""
        self.watch_outside()
        before = tree_hash(root)
        rss0 = _maxrss_mb()
        kind, message = "loaded_ok", ""
        _WATCH.update(
            prefix=str(self.work.resolve()),
            root=str(Path(root).resolve()),
            allow=tuple(str(Path(a).resolve()) for a in allow),
            seen=[],
        )
        tracemalloc.start()
        t0 = time.perf_counter()
        try:
            with _address_space_cap(self.address_space), _deadline(self.seconds, Path(root)):
                refused = call()
            if isinstance(refused, str):  # a refusal that is not an exception (an HTTP 4xx answer)
                kind, message = "refused_clean", refused
        except SimplevlaError as e:
            message = str(e)
            lack = names(message)
            kind = "refused_clean" if lack is None else "unclean"
            if lack is not None:
                message = f"refusal {lack}: {message}"
        except Invalid as e:
            kind, message = "unclean", f"loaded but invalid: {e}"
        except Hang as e:
            kind, message = "unclean", f"hang ({e}) at {where(e)}"
        except MemoryError as e:
            kind, message = (
                "unclean",
                f"MemoryError (past the {self.address_space >> 20} MiB cap) at {where(e)}: {e}",
            )
        except KeyboardInterrupt:
            raise
        except BaseException as e:  # noqa: BLE001  (SystemExit included: a reader must not exit)
            kind, message = "unclean", f"{type(e).__name__} at {where(e)}: {e}"
        finally:
            took = time.perf_counter() - t0
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            opened = list(_WATCH["seen"])
            _WATCH.update(prefix=None, root=None, allow=(), seen=[])
        problems = []
        if peak > self.peak_mb:
            problems.append(f"peak allocation {peak:.0f} MiB > {self.peak_mb:.0f} MiB")
        grew = _maxrss_mb() - rss0
        if grew > self.rss_mb:
            problems.append(f"resident size grew {grew:.0f} MiB > {self.rss_mb:.0f} MiB")
        if tree_hash(root) != before:
            problems.append(f"{root} changed")
        touched = self.inotify.events() if self.inotify is not None else 0
        if opened or touched:
            problems.append(f"read outside the input: {opened[:3] or str(self.outside)}")
        if problems:
            kind = "unclean"
            message = "; ".join(problems) + (f" ({message})" if message else "")
        return Outcome(kind, message[:2000], round(took, 3), round(peak, 1))
