"""Meta-World MT10: its ten tasks, their instructions (train and held-out wording) and step limits.

Pure data: importing this module needs neither `metaworld` nor `mujoco`. The `train` wording of each task
is LeRobot's Meta-World task description; the `heldout` wordings are paraphrases written here, never seen in
training (mirrors Tabletop's `split` in `simplevla.envs.tabletop.language`).
"""

from __future__ import annotations

import numpy as np

from simplevla.envs.common import check_selection

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

# The rich training wording (`split="train_rich"`): LeRobot's description plus paraphrases written here
# in words no held-out paraphrase uses (nor a word sharing a stem with one; tests/envs/test_mt10.py checks).
TRAIN_EXTRA: dict[str, tuple[str, ...]] = {
    "reach": (
        "Reach the goal",
        "Go to the goal position",
        "Get the end effector to the goal",
        "Touch the goal point",
        "Head for the goal position",
        "Travel to the goal",
        "Approach the goal position",
    ),
    "push": (
        "Push the puck to the goal position",
        "Shift the puck to the goal",
        "Drive the puck to the goal",
        "Steer the puck to the goal",
        "Propel the puck along the table to the goal",
        "Push the puck to where the goal is",
    ),
    "pick-place": (
        "Pick up the puck and place the puck to the goal",
        "Carry the puck to the goal",
        "Raise the puck and carry the puck to the goal",
        "Transport the puck to the goal position",
        "Pick the puck up and deliver the puck to the goal",
        "Take the puck to the goal",
    ),
    "door-open": (
        "Open the door",
        "Rotate the door open",
        "Open the revolving door",
        "Turn the door around the joint",
        "Get the door open",
        "Open the door wide",
    ),
    "drawer-open": (
        "Open the drawer",
        "Get the drawer open",
        "Extend the drawer",
        "Open the drawer fully",
        "Withdraw the drawer",
    ),
    "drawer-close": (
        "Close the drawer",
        "Push the drawer back",
        "Close the drawer fully",
        "Retract the drawer",
        "Push the open drawer back",
    ),
    "button-press-topdown": (
        "Press the button",
        "Push the button from the top",
        "Hit the button from the top",
        "Depress the button",
        "Press the button with the fingers from the top",
    ),
    "peg-insert-side": (
        "Insert the peg",
        "Fit the peg sideways",
        "Plug the peg sideways",
        "Thread the peg sideways",
        "Insert the peg horizontally",
    ),
    "window-open": (
        "Open the window",
        "Push the window open",
        "Shift the window to open the window",
        "Open the window fully",
    ),
    "window-close": (
        "Close the window",
        "Push the window to close the window",
        "Shift the window to close the window",
        "Close the window fully",
    ),
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
    return check_selection(tasks, MT10, "tasks")


SPLITS = ("train", "heldout", "train_rich")


def instructions(task: str, split: str) -> tuple[str, ...]:
    """Every wording of `task` in `split` ("train", "heldout", "train_rich" or "all")."""
    if split not in (*SPLITS, "all"):
        raise ValueError(f"split must be one of {[*SPLITS, 'all']}, got {split!r}")
    train, heldout, rich = (TRAIN[task],), HELDOUT[task], (TRAIN[task], *TRAIN_EXTRA[task])
    return {"train": train, "heldout": heldout, "train_rich": rich, "all": rich + heldout}[split]


def make_instruction(rng: np.random.Generator, task: str, split: str) -> str:
    """One wording of `task` from `split` ("train", "heldout" or "train_rich"), drawn with `rng`. The rich
    split gives LeRobot's description half the time, else one of the paraphrases."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if split == "train_rich" and rng.random() < 0.5:
        return TRAIN[task]
    options = instructions(task, split)
    return options[int(rng.integers(len(options)))]
