"""The environment suites, looked up in one table, and the seed ranges every stage draws from.

`SUITES` says, per `--env` name, what record, eval and the CLI need: the Gymnasium id, the env and expert
classes (as "module:Class", imported on first use, so a Meta-World worker never loads pymunk and a Tabletop
one never loads MuJoCo), what episodes are grouped by and the constructor keyword that selects them, the
state/action names a recording stores, and which Tabletop-only features apply.

`import simplevla` registers both ids with Gymnasium. `to_batch`, `TabletopEnv`, `Expert` and `FAMILIES`
are also reachable here, loaded on first access (`to_batch` needs torch, which env workers never import).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gymnasium.envs.registration import register, registry

from simplevla.envs.common import check_selection
from simplevla.envs.metaworld.tasks import DIFFICULTY, MT10, MT50, SETS
from simplevla.envs.tabletop.tasks import FAMILIES
from simplevla.keys import TASK_XY_NAMES

# Seed ranges: recording [0, 500k), DAgger rollouts [500k, 1M), evaluation [1M, ...). Evaluation group j
# (family or task) uses seeds [seed + j * SEEDS_PER_GROUP, ... + episodes).
RECORD_SEED_START = 0
DAGGER_SEED_START = 500_000
EVAL_SEED_START = 1_000_000
SEEDS_PER_GROUP = 100_000


@dataclass(frozen=True)
class Suite:
    """One environment suite, as record, eval and the CLI see it."""

    name: str  # the --env value
    env_id: str  # the Gymnasium id
    env_class: str  # "module:Class" of the env
    expert_class: str  # "module:Class" of its scripted expert: Expert(env, noise=..., seed=...)
    group: str  # what eval groups episodes by ("family", "task"), also the per-episode key
    select: str  # the env constructor's keyword that selects groups ("families", "tasks")
    groups: tuple[str, ...]  # every group (and the default selection unless `default` says otherwise)
    state_names: tuple[str, ...]  # observation.state's components, as a recording names them
    action_names: tuple[str, ...]  # action's components
    tabletop_extras: bool  # held-out parts, parse-head readings, instruction files, front starts
    task_xy_names: tuple[str, ...]  # aux.task_xy's columns, as a recording names them
    default: tuple[str, ...] | None = None  # what no selection means (None: every group)
    sets: dict[str, tuple[str, ...]] = field(default_factory=dict)  # names that select several groups
    subsets: dict[str, tuple[str, ...]] = field(default_factory=dict)  # eval reports success per subset too

    def check(self, selected: str | Sequence[str] | None) -> tuple[str, ...]:
        """The selected groups (None: the default selection; set names such as `mt50` expand to their
        groups, without repeats); a ValueError names unknown ones."""
        return check_selection(selected, self.groups, self.select, self.sets, self.default)

    def env(self, groups: Sequence[str] | None = None, **kwargs: Any) -> Any:
        """A new env of this suite on `groups` (None: all); `kwargs` go to its constructor."""
        return load(self.env_class)(**{self.select: groups}, **kwargs)

    def expert(self) -> type:
        """The scripted expert's class."""
        return load(self.expert_class)


SUITES: dict[str, Suite] = {
    "tabletop": Suite(
        name="tabletop",
        env_id="simplevla/Tabletop-v0",
        env_class="simplevla.envs.tabletop.env:TabletopEnv",
        expert_class="simplevla.envs.tabletop.expert:Expert",
        group="family",
        select="families",
        groups=FAMILIES,
        state_names=("x", "y"),
        action_names=("vx", "vy"),
        tabletop_extras=True,
        task_xy_names=TASK_XY_NAMES,  # object, goal, reference object
    ),
    "metaworld": Suite(  # needs the `metaworld` extra, imported only when an env is made
        name="metaworld",
        env_id="simplevla/MetaWorld-v0",
        env_class="simplevla.envs.metaworld.env:MetaWorldEnv",
        expert_class="simplevla.envs.metaworld.expert:MetaWorldExpert",
        group="task",
        select="tasks",
        groups=MT50,
        state_names=("x", "y", "z", "gripper"),  # hand position and gripper opening
        action_names=("dx", "dy", "dz", "grip"),  # hand displacement and gripper effort
        tabletop_extras=False,
        task_xy_names=TASK_XY_NAMES[:4],  # object and goal
        default=MT10,
        sets=SETS,
        subsets=DIFFICULTY,
    ),
}
ENV_ID = SUITES["tabletop"].env_id
ENV_IDS = {name: s.env_id for name, s in SUITES.items()}  # --env NAME -> gymnasium id


def suite(name: str) -> Suite:
    """The suite called `name`; a ValueError lists the known ones."""
    if name not in SUITES:
        raise ValueError(f"env must be one of {list(SUITES)}, got {name!r}")
    return SUITES[name]


def load(path: str) -> Any:
    """The object at "module:name", importing its module."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def register_all() -> None:
    """Register every suite's id with Gymnasium (each env module loads only on make)."""
    for s in SUITES.values():
        if s.env_id not in registry:
            register(id=s.env_id, entry_point=s.env_class)


_LAZY = {  # public names kept here for users, loaded on first access
    "to_batch": "simplevla.envs.batch:to_batch",
    "TabletopEnv": "simplevla.envs.tabletop.env:TabletopEnv",
    "Expert": "simplevla.envs.tabletop.expert:Expert",
    "Phase": "simplevla.envs.tabletop.expert:Phase",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return load(_LAZY[name])
    raise AttributeError(f"module 'simplevla.envs' has no attribute {name!r}")


__all__ = [
    "DAGGER_SEED_START",
    "ENV_ID",
    "ENV_IDS",
    "EVAL_SEED_START",
    "FAMILIES",
    "RECORD_SEED_START",
    "SEEDS_PER_GROUP",
    "SUITES",
    "Suite",
    "load",
    "register_all",
    "suite",
    *_LAZY,
]
