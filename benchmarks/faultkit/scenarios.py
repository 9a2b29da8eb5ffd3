"""The kill trials: one uninterrupted reference run of every command, then per trial a fresh start, a
SIGKILL after a random delay, the checks of what the kill left, and a rerun compared with the reference.
"""

from __future__ import annotations

import random
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from .commands import COMMANDS, SAVE_EVERY, STEPS, argv_for, slug
from .runner import Runner
from .state import (
    RUN_LOGS,
    checkpoint_dirs,
    dataset_state,
    hidden_leftovers,
    run_state,
    same_final_weights,
    visible_files,
)

MAX_ATTEMPTS = 4  # a run that ends before its kill is redone with a shorter delay, this many times in all


@dataclass
class Reference:
    """One uninterrupted run of a command: where it wrote, how long it took, what it left."""

    target: Path
    wall: float
    kind: str  # "dataset" (record, dagger) or "run" (train)
    files: set[str]  # its visible files (a run's without its logs)
    hash: str | None = None  # a dataset's content hash


class Harness:
    """The work directory, the runner and the kill moments' random source, shared by all the cases."""

    def __init__(self, work: Path, runner: Runner, rng: random.Random) -> None:
        self.work, self.r, self.rng = work, runner, rng
        self.base, self.policy = work / "ref" / "base", work / "ref" / "policy"
        self.ref: dict[str, Reference] = {}
        self.base_hash: str | None = None

    def argv(self, command: str, target: Path) -> list[str]:
        """`argv_for` with this harness's base dataset and dagger policy."""
        return argv_for(command, target, base=self.base, policy=self.policy)

    def _ok(self, argv: list[str]) -> float:
        rc, wall, out = self.r.run(argv)
        if rc != 0:
            raise RuntimeError(f"reference run failed ({rc}): {' '.join(argv)}\n{out[-3000:]}")
        return wall

    def prepare(self) -> None:
        """The base dataset, a tiny policy for dagger, and one uninterrupted run of every command."""
        self._ok(argv_for("record", self.base, episodes=12, workers=1))
        # the policy's training also builds the base dataset's training cache
        self._ok(argv_for("train", self.policy, base=self.base, steps=4, save_every=4))
        for command in COMMANDS:
            target = self.work / "ref" / slug(command)
            self.fresh_target(command, target)
            wall = self._ok(self.argv(command, target))
            if command.startswith("train"):
                self.ref[command] = Reference(target, wall, "run", set(visible_files(target)) - RUN_LOGS)
            else:
                state, h = dataset_state(target)
                assert state == "ok", h
                self.ref[command] = Reference(target, wall, "dataset", set(visible_files(target)), h)
        self.base_hash = dataset_state(self.base)[1]

    def fresh_target(self, command: str, target: Path) -> None:
        """The state a trial starts from: nothing, a copy of the base dataset, or a half-trained run."""
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        if command in ("record --resume", "dagger"):
            shutil.copytree(self.base, target, ignore=shutil.ignore_patterns(".*"))
        elif command == "train --resume":
            if "train" not in self.ref:
                raise RuntimeError("the train reference must run before train --resume")
            shutil.copytree(self.ref["train"].target, target, symlinks=True)
            half = STEPS // 2 // SAVE_EVERY * SAVE_EVERY
            for d in checkpoint_dirs(target):
                if int(d.name) > half:
                    shutil.rmtree(d)
            (target / "checkpoints" / "last").unlink()
            (target / "checkpoints" / "last").symlink_to(f"{half:06d}")

    def trial(self, command: str, i: int) -> dict:
        """Kill the command once, check what it left, rerun it and compare with the reference."""
        ref = self.ref[command]
        target = self.work / "trials" / f"{slug(command)}-{i:03d}" / "target"
        delay, attempts = self.rng.uniform(0, ref.wall), 0
        while True:
            attempts += 1
            self.fresh_target(command, target)
            before = dataset_state(target) if ref.kind == "dataset" else None
            n_ckpts = len(checkpoint_dirs(target))
            pid, log = self.r.start(self.argv(command, target))
            time.sleep(delay)
            midwrite = bool(hidden_leftovers(target.parent)) or len(checkpoint_dirs(target)) > n_ckpts
            killed = self.r.kill(pid)
            if killed or attempts == MAX_ATTEMPTS:
                break
            self.r.orphans(pid)
            delay = self.rng.uniform(0, delay)
        res = {
            "command": command,
            "trial": i,
            "attempts": attempts,
            "delay_s": round(delay, 3),
            "killed": killed,
            "midwrite": midwrite,
            "orphans": self.r.orphans(pid),
        }
        stray = sorted(set(visible_files(target)) - ref.files - RUN_LOGS)
        stray += sorted(p.name for p in target.parent.iterdir() if not p.name.startswith(".") and p != target)
        if ref.kind == "dataset":
            problems = self._dataset_after_kill(target, ref, before)
            identical = self._finish_dataset(command, target, ref, problems)
        else:
            problems = run_state(target, ref.target)
            identical = self._finish_run(target, ref, problems)
        res.update(
            problems=problems,
            stray=stray,
            identical=identical,
            leftovers=hidden_leftovers(target.parent),
            log=str(log),
        )
        return res

    @staticmethod
    def _dataset_after_kill(target: Path, ref: Reference, before: tuple[str, str | None]) -> list[str]:
        """The dataset must load with the content it had before the run, or be the complete new one."""
        state, h = dataset_state(target)
        bad = (
            state == "corrupt"
            or (state == "ok" and h not in {before[1], ref.hash})
            or (state == "absent" and before[0] != "absent")
        )
        return [f"after the kill: {state} {h}"] if bad else []

    def _finish_dataset(self, command: str, target: Path, ref: Reference, problems: list[str]) -> bool:
        """Rerun the command unless the kill came after the end; whether it ends as the reference did."""
        if dataset_state(target)[1] != ref.hash:
            rc, _, out = self.r.run(self.argv(command, target))
            if rc != 0:
                problems.append(f"rerun failed ({rc}): {out[-500:]}")
        return dataset_state(target)[1] == ref.hash

    def _finish_run(self, target: Path, ref: Reference, problems: list[str]) -> bool:
        """Resume the training; whether its final weights are the reference's (the run is checked again)."""
        rc, _, out = self.r.run(self.argv("train --resume", target))
        if rc != 0:
            problems.append(f"resume failed ({rc}): {out[-500:]}")
        identical = same_final_weights(target, ref.target, STEPS)
        problems += run_state(target, ref.target)
        return identical
