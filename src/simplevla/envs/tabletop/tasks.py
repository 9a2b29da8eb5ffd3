"""The five task families: how a task is sampled for a scene, and its success test (table units).

A task spec is a JSON-able dict:
  {"family": str, "objects": [{"index", "colour", "shape"}, ...] (1 or 2), "target": {...}}
with target {"object": {...}} (reach, push_next_to), {"place": name, "xy": [x, y]} (push_to_place),
{"direction": name, "distance": d, "start": [x, y]} (push_direction) or {"min_distance": d} (separate).
"""

from __future__ import annotations

import math

import numpy as np

from simplevla.envs.tabletop import scene

FAMILIES: tuple[str, ...] = ("reach", "push_to_place", "push_direction", "push_next_to", "separate")

# Per-family step limits (an episode truncates there); the expert usually needs well under half.
MAX_STEPS: dict[str, int] = {
    "reach": 40,
    "push_to_place": 80,
    "push_direction": 60,
    "push_next_to": 80,
    "separate": 60,
}

PLACES: dict[str, tuple[float, float]] = {
    "top_left": (0.15, 0.85),
    "top": (0.5, 0.85),
    "top_right": (0.85, 0.85),
    "left": (0.15, 0.5),
    "center": (0.5, 0.5),
    "right": (0.85, 0.5),
    "bottom_left": (0.15, 0.15),
    "bottom": (0.5, 0.15),
    "bottom_right": (0.85, 0.15),
}
DIRECTIONS: dict[str, tuple[float, float]] = {
    "left": (-1.0, 0.0),
    "right": (1.0, 0.0),
    "up": (0.0, 1.0),
    "down": (0.0, -1.0),
}

# Success tolerances, in table units (docs/tabletop.md documents these).
REACH_GAP = 0.03  # reach: effector edge within this of the object's outline
PLACE_TOL = 0.10  # push_to_place: object centre within this of the place
PLACE_MIN_START, PLACE_MAX_START = 0.25, 0.70  # sampled start distance from the place
DIRECTION_DISTANCE = 0.20  # push_direction: the nominal push
DIRECTION_MIN = 0.15  # ... success when moved at least this far along the direction
DIRECTION_SIDE = 0.08  # ... and at most this far sideways
NEXT_TO_DIST = 0.22  # push_next_to: centres within this of each other
NEXT_TO_MIN_START = 0.32  # ... and at least this far apart at the start
SEPARATE_DIST = 0.30  # separate: centres at least this far apart


def _obj(i: int, objects: list[scene.SceneObject]) -> dict:
    return {"index": int(i), "colour": objects[i].colour, "shape": objects[i].shape}


def _segment_clear(
    a: np.ndarray, b: np.ndarray, pos: np.ndarray, skip: tuple[int, ...], clearance: float
) -> bool:
    """True when no object centre other than `skip` lies within `clearance` of the segment a-b."""
    ab = b - a
    t = np.clip(((pos - a) @ ab) / max(float(ab @ ab), 1e-12), 0.0, 1.0)  # (N,)
    d = np.linalg.norm(pos - (a + t[:, None] * ab), axis=1)  # (N,)
    return all(d[i] >= clearance for i in range(len(pos)) if i not in skip)


def sample_task(
    rng: np.random.Generator, family: str, objects: list[scene.SceneObject], pos: np.ndarray
) -> dict | None:
    """A task of `family` for the scene (objects, centres pos (N, 2)); None when this scene has none.

    Tasks prefer straight push paths clear of the other objects, so the expert's plan is simple.
    """
    n = len(objects)
    if family == "reach":
        i = int(rng.integers(n))
        return {"family": family, "objects": [_obj(i, objects)], "target": {"object": _obj(i, objects)}}
    if family == "separate":  # objects 0 and 1 were placed touching
        return {
            "family": family,
            "objects": [_obj(0, objects), _obj(1, objects)],
            "target": {"min_distance": SEPARATE_DIST},
        }
    options = []
    for i in range(n):
        if family == "push_to_place":
            for name, xy in PLACES.items():
                d = float(np.hypot(*(np.asarray(xy) - pos[i])))
                if PLACE_MIN_START <= d <= PLACE_MAX_START and _segment_clear(
                    pos[i], np.asarray(xy), pos, (i,), 0.2
                ):
                    options.append((i, {"place": name, "xy": [float(xy[0]), float(xy[1])]}))
        elif family == "push_direction":
            for name, u in DIRECTIONS.items():
                end = pos[i] + np.asarray(u) * (DIRECTION_DISTANCE + 0.04)
                if (
                    np.all(end >= 0.13)
                    and np.all(end <= 0.87)
                    and _segment_clear(pos[i], end, pos, (i,), 0.2)
                ):
                    start = [float(pos[i][0]), float(pos[i][1])]
                    options.append((i, {"direction": name, "distance": DIRECTION_DISTANCE, "start": start}))
        elif family == "push_next_to":
            for j in range(n):
                if (
                    j != i
                    and np.hypot(*(pos[j] - pos[i])) >= NEXT_TO_MIN_START
                    and _segment_clear(pos[i], pos[j], pos, (i, j), 0.2)
                ):
                    options.append((i, {"object": _obj(j, objects)}))
        else:
            raise ValueError(f"unknown family {family!r}; choose from {FAMILIES}")
    if not options:
        return None
    i, target = options[int(rng.integers(len(options)))]
    objs = [_obj(i, objects)] + ([target["object"]] if family == "push_next_to" else [])
    return {"family": family, "objects": objs, "target": target}


def is_success(spec: dict, pos: np.ndarray, reach_gap: float) -> bool:
    """The family's success test on object centres pos (N, 2); reach_gap = effector-to-outline gap."""
    family = spec["family"]
    a = pos[spec["objects"][0]["index"]]
    if family == "reach":
        return reach_gap <= REACH_GAP
    if family == "push_to_place":
        xy = spec["target"]["xy"]
        return math.hypot(a[0] - xy[0], a[1] - xy[1]) <= PLACE_TOL
    if family == "push_direction":
        u = DIRECTIONS[spec["target"]["direction"]]
        dx, dy = a[0] - spec["target"]["start"][0], a[1] - spec["target"]["start"][1]
        along, side = dx * u[0] + dy * u[1], abs(dx * u[1] - dy * u[0])
        return along >= DIRECTION_MIN and side <= DIRECTION_SIDE
    b = pos[spec["objects"][1]["index"]]
    dist = math.hypot(a[0] - b[0], a[1] - b[1])
    if family == "push_next_to":
        return dist <= NEXT_TO_DIST
    return dist >= SEPARATE_DIST
