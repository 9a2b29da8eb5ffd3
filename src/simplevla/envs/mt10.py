"""Meta-World MT10: its ten tasks, their instructions (train and held-out wording) and step limits.

Pure data: importing this module needs neither `metaworld` nor `mujoco`. The `train` wording of each task
is LeRobot's Meta-World task description; the `heldout` wordings are paraphrases written here, never seen in
training (mirrors Tabletop's `split` in `simplevla.envs.language`).
"""

from __future__ import annotations

import numpy as np

# The MT10 set, in Meta-World's order (names without the "-v3" suffix).
MT10: tuple[str, ...] = (
    "reach",
    "push",
    "pick-place",
    "door-open",
    "drawer-open",
    "drawer-close",
    "button-press-topdown",
    "peg-insert-side",
    "window-open",
    "window-close",
)
VERSION = "v3"  # the Meta-World environment version these names map to ("reach" -> "reach-v3")

# LeRobot's Meta-World task descriptions: the wording policies are trained on.
TRAIN: dict[str, str] = {
    "reach": "Reach a goal position",
    "push": "Push the puck to a goal",
    "pick-place": "Pick and place a puck to a goal",
    "door-open": "Open a door with a revolving joint",
    "drawer-open": "Open a drawer",
    "drawer-close": "Push and close a drawer",
    "button-press-topdown": "Press a button from the top",
    "peg-insert-side": "Insert a peg sideways",
    "window-open": "Push and open a window",
    "window-close": "Push and close a window",
}

# Held-out paraphrases: the same task in words the policy never saw.
HELDOUT: dict[str, tuple[str, ...]] = {
    "reach": ("Move the gripper to the target spot", "Bring your hand to the goal location"),
    "push": ("Slide the puck over to the target", "Shove the disc until it reaches the goal"),
    "pick-place": ("Grab the puck and put it down at the target", "Lift the disc and set it on the goal"),
    "door-open": ("Swing the door open", "Pull the hinged door open"),
    "drawer-open": ("Pull the drawer out", "Slide the drawer open"),
    "drawer-close": ("Shut the drawer", "Slide the drawer closed"),
    "button-press-topdown": ("Push the button down from above", "Press down on the button"),
    "peg-insert-side": ("Slide the peg into the hole from the side", "Put the peg in the side hole"),
    "window-open": ("Slide the window open", "Open the window by sliding it"),
    "window-close": ("Slide the window shut", "Close the window by sliding it"),
}

# Episode step limits. Meta-World allows 500; the scripted policies succeed well inside these
# (benchmarks/metaworld.md gives their episode lengths), and evaluation time scales with them.
MAX_STEPS: dict[str, int] = {
    "reach": 150,
    "push": 150,
    "pick-place": 200,
    "door-open": 200,
    "drawer-open": 150,
    "drawer-close": 150,
    "button-press-topdown": 150,
    "peg-insert-side": 200,
    "window-open": 150,
    "window-close": 150,
}


def check_tasks(tasks: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    """Normalize a task selection (None: all of MT10); raise ValueError naming unknown tasks."""
    tasks = MT10 if tasks is None else ((tasks,) if isinstance(tasks, str) else tuple(tasks))
    bad = [t for t in tasks if t not in MT10]
    if not tasks or bad:
        raise ValueError(f"tasks: unknown or empty {bad or list(tasks)}; choose from {list(MT10)}")
    return tasks


def instructions(task: str, split: str) -> tuple[str, ...]:
    """Every wording of `task` in `split` ("train", "heldout" or "all")."""
    if split not in ("train", "heldout", "all"):
        raise ValueError(f"split must be 'train', 'heldout' or 'all', got {split!r}")
    train, heldout = (TRAIN[task],), HELDOUT[task]
    return {"train": train, "heldout": heldout, "all": train + heldout}[split]


def make_instruction(rng: np.random.Generator, task: str, split: str) -> str:
    """One wording of `task` from `split` ("train" or "heldout"), drawn with `rng`."""
    if split not in ("train", "heldout"):
        raise ValueError(f"split must be 'train' or 'heldout', got {split!r}")
    options = instructions(task, split)
    return options[int(rng.integers(len(options)))]
