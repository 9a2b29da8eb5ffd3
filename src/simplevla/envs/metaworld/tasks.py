"""Meta-World MT50: its fifty tasks, the MT10 subset and LeRobot's four difficulty groups, their
instructions (train and held-out wording) and step limits.

Pure data: importing this module needs neither `metaworld` nor `mujoco`. The `train` wording of each task
is LeRobot's Meta-World task description; the `heldout` wordings are paraphrases written here, never seen in
training (mirrors Tabletop's `split` in `simplevla.envs.tabletop.language`). A task selection may name
tasks, or the sets `mt10`, `mt50`, `easy`, `medium`, `hard` and `very_hard` (`check_tasks`).
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
# All fifty, in Meta-World's MT50 order.
MT50: tuple[str, ...] = (
    "assembly", "basketball", "bin-picking", "box-close", "button-press-topdown",
    "button-press-topdown-wall", "button-press", "button-press-wall", "coffee-button", "coffee-pull",
    "coffee-push", "dial-turn", "disassemble", "door-close", "door-lock", "door-open", "door-unlock",
    "hand-insert", "drawer-close", "drawer-open", "faucet-open", "faucet-close", "hammer",
    "handle-press-side", "handle-press", "handle-pull-side", "handle-pull", "lever-pull",
    "pick-place-wall", "pick-out-of-hole", "pick-place", "plate-slide", "plate-slide-side",
    "plate-slide-back", "plate-slide-back-side", "peg-insert-side", "peg-unplug-side", "soccer",
    "stick-push", "stick-pull", "push", "push-wall", "push-back", "reach", "reach-wall", "shelf-place",
    "sweep-into", "sweep", "window-open", "window-close",
)  # fmt: skip

# LeRobot's difficulty groups (its `metaworld` env and docs/source/metaworld.mdx): 28 + 11 + 6 + 5 tasks.
DIFFICULTY: dict[str, tuple[str, ...]] = {
    "easy": (
        "button-press", "button-press-topdown", "button-press-topdown-wall", "button-press-wall",
        "coffee-button", "dial-turn", "door-close", "door-lock", "door-open", "door-unlock", "drawer-close",
        "drawer-open", "faucet-close", "faucet-open", "handle-press", "handle-press-side", "handle-pull",
        "handle-pull-side", "lever-pull", "plate-slide", "plate-slide-back", "plate-slide-back-side",
        "plate-slide-side", "reach", "reach-wall", "window-close", "window-open", "peg-unplug-side",
    ),
    "medium": (
        "basketball", "bin-picking", "box-close", "coffee-pull", "coffee-push", "hammer", "peg-insert-side",
        "push-wall", "soccer", "sweep", "sweep-into",
    ),
    "hard": ("assembly", "hand-insert", "pick-out-of-hole", "pick-place", "push", "push-back"),
    "very_hard": ("shelf-place", "disassemble", "stick-pull", "stick-push", "pick-place-wall"),
}  # fmt: skip
SETS: dict[str, tuple[str, ...]] = {"mt10": MT10, "mt50": MT50, **DIFFICULTY}  # names a selection may use

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
    "assembly": "Pick up a nut and place it onto a peg",
    "basketball": "Dunk the basketball into the basket",
    "bin-picking": "Grasp the puck from one bin and place it into another bin",
    "box-close": "Grasp the cover and close the box with it",
    "button-press-topdown-wall": "Bypass a wall and press a button from the top",
    "button-press": "Press a button",
    "button-press-wall": "Bypass a wall and press a button",
    "coffee-button": "Push a button on the coffee machine",
    "coffee-pull": "Pull a mug from a coffee machine",
    "coffee-push": "Push a mug under a coffee machine",
    "dial-turn": "Rotate a dial 180 degrees",
    "disassemble": "Pick a nut out of a peg",
    "door-close": "Close a door with a revolving joint",
    "door-lock": "Lock the door by rotating the lock clockwise",
    "door-unlock": "Unlock the door by rotating the lock counter-clockwise",
    "hand-insert": "Insert the gripper into a hole",
    "faucet-open": "Rotate the faucet counter-clockwise",
    "faucet-close": "Rotate the faucet clockwise",
    "hammer": "Hammer a screw on the wall",
    "handle-press-side": "Press a handle down sideways",
    "handle-press": "Press a handle down",
    "handle-pull-side": "Pull a handle up sideways",
    "handle-pull": "Pull a handle up",
    "lever-pull": "Pull a lever down 90 degrees",
    "pick-place-wall": "Pick a puck, bypass a wall and place the puck",
    "pick-out-of-hole": "Pick up a puck from a hole",
    "push-back": "Push the puck to a goal",
    "plate-slide": "Slide a plate into a cabinet",
    "plate-slide-side": "Slide a plate into a cabinet sideways",
    "plate-slide-back": "Get a plate from the cabinet",
    "plate-slide-back-side": "Get a plate from the cabinet sideways",
    "peg-unplug-side": "Unplug a peg sideways",
    "soccer": "Kick a soccer into the goal",
    "stick-push": "Grasp a stick and push a box using the stick",
    "stick-pull": "Grasp a stick and pull a box with the stick",
    "push-wall": "Bypass a wall and push a puck to a goal",
    "reach-wall": "Bypass a wall and reach a goal",
    "shelf-place": "Pick and place a puck onto a shelf",
    "sweep-into": "Sweep a puck into a hole",
    "sweep": "Sweep a puck off the table",
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
    "assembly": ("Grab the nut and drop it over the peg", "Slip the nut onto the peg"),
    "basketball": ("Shoot the ball through the hoop", "Score a basket with the ball"),
    "bin-picking": ("Move the disc over to the other bin", "Transfer the puck between the two bins"),
    "box-close": ("Put the lid on the box", "Cap the box with its lid"),
    "button-press-topdown-wall": (
        "Reach over the wall and push the button down",
        "Get past the wall and tap the button from above",
    ),
    "button-press": ("Tap the button", "Push the button in"),
    "button-press-wall": (
        "Reach past the wall and push the button in",
        "Sneak past the wall and tap the button",
    ),
    "coffee-button": ("Switch on the coffee maker", "Tap the button on the espresso machine"),
    "coffee-pull": (
        "Grab the cup from under the coffee maker",
        "Slide the mug away from the espresso machine",
    ),
    "coffee-push": (
        "Slide the cup beneath the coffee maker",
        "Nudge the mug into place under the espresso machine",
    ),
    "dial-turn": ("Spin the knob halfway", "Twist the dial half a revolution"),
    "disassemble": ("Lift the nut off the peg", "Remove the nut from the peg"),
    "door-close": ("Shut the door", "Swing the door closed"),
    "door-lock": ("Bolt the door", "Twist the latch to secure the door"),
    "door-unlock": ("Unbolt the door", "Undo the latch on the door"),
    "hand-insert": ("Put your hand in the hole", "Poke the gripper down into the cavity"),
    "faucet-open": ("Twist the tap on", "Get the water running"),
    "faucet-close": ("Twist the tap off", "Stop the water"),
    "hammer": ("Pound the nail into the wall", "Bang the nail in using the hammer"),
    "handle-press-side": ("Push the handle down from the side", "Lower the handle from the side"),
    "handle-press": ("Shove the handle downward", "Bring the handle all the way down"),
    "handle-pull-side": ("Lift the handle up from the side", "Yank the handle upward from the side"),
    "handle-pull": ("Lift the handle up", "Yank the handle upward"),
    "lever-pull": ("Yank the lever downward", "Swing the lever down to a right angle"),
    "pick-place-wall": (
        "Lift the disc over the wall and set it down",
        "Grab the puck and put it on the far side of the wall",
    ),
    "pick-out-of-hole": ("Lift the disc out of the hole", "Grab the puck out of the hole"),
    "push-back": ("Move the disc toward the goal", "Nudge the puck over to the target"),
    "plate-slide": ("Push the dish into the cupboard", "Tuck the plate inside the cabinet"),
    "plate-slide-side": (
        "Push the dish sideways into the cupboard",
        "Tuck the plate into the cabinet from the side",
    ),
    "plate-slide-back": ("Pull the dish out of the cupboard", "Retrieve the plate from the cabinet"),
    "plate-slide-back-side": (
        "Pull the dish sideways out of the cupboard",
        "Drag the plate out of the cabinet from the side",
    ),
    "peg-unplug-side": ("Yank the peg out from the side", "Pull the peg out of the socket"),
    "soccer": ("Shoot the ball into the net", "Score a goal with the ball"),
    "stick-push": ("Use the rod to shove the box", "Grab the pole and nudge the box with it"),
    "stick-pull": ("Use the rod to haul the box toward you", "Grab the pole and yank the box nearer with it"),
    "push-wall": ("Slide the disc past the wall to the target", "Nudge the puck beyond the wall to the goal"),
    "reach-wall": (
        "Move the gripper past the wall to the target",
        "Get your hand over the wall to the goal spot",
    ),
    "shelf-place": ("Put the disc up on the shelf", "Lift the puck and set it on the rack"),
    "sweep-into": ("Brush the disc into the hole", "Knock the puck into the pit"),
    "sweep": ("Brush the disc off the table", "Knock the puck off the edge of the table"),
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
    "assembly": (
        "Pick up the nut and place the nut onto the peg",
        "Place the nut onto the peg",
        "Carry the nut to the peg and place it onto the peg",
        "Pick the nut up and insert the peg into the nut",
        "Get the nut onto the peg",
    ),
    "basketball": (
        "Dunk the basketball",
        "Place the basketball into the basket",
        "Pick up the basketball and dunk it into the basket",
        "Carry the basketball to the basket and dunk it",
        "Get the basketball into the basket",
    ),
    "bin-picking": (
        "Grasp the puck and place it into another bin",
        "Pick the puck from one bin and place it into another bin",
        "Carry the puck from one bin to another bin",
        "Pick up the puck and place it into the second bin",
        "Get the puck into another bin",
    ),
    "box-close": (
        "Close the box",
        "Close the box with the cover",
        "Grasp the cover and place it onto the box",
        "Pick up the cover and close the box",
        "Place the cover onto the box",
    ),
    "button-press-topdown-wall": (
        "Bypass the wall and press the button from the top",
        "Press the button from the top, bypassing the wall",
        "Avoid the wall and press the button from the top",
        "Bypass the wall and hit the button from the top",
        "Bypass the wall and depress the button from the top",
    ),
    "button-press": (
        "Press the button fully",
        "Hit the button",
        "Press the button with the end effector",
        "Press the button with the gripper",
    ),
    "button-press-wall": (
        "Bypass the wall and press the button",
        "Press the button, bypassing the wall",
        "Avoid the wall and press the button",
        "Bypass the wall and hit the button",
        "Bypass the wall and depress the button",
    ),
    "coffee-button": (
        "Push the button on the coffee machine",
        "Press the button on the coffee machine",
        "Press the coffee machine button",
        "Push the coffee machine button",
        "Hit the button on the coffee machine",
    ),
    "coffee-pull": (
        "Pull the mug from the coffee machine",
        "Pull the mug out from the coffee machine",
        "Get the mug from the coffee machine",
        "Pull the mug back from the coffee machine",
        "Withdraw the mug from the coffee machine",
    ),
    "coffee-push": (
        "Push the mug under the coffee machine",
        "Push the mug to the coffee machine",
        "Shift the mug under the coffee machine",
        "Drive the mug under the coffee machine",
        "Place the mug under the coffee machine",
    ),
    "dial-turn": (
        "Rotate the dial",
        "Rotate the dial by 180 degrees",
        "Turn the dial 180 degrees",
        "Turn the dial",
        "Rotate the dial to 180 degrees",
    ),
    "disassemble": (
        "Pick the nut out of the peg",
        "Pick up the nut from the peg",
        "Get the nut out of the peg",
        "Pull the nut up out of the peg",
        "Raise the nut out of the peg",
    ),
    "door-close": (
        "Close the door",
        "Push the door to close it",
        "Close the revolving door",
        "Close the door fully",
        "Push the door back",
    ),
    "door-lock": (
        "Lock the door",
        "Rotate the lock clockwise",
        "Lock the door by rotating the lock",
        "Rotate the door lock clockwise",
        "Turn the lock clockwise to lock the door",
    ),
    "door-unlock": (
        "Unlock the door",
        "Rotate the lock counter-clockwise",
        "Unlock the door by rotating the lock",
        "Rotate the door lock counter-clockwise",
        "Turn the lock counter-clockwise to unlock the door",
    ),
    "hand-insert": (
        "Insert the gripper into the hole",
        "Place the gripper into the hole",
        "Push the gripper into the hole",
        "Insert the end effector into the hole",
        "Reach into the hole with the gripper",
    ),
    "faucet-open": (
        "Open the faucet",
        "Rotate the faucet handle counter-clockwise",
        "Open the faucet by rotating it counter-clockwise",
        "Turn the faucet counter-clockwise",
        "Turn the faucet open",
    ),
    "faucet-close": (
        "Close the faucet",
        "Rotate the faucet handle clockwise",
        "Close the faucet by rotating it clockwise",
        "Turn the faucet clockwise",
        "Close the faucet fully",
    ),
    "hammer": (
        "Hammer the screw",
        "Hammer the screw into the wall",
        "Hit the screw with the hammer",
        "Grasp the hammer and hammer the screw on the wall",
        "Pick up the hammer and hit the screw",
    ),
    "handle-press-side": (
        "Press the handle down sideways",
        "Press the handle sideways",
        "Depress the handle sideways",
        "Press down the handle sideways",
        "Press the handle to the bottom sideways",
    ),
    "handle-press": (
        "Press the handle down",
        "Press down the handle",
        "Press the handle down fully",
        "Depress the handle",
        "Press the handle to the bottom",
    ),
    "handle-pull-side": (
        "Pull the handle up sideways",
        "Pull up the handle sideways",
        "Raise the handle sideways",
        "Pull the handle to the top sideways",
    ),
    "handle-pull": (
        "Pull the handle up",
        "Pull up the handle",
        "Pull the handle up fully",
        "Raise the handle",
        "Pull the handle to the top",
    ),
    "lever-pull": (
        "Pull the lever down",
        "Pull the lever",
        "Pull the lever down by 90 degrees",
        "Rotate the lever down 90 degrees",
        "Pull down the lever",
    ),
    "pick-place-wall": (
        "Pick up the puck, bypass the wall and place the puck",
        "Pick the puck, bypass the wall and place it",
        "Pick the puck and place it, bypassing the wall",
        "Carry the puck to the goal, bypassing the wall",
        "Raise the puck, bypass the wall and place the puck",
    ),
    "pick-out-of-hole": (
        "Pick the puck from the hole",
        "Pick up the puck from the hole",
        "Get the puck out of the hole",
        "Raise the puck from the hole",
        "Pick the puck up out of the hole",
    ),
    "push-back": (
        "Push the puck back to the goal",
        "Push the puck backward to the goal",
        "Pull the puck back to the goal",
        "Drive the puck back to the goal",
        "Shift the puck back to the goal",
    ),
    "plate-slide": (
        "Slide the plate into the cabinet",
        "Push the plate into the cabinet",
        "Place the plate into the cabinet",
        "Slide the plate to the cabinet",
        "Get the plate into the cabinet",
    ),
    "plate-slide-side": (
        "Slide the plate into the cabinet sideways",
        "Push the plate into the cabinet sideways",
        "Place the plate into the cabinet sideways",
        "Slide the plate sideways into the cabinet",
    ),
    "plate-slide-back": (
        "Get the plate from the cabinet",
        "Slide the plate from the cabinet",
        "Pull the plate from the cabinet",
        "Slide the plate back from the cabinet",
        "Withdraw the plate from the cabinet",
    ),
    "plate-slide-back-side": (
        "Get the plate from the cabinet sideways",
        "Slide the plate from the cabinet sideways",
        "Pull the plate from the cabinet sideways",
        "Slide the plate sideways from the cabinet",
    ),
    "peg-unplug-side": (
        "Unplug the peg",
        "Unplug the peg sideways",
        "Pull the peg sideways",
        "Extract the peg sideways",
        "Withdraw the peg sideways",
    ),
    "soccer": (
        "Kick the soccer into the goal",
        "Push the soccer into the goal",
        "Kick the soccer to the goal",
        "Drive the soccer into the goal",
        "Get the soccer into the goal",
    ),
    "stick-push": (
        "Grasp the stick and push the box",
        "Push the box using the stick",
        "Push the box with the stick",
        "Pick up the stick and push the box with it",
        "Grasp the stick and push the box with the stick",
    ),
    "stick-pull": (
        "Grasp the stick and pull the box",
        "Pull the box with the stick",
        "Pull the box using the stick",
        "Pick up the stick and pull the box with it",
        "Grasp the stick and pull the box using the stick",
    ),
    "push-wall": (
        "Bypass the wall and push the puck to the goal",
        "Push the puck to the goal, bypassing the wall",
        "Avoid the wall and push the puck to the goal",
        "Bypass the wall and shift the puck to the goal",
        "Push the puck to the goal while bypassing the wall",
    ),
    "reach-wall": (
        "Bypass the wall and reach the goal",
        "Reach the goal, bypassing the wall",
        "Avoid the wall and reach the goal",
        "Go to the goal, bypassing the wall",
        "Bypass the wall and touch the goal point",
    ),
    "shelf-place": (
        "Pick the puck and place it onto the shelf",
        "Place the puck onto the shelf",
        "Pick up the puck and place the puck onto the shelf",
        "Carry the puck to the shelf",
        "Raise the puck onto the shelf",
    ),
    "sweep-into": (
        "Sweep the puck into the hole",
        "Push the puck into the hole",
        "Sweep the puck to the hole",
        "Slide the puck into the hole",
        "Drive the puck into the hole",
    ),
    "sweep": (
        "Sweep the puck off the table",
        "Push the puck off the table",
        "Slide the puck off the table",
        "Clear the puck off the table",
        "Sweep the puck from the table",
    ),
}

# Episode step limits. Meta-World (and LeRobot's MT50 protocol) allows 500. MT10 keeps the shorter limits
# its quick run has always used (the scripted policies succeed well inside them; benchmarks/metaworld.md
# gives their episode lengths); the other forty tasks use Meta-World's 500.
PROTOCOL_MAX_STEPS = 500
MAX_STEPS: dict[str, int] = {t: PROTOCOL_MAX_STEPS for t in MT50}
MAX_STEPS |= {
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
    """Normalize a task selection (None: all of MT10; `mt50`, `easy`, ... expand to their tasks); raise
    ValueError naming unknown tasks."""
    return check_selection(tasks, MT50, "tasks", SETS, MT10)


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
