"""Fast anti-aliased top-down rendering with numpy.

Objects never rotate, so each shape's coverage (alpha) mask is precomputed once per image size, by 6x6
supersampling, for 8 x 8 sub-pixel phases of its centre. Drawing an object is then two in-place numpy ops
on a small patch: `region *= 1 - alpha; region += alpha * colour`.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from simplevla.envs import scene

PHASES = 8  # sub-pixel centre positions per axis
SUPERSAMPLE = 6  # samples per pixel per axis when building masks


def _inside(shape: str, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Boolean mask of points (x, y) (table units, y up, relative to the centre) inside the shape."""
    x, y = np.broadcast_arrays(x, y)
    if shape == "circle":
        return x * x + y * y <= scene.CIRCLE_R**2
    if shape == "pusher":
        return x * x + y * y <= scene.PUSHER_R**2
    if shape == "square":
        return (np.abs(x) <= scene.SQUARE_H) & (np.abs(y) <= scene.SQUARE_H)
    verts = scene.triangle_vertices()
    inside = np.ones_like(x, dtype=bool)
    for i in range(3):
        (x0, y0), (x1, y1) = verts[i], verts[(i + 1) % 3]
        inside &= (x1 - x0) * (y - y0) - (y1 - y0) * (x - x0) >= 0.0  # left of each CCW edge
    return inside


@functools.lru_cache(maxsize=16)
def shape_masks(shape: str, size: int) -> tuple[int, np.ndarray]:
    """(K, alpha) with alpha float32 (PHASES, PHASES, 2K, 2K): coverage of the shape's pixels.

    For phase (qy, qx), the centre sits at pixel coordinates (row, col) = (K + (qy + .5) / PHASES,
    K + (qx + .5) / PHASES) within the patch; the patch's pixel (i, j) covers [i, i+1) x [j, j+1).
    """
    radius = scene.PUSHER_R if shape == "pusher" else scene.bounding_radius(shape)
    k = int(math.ceil(radius * size)) + 1
    n = 2 * k
    sub = (np.arange(SUPERSAMPLE) + 0.5) / SUPERSAMPLE  # (S,)
    grid = (np.arange(n)[:, None] + sub[None, :]).reshape(-1)  # (n*S,) pixel coordinates of samples
    alpha = np.zeros((PHASES, PHASES, n, n), dtype=np.float32)
    for qy in range(PHASES):
        cy = k + (qy + 0.5) / PHASES
        ys = -(grid - cy) / size  # (n*S,) table units, y up (rows grow downwards)
        for qx in range(PHASES):
            cx = k + (qx + 0.5) / PHASES
            xs = (grid - cx) / size  # (n*S,)
            inside = _inside(shape, xs[None, :], ys[:, None])  # (n*S, n*S) rows x cols
            alpha[qy, qx] = inside.reshape(n, SUPERSAMPLE, n, SUPERSAMPLE).mean(axis=(1, 3))
    return k, alpha


@functools.lru_cache(maxsize=128)
def _layer(shape: str, colour: str | None, size: int) -> tuple[int, np.ndarray, np.ndarray]:
    """(K, 1 - alpha (Q, Q, n, n, 1), alpha * colour (Q, Q, n, n, 3)) for one shape and colour."""
    k, alpha = shape_masks(shape, size)
    rgb = np.asarray(scene.PUSHER_RGB if colour is None else scene.COLOURS[colour], dtype=np.float32)
    return k, (1.0 - alpha)[..., None], alpha[..., None] * rgb


class Renderer:
    """Draws a scene (object centres, shapes, colours, effector) into a uint8 (size, size, 3) image."""

    def __init__(self, size: int, shapes: list[str], colours: list[str]) -> None:
        self.size = size
        self.background = np.empty((size, size, 3), dtype=np.float32)
        self.background[:] = np.asarray(scene.TABLE_RGB, dtype=np.float32)
        self._draw_place_marks()
        pairs = zip([*shapes, "pusher"], [*colours, None], strict=True)
        self.layers = [_layer(shape, colour, size) for shape, colour in pairs]  # drawn in this order
        self._img = np.empty_like(self.background)
        self._objects_layer = np.empty_like(self.background)  # background + objects, reused while still
        self._objects_key: bytes | None = None

    def _draw_place_marks(self) -> None:
        """Faint edge lines so the table's boundary reads as a wall even in small images."""
        edge = max(1, self.size // 64)
        shade = np.asarray(scene.TABLE_RGB, dtype=np.float32) * 0.6
        for sl in (np.s_[:edge, :], np.s_[-edge:, :], np.s_[:, :edge], np.s_[:, -edge:]):
            self.background[sl] = shade

    def _blend(self, img: np.ndarray, layer: tuple, x: float, y: float) -> None:
        """Alpha-blend one precomputed shape layer centred at table point (x, y) into img, in place."""
        k, inv, pre = layer
        size = self.size
        col, row = x * size, (1.0 - y) * size
        c0, r0 = int(math.floor(col)), int(math.floor(row))
        qx = min(PHASES - 1, int((col - c0) * PHASES))
        qy = min(PHASES - 1, int((row - r0) * PHASES))
        top, left, n = r0 - k, c0 - k, 2 * k
        pt, pl = max(0, -top), max(0, -left)  # crop the patch at the image border
        pb, pr = min(n, size - top), min(n, size - left)
        if pb <= pt or pr <= pl:
            return
        region = img[top + pt : top + pb, left + pl : left + pr]
        region *= inv[qy, qx, pt:pb, pl:pr]
        region += pre[qy, qx, pt:pb, pl:pr]

    def render(self, positions: np.ndarray, pusher: np.ndarray) -> np.ndarray:
        """positions (N, 2) object centres and pusher (2,) in table units -> uint8 (size, size, 3).

        Objects are quasi-static, so the background-plus-objects layer is cached and redrawn only on
        steps where some object moved; the effector is blended on top every time.
        """
        key = positions.tobytes()
        if key != self._objects_key:
            np.copyto(self._objects_layer, self.background)
            for layer, (x, y) in zip(self.layers[:-1], positions.tolist(), strict=True):
                self._blend(self._objects_layer, layer, x, y)
            self._objects_key = key
        img = self._img
        np.copyto(img, self._objects_layer)
        self._blend(img, self.layers[-1], float(pusher[0]), float(pusher[1]))
        out = np.empty((self.size, self.size, 3), dtype=np.uint8)
        np.add(img, 0.5, out=img)
        np.copyto(out, img, casting="unsafe")  # truncation after +0.5 rounds to nearest
        return out
