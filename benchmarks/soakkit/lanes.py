"""The writers of the soak, one lane each: a plan (its steps and how to read its target's state) and the lane
that runs it round after round, killing some children and rerunning them, under a disk that fills and frees.

A quiet run of each plan fixes the state key after every step. In the soak, after each child ends (by itself,
by a full disk, or by a SIGKILL) the target's key must be the one before the step (then the step is run
again) or the one after it (then the lane moves on); a training run may also stand at any earlier checkpoint
of the quiet run. Anything else is a problem: a corrupt dataset, a checkpoint that does not load or holds
other weights than the quiet run's at its step, a child that failed with no kill and no full disk, or a
traceback. A round ends with the quiet run's final state; its directory must then hold no hidden temporary.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import random
import shutil
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from faultkit.commands import argv_for
from faultkit.runner import Runner
from faultkit.state import dataset_state, hidden_leftovers, run_state

HANG_S = 600.0  # a child running this long is a hang


@dataclass
class Plan:
    """How one lane writes: `steps` commands (`argv(target, step)`), and `key(target)` -> (state key,
    problems). `setup` prepares a round's target; `partial(key)` says a key is a legitimate midway state
    (an earlier checkpoint of a training run) to rerun from."""

    name: str
    steps: int
    argv: Callable[[Path, int], list[str]]
    key: Callable[[Path], tuple[str, list[str]]]
    setup: Callable[[Path], None] = lambda target: None
    partial: Callable[[str], bool] = lambda key: False


def dataset_key(target: Path) -> tuple[str, list[str]]:
    """ "absent", or the content hash after loading every frame; a corrupt dataset is a problem."""
    state, h = dataset_state(target)
    if state == "corrupt":
        return "corrupt", [f"{target}: corrupt dataset ({h})"]
    return (h if state == "ok" else state), []


def record_plan(episodes: int = 8, steps: int = 3) -> Plan:
    """`record`, then `record --resume` (each appends `episodes`), with two worker processes."""

    def argv(target: Path, step: int) -> list[str]:
        return argv_for("record" if step == 0 else "record --resume", target, episodes=episodes, workers=2)

    return Plan("record", steps, argv, dataset_key)


def dagger_plan(base: Path, policy: Path, episodes: int = 4, steps: int = 2) -> Plan:
    """`dagger` rounds on a copy of the shared base dataset, with the shared policy and two workers."""

    def setup(target: Path) -> None:
        shutil.copytree(base, target, ignore=shutil.ignore_patterns(".*"))

    def argv(target: Path, step: int) -> list[str]:
        return argv_for("dagger", target, policy=policy, episodes=episodes, workers=2)

    return Plan("dagger", steps, argv, dataset_key, setup=setup)


def train_plan(name: str, base: Path, steps: int = 40, save_every: int = 4) -> Plan:
    """`train --resume` on the shared base dataset (and its shared training cache) to `steps` steps, rerun
    after every kill. Its key is the newest complete checkpoint's step; each checkpoint must load and hold
    the quiet run's weights for its step (`plan.ref`, set once the quiet run exists)."""
    plan = Plan(name, 1, lambda target, step: [], lambda target: ("", []))

    def argv(target: Path, step: int) -> list[str]:
        return argv_for("train --resume", target, base=base, steps=steps, save_every=save_every)

    def key(target: Path) -> tuple[str, list[str]]:
        root = target / "checkpoints"
        done = sorted(int(d.name) for d in root.iterdir() if d.name.isdigit()) if root.is_dir() else []
        ref = getattr(plan, "ref", None)
        problems = [f"{target}: {p}" for p in run_state(target, ref)] if ref is not None and done else []
        return (str(done[-1]) if done else "absent"), problems

    plan.argv, plan.key = argv, key
    plan.partial = lambda k: k == "absent" or (k.isdigit() and int(k) < steps)
    return plan


