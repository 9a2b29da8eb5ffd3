"""Start `simplevla ARGV` in a child process of its own process group, wait for it or SIGKILL it, and tell
whether any process of its group (a recording worker) outlived it.

By default the child is forked from this process after `simplevla.cli` is imported, so a kill lands in the
work instead of in the ~3 s of interpreter and torch start-up; `spawn=True` starts a fresh interpreter.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path

import torch

from simplevla.cli import main as simplevla_main

SPAWN_CLI = "import sys; from simplevla.cli import main; sys.exit(main(sys.argv[1:]))"


class Runner:
    """Runs commands in children, one log file each (`logs/0001.log`, ...) that starts with the argv."""

    def __init__(self, spawn: bool, logs: Path) -> None:
        self.spawn, self.logs, self.n = spawn, logs, 0
        self._popen: dict[int, subprocess.Popen] = {}
        logs.mkdir(parents=True, exist_ok=True)
        if not spawn:
            torch.set_num_threads(1)  # before forking: every child inherits it

    def start(self, argv: list[str]) -> tuple[int, Path]:
        """Start `simplevla ARGV` without waiting: (its pid, which is also its process group, its log)."""
        self.n += 1
        log = self.logs / f"{self.n:04d}.log"
        if self.spawn:
            with open(log, "wb") as f:
                f.write((" ".join(argv) + "\n").encode())
                cmd = [sys.executable, "-c", SPAWN_CLI, *argv]
                proc = subprocess.Popen(cmd, stdout=f, stderr=f, start_new_session=True)
            self._popen[proc.pid] = proc
            return proc.pid, log
        pid = os.fork()
        if pid == 0:
            _child(argv, log)  # never returns
        with contextlib.suppress(OSError):
            os.setpgid(pid, pid)
        return pid, log

    def wait(self, pid: int, timeout: float = 600) -> int:
        """Its exit code; past `timeout` s it is killed and TimeoutError raised."""
        if self.spawn:
            return self._popen.pop(pid).wait(timeout)
        deadline = time.time() + timeout
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status)
            if time.time() > deadline:
                self.kill(pid)
                raise TimeoutError(f"pid {pid} ran past {timeout} s")
            time.sleep(0.01)

    def running(self, pid: int) -> bool:
        """Whether the child still runs (a finished forked child is reaped here)."""
        if self.spawn:
            return self._popen[pid].poll() is None
        done, _ = os.waitpid(pid, os.WNOHANG)
        return not done

    def kill(self, pid: int) -> bool:
        """SIGKILL the child (not its group: its workers must die by themselves). True if it was running."""
        was = self.running(pid)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        if self.spawn:
            self._popen.pop(pid).wait()
        elif was:
            os.waitpid(pid, 0)
        return was

    @staticmethod
    def orphans(pgid: int, grace: float = 5.0) -> bool:
        """True when some process of the group is still alive `grace` s after its leader died (then killed)."""
        deadline = time.time() + grace
        while time.time() < deadline:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return False
            time.sleep(0.05)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        return True

    def run(self, argv: list[str]) -> tuple[int, float, str]:
        """Run to completion: (exit code, wall seconds, its output)."""
        t0 = time.perf_counter()
        pid, log = self.start(argv)
        rc = self.wait(pid)
        self.orphans(pid, grace=2.0)
        return rc, time.perf_counter() - t0, log.read_text(errors="replace")


def _child(argv: list[str], log: Path) -> None:
    """The forked child: its own process group, output to the log, the CLI; never returns to the harness."""
    rc = 1
    try:
        os.setpgid(0, 0)
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(fd, (" ".join(argv) + "\n").encode())
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115  (pytest replaced them)
        sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
        rc = simplevla_main(argv)
    except SystemExit as e:
        rc = e.code if isinstance(e.code, int) else 1
    except BaseException:  # noqa: BLE001
        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(rc)
