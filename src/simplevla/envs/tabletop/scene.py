"""Scene content of the Tabletop suite: colours, shapes, their geometry, and non-overlapping placement.

All lengths are in table units (the table is [0, 1] x [0, 1], x right, y up). Objects never rotate, so a
shape's geometry is fixed: squares are axis-aligned and triangles point up (centroid at the body centre).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (225, 45, 45),
    "green": (40, 185, 70),
    "blue": (45, 110, 240),
    "yellow": (245, 215, 40),
    "purple": (170, 70, 215),
}
SHAPES: tuple[str, ...] = ("circle", "square", "triangle")
COLOUR_NAMES: tuple[str, ...] = tuple(COLOURS)

CIRCLE_R = 0.065  # circle radius
SQUARE_H = 0.057  # half side of the square (about the circle's area)
TRIANGLE_R = 0.085  # circumradius of the equilateral triangle
PUSHER_R = 0.03  # radius of the round effector
TABLE_RGB = (58, 62, 72)
PUSHER_RGB = (250, 250, 250)

PLACE_MARGIN = 0.17  # object centres start in [PLACE_MARGIN, 1 - PLACE_MARGIN]
MIN_GAP = 0.04  # minimum gap between bounding circles of two objects at the start
MIN_OBJECTS, MAX_OBJECTS = 4, 8


@dataclass(frozen=True)
class SceneObject:
    """One object's identity: its colour and shape names."""

    colour: str
    shape: str


def triangle_vertices() -> np.ndarray:
    """(3, 2) vertices of the up-pointing equilateral triangle around its centroid, counter-clockwise."""
    angles = np.deg2rad([90.0, 210.0, 330.0])
    return np.stack([np.cos(angles), np.sin(angles)], axis=1) * TRIANGLE_R  # (3, 2)


def square_vertices() -> np.ndarray:
    """(4, 2) vertices of the axis-aligned square, counter-clockwise."""
    h = SQUARE_H
    return np.array([[-h, -h], [h, -h], [h, h], [-h, h]])


_TRIANGLE, _SQUARE = triangle_vertices(), square_vertices()


def bounding_radius(shape: str) -> float:
    """Radius of the smallest centred circle containing the shape."""
    return {"circle": CIRCLE_R, "square": SQUARE_H * math.sqrt(2.0), "triangle": TRIANGLE_R}[shape]


def support(shape: str, direction: np.ndarray) -> float:
    """max over the shape's points p of p . direction (direction is a unit vector): the extent along it."""
    if shape == "circle":
        return CIRCLE_R
    verts = _SQUARE if shape == "square" else _TRIANGLE
    return float(np.max(verts @ direction))


def half_extents(shape: str) -> tuple[float, float, float, float]:
    """(left, right, bottom, top) extents of the shape from its centre, all positive."""
    if shape == "circle":
        return CIRCLE_R, CIRCLE_R, CIRCLE_R, CIRCLE_R
    if shape == "square":
        return SQUARE_H, SQUARE_H, SQUARE_H, SQUARE_H
    v = triangle_vertices()
    return -v[:, 0].min(), v[:, 0].max(), -v[:, 1].min(), v[:, 1].max()


def sample_objects(rng: np.random.Generator, n: int) -> list[SceneObject]:
    """n objects with distinct (colour, shape) pairs, so "the <colour> <shape>" is always unambiguous."""
    combos = [(c, s) for c in COLOUR_NAMES for s in SHAPES]
    picks = rng.choice(len(combos), size=n, replace=False)
    return [SceneObject(*combos[int(i)]) for i in picks]


def _far_enough(p: np.ndarray, r: float, placed: list[np.ndarray], radii: list[float]) -> bool:
    px, py = float(p[0]), float(p[1])
    for q, rq in zip(placed, radii, strict=True):  # np.hypot of the scalar differences, as np.hypot(*(p - q))
        if not np.hypot(px - q[0], py - q[1]) >= r + rq + MIN_GAP:
            return False
    return True


def place_objects(
    rng: np.random.Generator, objects: list[SceneObject], close_pair: bool = False
) -> np.ndarray | None:
    """Centres (N, 2) without overlap, away from the walls; None when random placement got stuck.

    With close_pair, objects 0 and 1 start nearly touching (gap 0.005 to 0.02 between their outlines along
    the line of centres), for the `separate` family.
    """
    lo, hi = PLACE_MARGIN, 1.0 - PLACE_MARGIN
    placed: list[np.ndarray] = []
    radii = [bounding_radius(o.shape) for o in objects]
    start = 0
    if close_pair:
        for _ in range(100):
            a = rng.uniform(lo, hi, size=2)
            ang = rng.uniform(0.0, 2 * math.pi)
            u = np.array([math.cos(ang), math.sin(ang)])
            dist = support(objects[0].shape, u) + support(objects[1].shape, -u) + rng.uniform(0.005, 0.02)
            b = a + u * dist
            if np.all(b >= lo) and np.all(b <= hi):
                placed, start = [a, b], 2
                break
        else:
            return None
    for i in range(start, len(objects)):
        for _ in range(200):
            p = rng.uniform(lo, hi, size=2)
            if _far_enough(p, radii[i], placed, radii[: len(placed)]):
                placed.append(p)
                break
        else:
            return None
    return np.array(placed, dtype=np.float64)  # (N, 2)


def place_pusher(rng: np.random.Generator, objects: list[SceneObject], pos: np.ndarray) -> np.ndarray:
    """A start point for the effector at least 0.03 from every object's bounding circle."""
    lo, hi = PUSHER_R + 0.02, 1.0 - PUSHER_R - 0.02
    best, best_clear = None, -1.0
    radii = np.array([bounding_radius(o.shape) for o in objects])  # (N,)
    pos = np.asarray(pos)  # (N, 2)
    for _ in range(200):
        p = rng.uniform(lo, hi, size=2)
        d = p - pos  # (N, 2)
        clear = float(np.min(np.hypot(d[:, 0], d[:, 1]) - radii - PUSHER_R))
        if clear >= 0.03:
            return p
        if clear > best_clear:
            best, best_clear = p, clear
    return best