def eval_plan(policy: Path, episodes: int = 2) -> Plan:
    """`eval` of the shared policy into a fresh directory; its key is a digest of every episode's outcome."""

    def argv(target: Path, step: int) -> list[str]:
        return [
            "eval",
            "--policy",
            str(policy),
            "--episodes",
            str(episodes),
            "--envs",
            "4",
            "--videos",
            "0",
        ] + [
            "--out",
            str(target),
        ]

    def key(target: Path) -> tuple[str, list[str]]:
        path = target / "eval_info.json"
        if not path.exists():
            return "absent", []
        try:
            episodes_ = json.loads(path.read_text())["per_episode"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            return "corrupt", [f"{path}: unreadable ({type(e).__name__}: {e})"]
        outcome = [(e["family"], e["seed"], e["success"], e["steps"]) for e in episodes_]
        return hashlib.sha256(json.dumps(outcome).encode()).hexdigest()[:16], []

    return Plan("eval", 1, argv, key)


@dataclass
class Quiet:
    """A plan's quiet run: the key before and after every step, and each step's wall time."""

    keys: list[str]
    walls: list[float]


def quiet_run(plan: Plan, target: Path, runner: Runner) -> Quiet:
    """Run the plan's steps once with nothing else happening; each must exit 0."""
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    plan.setup(target)
    keys, walls = [plan.key(target)[0]], []
    for step in range(plan.steps):
        t0 = time.perf_counter()
        rc, _, out = runner.run(plan.argv(target, step))
        if rc != 0:
            raise RuntimeError(f"quiet run of {plan.name} step {step} failed ({rc}):\n{out[-3000:]}")
        walls.append(time.perf_counter() - t0)
        keys.append(plan.key(target)[0])
    return Quiet(keys, walls)


@dataclass
class Stats:
    """What a lane did and what went wrong."""

    rounds: int = 0
    attempts: int = 0
    kills: int = 0
    disk_full: int = 0  # children refused cleanly because the disk was full
    orphans: int = 0
    problems: list[str] = field(default_factory=list)


class Lane:
    """Runs `plan` round after round under `root/<name>/` (root lies on the soak's disk), killing a share
    `kill_rate` of its children at a random moment within their typical run time. `tick(now)` advances it
    without blocking."""

    def __init__(
        self,
        plan: Plan,
        quiet: Quiet,
        root: Path,
        runner: Runner,
        rng: random.Random,
        kill_rate: float,
        was_full: Callable[[float, float], bool],
    ) -> None:
        self.plan, self.quiet, self.root, self.r, self.rng = plan, quiet, root / plan.name, runner, rng
        self.disk = root.parent  # a full-disk refusal must name a path on it
        self.kill_rate, self.was_full = kill_rate, was_full
        self.typical = [2.0 * w for w in quiet.walls]  # expected run time of each step under load
        self.stats = Stats()
        self.draining = self.idle = False
        self.round, self.step, self.target = 0, 0, Path()
        self.pid: int | None = None
        self.started = self.kill_at = 0.0
        self.log = Path()
        self.needs_setup = True

    def tick(self, now: float) -> None:
        if self.idle:
            return
        if self.pid is None:
            self._start(now)
            return
        rc = _poll(self.pid)
        if rc is None and now < self.kill_at and now - self.started < HANG_S:
            return
        killed = False
        if rc is None:
            if now - self.started >= HANG_S:
                self._problem(f"step {self.step} ran past {HANG_S:.0f} s (log {self.log})")
            rc, killed = _kill(self.pid)
        self._finish(now, rc, killed)

    def _start(self, now: float) -> None:
        if self.needs_setup:
            if self.draining and self.round > 0 and self.step == 0:
                self.idle = True
                return
            self.round += 1
            parent = self.root / f"r{self.round:04d}"
            with contextlib.suppress(FileNotFoundError):
                shutil.rmtree(self.root / f"r{self.round - 1:04d}")
            self.target, self.step = parent / "target", 0
            try:
                parent.mkdir(parents=True, exist_ok=True)
                self.plan.setup(self.target)
            except OSError:  # the disk is full: try again on a later tick
                shutil.rmtree(parent, ignore_errors=True)
                self.round -= 1
                return
            self.needs_setup = False
        self.stats.attempts += 1
        self.pid, self.log = self.r.start(self.plan.argv(self.target, self.step))
        self.started = now
        kill = not self.draining and self.rng.random() < self.kill_rate
        self.kill_at = now + self.rng.uniform(0.0, self.typical[self.step]) if kill else math.inf

    def _finish(self, now: float, rc: int | None, killed: bool) -> None:
        pid, self.pid = self.pid, None
        # a worker killed with its parent mid start-up exits once it reaches exit_with_parent (locking.py):
        # on a loaded 2-core machine its imports alone took over 5 s (2026-12-07), so allow 15
        if self.r.orphans(pid, grace=15.0):
            self.stats.orphans += 1
            self._problem(f"step {self.step}: worker processes outlived their parent (log {self.log})")
        out = self.log.read_text(errors="replace") if self.log.exists() else ""
        if killed:
            self.stats.kills += 1
        elif rc == 0:
            # a step that ran to its end keeps the typical time current (the load varies)
            self.typical[self.step] = 0.7 * self.typical[self.step] + 0.3 * (now - self.started)
        else:
            lines = out.strip().splitlines()
            last = lines[-1] if lines else ""
            clean = rc == 2 and last.startswith("error: ") and "Traceback" not in out
            if clean and self.was_full(self.started, now) and str(self.disk) in last:
                self.stats.disk_full += 1
            else:
                self._problem(
                    f"step {self.step} failed ({rc}) with no kill or full disk: {last[:200]} ({self.log})"
                )
        if "Traceback" in out and not killed:
            self._problem(f"step {self.step}: a traceback in {self.log}")
        key, problems = self.plan.key(self.target)
        for p in problems:
            self._problem(p)
        before, after = self.quiet.keys[self.step], self.quiet.keys[self.step + 1]
        if key == after:
            self.step += 1
        elif rc == 0 and not killed:
            self._problem(f"step {self.step} exited 0 with state {key}, the quiet run's was {after}")
            self.needs_setup = True
            return
        elif key != before and not self.plan.partial(key):
            self._problem(f"step {self.step}: state {key} after the kill, neither {before} nor {after}")
            self.needs_setup = True
            return
        if self.step == self.plan.steps:
            self.stats.rounds += 1
            left = hidden_leftovers(self.target.parent)
            if left:
                self._problem(f"round {self.round} ended with hidden temporaries: {left}")
            self.needs_setup = True
            if self.draining:
                self.idle = True

    def _problem(self, text: str) -> None:
        self.stats.problems.append(f"{self.plan.name} round {self.round}: {text}")

    def stop(self) -> None:
        """Kill a child still running (used only when the harness itself is interrupted)."""
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)


def _poll(pid: int) -> int | None:
    """The child's exit code once it has ended (reaped here), else None."""
    done, status = os.waitpid(pid, os.WNOHANG)
    return os.waitstatus_to_exitcode(status) if done else None


def _kill(pid: int) -> tuple[int | None, bool]:
    """SIGKILL the child (not its group: its workers must die by themselves) and reap it: (its exit code,
    or None when the kill ended it; whether the kill ended it: it may have exited just before)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    return (None if killed else os.waitstatus_to_exitcode(status)), killed
