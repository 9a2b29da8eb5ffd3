"""`simplevla record`: scripted-expert demonstrations of any suite in `simplevla.envs.SUITES`, as a
LeRobotDataset v3.0 directory."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from simplevla.collect.record import EnvSpec, record
from simplevla.envs import RECORD_SEED_START, SUITES
from simplevla.envs.common import goal_marker_problem
from simplevla.errors import SimplevlaError


@dataclass
class RecordCommand:
    """Record scripted-expert demonstrations as a LeRobotDataset v3.0 directory."""

    out: Path
    """output dataset directory (written atomically)"""
    env: str = "tabletop"
    """which env and scripted expert: tabletop, or metaworld (Meta-World's scripted policies on MT50 tasks;
    needs the `metaworld` extra: make install-metaworld)"""
    tasks: tuple[str, ...] | None = None
    """metaworld: the tasks to record, or sets of them: mt10 (the default), mt50, easy, medium, hard,
    very_hard; episode seed s records task s mod their number"""
    episodes: int = 100
    """expert episodes to attempt (failed ones are dropped and counted)"""
    families: tuple[str, ...] | None = None
    """tabletop: task families to sample (default: all)"""
    split: Literal["train_rich", "train"] = "train_rich"
    """instruction wording: train_rich (the rich training grammar: many words per concept, many templates;
    Meta-World: several paraphrases per task) or train (the core training wording only). The held-out
    wording is for evaluation"""
    size: int = 64
    """image height and width in pixels"""
    workers: int = 1
    """worker processes"""
    seed: int | None = None
    """first env seed (default: RECORD_SEED_START, or where a resumed dataset stopped)"""
    shard: str | None = None
    """I/N: this machine's share of a recording split over N machines (I in 0..N-1): seeds
    seed + I*episodes ... + episodes - 1, disjoint from every other shard's; `simplevla data merge` joins
    the N datasets into the one a single recording of N*episodes would give (docs/scaling.md)"""
    noise: float = 0.1
    """std of the expert's Gaussian action noise (executed, not stored: DART-style)"""
    front_starts: float = 0.0
    """share of pushing episodes that start with the effector against the object, on its target side"""
    task_xy: bool = True
    """also store aux.task_xy per frame (task object and goal x, y: table units on tabletop, metres on
    metaworld), the training-only target the `default` policy learns to read (--no-task-xy: a dataset only
    `--policy.aux-weight 0 --policy.plan-input False` policies can use)"""
    max_steps: int | None = None
    """episode step limit (default: the env's)"""
    goal_marker: float = 1.0
    """metaworld: draw the goal marker this many times Meta-World's size (rendering only; evaluate with the
    same value)"""
    resume: bool = False
    """append to an existing dataset at --out"""
    progress: bool = True
    """show a progress bar"""
    json: bool = False

    def __post_init__(self) -> None:
        if self.episodes < 1 or self.workers < 1 or self.size < 8:
            raise SimplevlaError("record: --episodes and --workers must be >= 1 and --size >= 8")
        if not 0.0 <= self.noise < math.inf:  # NaN fails every comparison
            raise SimplevlaError(f"record: --noise must be a finite number >= 0, got {self.noise}")
        problem = goal_marker_problem(self.goal_marker)
        if problem:
            raise SimplevlaError(f"record: --goal-marker {problem}")
        if not 0.0 <= self.front_starts <= 1.0:
            raise SimplevlaError(f"record: --front-starts must be in [0, 1], got {self.front_starts}")
        if self.shard is not None:
            parse_shard(self.shard)
            if self.resume:
                raise SimplevlaError(
                    "record: --shard gives this machine a fixed block of seeds; record more with another "
                    "--shard (or a larger N) instead of --resume"
                )
        if self.env not in SUITES:
            raise SimplevlaError(f"record: --env must be one of {list(SUITES)}, got {self.env!r}")
        if self.env != "metaworld" and self.goal_marker != 1.0:
            raise SimplevlaError(f"record: --goal-marker is Meta-World's; leave it out with --env {self.env}")
        suite = SUITES[self.env]
        given = {"families": self.families, "tasks": self.tasks}
        stray = [k for k, v in given.items() if v is not None and k != suite.select]
        if stray:
            raise SimplevlaError(
                f"record: --{stray[0]} selects another suite's groups; with --env {self.env} use --{suite.select}"
            )
        try:
            suite.check(given[suite.select])
        except ValueError as e:
            raise SimplevlaError(f"record: --{e}") from None
        if not suite.tabletop_extras and self.front_starts > 0:
            raise SimplevlaError(f"record: --front-starts is Tabletop's; leave it at 0 with --env {self.env}")

    def _first_seed(self) -> int | None:
        """--seed, moved to this shard's block of seeds with --shard I/N."""
        if self.shard is None:
            return self.seed
        index, _ = parse_shard(self.shard)
        return (self.seed if self.seed is not None else RECORD_SEED_START) + index * self.episodes

    def run(self) -> dict:
        spec = EnvSpec(
            env=self.env,
            tasks=SUITES[self.env].check(self.tasks) if self.tasks else None,
            families=tuple(self.families) if self.families else None,
            split=self.split,
            size=self.size,
            max_steps=self.max_steps,
            noise=self.noise,
            front_starts=self.front_starts,
            task_xy=self.task_xy,
            env_options=(("goal_marker", self.goal_marker),) if self.env == "metaworld" else (),
        )
        return record(
            self.out,
            self.episodes,
            spec,
            seed=self._first_seed(),
            workers=self.workers,
            resume=self.resume,
            progress=self.progress,
        )


def parse_shard(text: str) -> tuple[int, int]:
    """ "I/N" -> (I, N) with 0 <= I < N; a SimplevlaError says what to write otherwise."""
    index, sep, count = text.partition("/")
    if sep and index.strip().isdigit() and count.strip().isdigit() and int(index) < int(count):
        return int(index), int(count)
    raise SimplevlaError(f"record: --shard must be I/N with 0 <= I < N (e.g. 0/4), got {text!r}")
