"""What an instruction names, as the labels of the policy's parse head, and whether a reading is right.

A reading ("parse") is {"family", "objects": [[colour or None, shape or None], ...], "place", "direction"}:
the task family, what the words name of each object (None: not named), and the place or direction (None
where the family has none). `labels` turns it into one class index per slot of `SLOTS`; `decode` turns
the head's choices back. `understood` judges a reading against the task and the scene: the family, place
and direction must be the task's, and each object's named colour and shape must fit the task's object and
pick it out alone in the scene. That is the split between misreading and misexecuting an instruction.

`sample_pool` draws (instruction, labels) pairs from the rich training grammar over random scenes and tasks
(no positions, no physics: the words do not depend on them): the parse head's training data, whose labels
come from the task spec for free.
"""

from __future__ import annotations

import numpy as np

from simplevla.envs.tabletop import scene, tasks, wording

NONE = "-"  # not named, or no such slot in this family
SLOTS: dict[str, tuple[str, ...]] = {
    "family": tasks.FAMILIES,
    "colour": (*scene.COLOUR_NAMES, NONE),
    "shape": (*scene.SHAPES, NONE),
    "colour2": (*scene.COLOUR_NAMES, NONE),
    "shape2": (*scene.SHAPES, NONE),
    "place": (*tasks.PLACES, NONE),
    "direction": (*tasks.DIRECTIONS, NONE),
}
SLOT_SIZES = tuple(len(v) for v in SLOTS.values())


def labels(parse: dict) -> list[int]:
    """One class index per slot of SLOTS, in order."""
    objs = list(parse["objects"]) + [[None, None]] * (2 - len(parse["objects"]))
    values = [parse["family"], objs[0][0], objs[0][1], objs[1][0], objs[1][1]]
    values += [parse["place"], parse["direction"]]
    return [names.index(NONE if v is None else v) for names, v in zip(SLOTS.values(), values, strict=True)]


def decode(indices: list[int]) -> dict:
    """The reading that class indices (one per slot) stand for."""
    v = {slot: names[int(i)] for (slot, names), i in zip(SLOTS.items(), indices, strict=True)}

    def named(x: str) -> str | None:
        return None if x == NONE else x

    objects = [[named(v["colour"]), named(v["shape"])]]
    if v["family"] in ("push_next_to", "separate"):
        objects.append([named(v["colour2"]), named(v["shape2"])])
    return {
        "family": v["family"],
        "objects": objects,
        "place": named(v["place"]) if v["family"] == "push_to_place" else None,
        "direction": named(v["direction"]) if v["family"] == "push_direction" else None,
    }


def _picks(named: list, obj: dict, scene_objects: list) -> bool:
    colour, shape = named
    if colour is None and shape is None:
        return False
    if colour not in (None, obj["colour"]) or shape not in (None, obj["shape"]):
        return False
    fits = [o for o in scene_objects if colour in (None, o[0]) and shape in (None, o[1])]
    return len(fits) == 1


def understood(parse: dict, spec: dict, scene_objects: list) -> bool:
    """Does the reading `parse` name the task `spec` in the scene ([[colour, shape], ...] per object)?"""
    family = spec["family"]
    if parse["family"] != family or len(parse["objects"]) != len(spec["objects"]):
        return False
    if family == "push_to_place" and parse["place"] != spec["target"]["place"]:
        return False
    if family == "push_direction" and parse["direction"] != spec["target"]["direction"]:
        return False
    return all(_picks(n, o, scene_objects) for n, o in zip(parse["objects"], spec["objects"], strict=True))


def describe(parse: dict) -> str:
    """A reading in plain words: 'push_to_place: red circle -> top_left'."""
    objs = [" ".join(x for x in o if x) or "?" for o in parse["objects"]]
    what = " + ".join(objs)
    goal = parse["place"] or parse["direction"]
    return f"{parse['family']}: {what}" + (f" -> {goal}" if goal else "")


def _random_spec(rng: np.random.Generator, family: str, objects: list) -> dict:
    """A task of `family` over `objects` as `tasks.sample_task` would name it, without positions (the
    words do not depend on where things are): which objects, and the place or direction."""

    def obj(i: int) -> dict:
        return {"index": i, "colour": objects[i].colour, "shape": objects[i].shape}

    i, j = (int(k) for k in rng.choice(len(objects), size=2, replace=False))
    target: dict = {}
    if family == "push_to_place":
        target = {"place": tuple(tasks.PLACES)[int(rng.integers(len(tasks.PLACES)))]}
    elif family == "push_direction":
        target = {"direction": tuple(tasks.DIRECTIONS)[int(rng.integers(len(tasks.DIRECTIONS)))]}
    two = family in ("push_next_to", "separate")
    return {"family": family, "objects": [obj(i), obj(j)] if two else [obj(i)], "target": target}


def sample_pool(seed: int, n: int) -> tuple[list[str], np.ndarray]:
    """n (instruction, labels) pairs of the rich training grammar over random scenes: texts and (n, 7)."""
    rng = np.random.default_rng([seed, 0x9A25E])
    texts, rows = [], []
    for k in range(n):
        family = tasks.FAMILIES[k % len(tasks.FAMILIES)]
        objects = scene.sample_objects(rng, int(rng.integers(scene.MIN_OBJECTS, scene.MAX_OBJECTS + 1)))
        text, parse = wording.sample_rich(rng, _random_spec(rng, family, objects), objects)
        texts.append(text)
        rows.append(labels(parse))
    return texts, np.asarray(rows, dtype=np.int64)  # (n, 7)
