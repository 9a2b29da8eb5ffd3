"""Fast anti-aliased top-down rendering with numpy.

Objects never rotate, so each shape's coverage (alpha) mask is precomputed once per image size, by 6x6
supersampling, for 8 x 8 sub-pixel phases of its centre. Drawing an object is then two in-place numpy ops
on a small patch: `region *= 1 - alpha; region += alpha * colour`.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from simplevla.envs.tabletop import scene

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
    """Draws a scene (object centres, shapes, colours, effector) into a uint8 (size, size, 3) image.

    The background-plus-objects layer is cached as float32 and as its rounded uint8 copy. When objects
    move, only the boxes they left and entered are redrawn (from the background, every object touching
    the box blended in order), so each pixel goes through exactly the same float32 operations as a full
    redraw. Per frame, the effector's patch is blended onto the cache and rounded; the rest is a copy.
    """

    def __init__(self, size: int, shapes: list[str], colours: list[str]) -> None:
        self.size = size
        self.background = np.empty((size, size, 3), dtype=np.float32)
        self.background[:] = np.asarray(scene.TABLE_RGB, dtype=np.float32)
        self._draw_place_marks()
        pairs = zip([*shapes, "pusher"], [*colours, None], strict=True)
        self.layers = [_layer(shape, colour, size) for shape, colour in pairs]  # drawn in this order
        self._objects_layer = np.empty_like(self.background)  # background + objects, float32
        self._objects_u8 = np.empty((size, size, 3), dtype=np.uint8)  # ... rounded to uint8
        self._drawn: list | None = None  # [[x, y], ...] the object centres the cache shows

    def _draw_place_marks(self) -> None:
        """Faint edge lines so the table's boundary reads as a wall even in small images."""
        edge = max(1, self.size // 64)
        shade = np.asarray(scene.TABLE_RGB, dtype=np.float32) * 0.6
        for sl in (np.s_[:edge, :], np.s_[-edge:, :], np.s_[:, :edge], np.s_[:, -edge:]):
            self.background[sl] = shade

    def _place(self, layer: tuple, x: float, y: float) -> tuple[int, int, int, int, int]:
        """(top, left, n, qy, qx): the patch's image box (unclipped) and the sub-pixel phase at (x, y)."""
        k = layer[0]
        col, row = x * self.size, (1.0 - y) * self.size
        c0, r0 = int(math.floor(col)), int(math.floor(row))
        qx = min(PHASES - 1, int((col - c0) * PHASES))
        qy = min(PHASES - 1, int((row - r0) * PHASES))
        return r0 - k, c0 - k, 2 * k, qy, qx

    def _blend(
        self, img: np.ndarray, layer: tuple, x: float, y: float, box: tuple[int, int, int, int] | None = None
    ) -> None:
        """Alpha-blend one precomputed shape layer centred at table point (x, y) into img, in place,
        touching only pixels inside box = (row0, row1, col0, col1) (default: the whole image)."""
        _, inv, pre = layer
        top, left, n, qy, qx = self._place(layer, x, y)
        r_lo, r_hi, c_lo, c_hi = box or (0, self.size, 0, self.size)
        pt, pl = max(0, r_lo - top), max(0, c_lo - left)  # crop the patch to the box
        pb, pr = min(n, r_hi - top), min(n, c_hi - left)
        if pb <= pt or pr <= pl:
            return
        region = img[top + pt : top + pb, left + pl : left + pr]
        region *= inv[qy, qx, pt:pb, pl:pr]
        region += pre[qy, qx, pt:pb, pl:pr]

    def _box(self, layer: tuple, x: float, y: float) -> tuple[int, int, int, int]:
        """The image box (row0, row1, col0, col1) a layer drawn at (x, y) touches, clipped to the image."""
        top, left, n, _, _ = self._place(layer, x, y)
        s = self.size
        return max(0, top), min(s, top + n), max(0, left), min(s, left + n)

    def _redraw(self, positions: list, box: tuple[int, int, int, int] | None = None) -> None:
        """Recompute the cached layers inside box (default: everywhere) for object centres `positions`."""
        r0, r1, c0, c1 = box or (0, self.size, 0, self.size)
        if r1 <= r0 or c1 <= c0:
            return
        layer = self._objects_layer[r0:r1, c0:c1]
        np.copyto(layer, self.background[r0:r1, c0:c1])
        for lay, (x, y) in zip(self.layers[:-1], positions, strict=True):
            self._blend(self._objects_layer, lay, x, y, box)
        np.copyto(self._objects_u8[r0:r1, c0:c1], layer + np.float32(0.5), casting="unsafe")

    def _update(self, positions: np.ndarray) -> None:
        """Bring the cached objects layer up to date with `positions` (N, 2)."""
        pos = positions.tolist()
        old = self._drawn
        if old is None or len(old) != len(pos):
            self._redraw(pos)
        else:
            for i, (a_xy, b_xy) in enumerate(zip(old, pos, strict=True)):
                if a_xy != b_xy:  # object i moved: redraw the union of the boxes it left and entered
                    a = self._box(self.layers[i], *a_xy)
                    b = self._box(self.layers[i], *b_xy)
                    self._redraw(pos, (min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3])))
        self._drawn = pos

    def render(self, positions: np.ndarray, pusher: np.ndarray) -> np.ndarray:
        """positions (N, 2) object centres and pusher (2,) in table units -> uint8 (size, size, 3)."""
        out = np.empty((self.size, self.size, 3), dtype=np.uint8)
        self.render_into(out, positions, pusher)
        return out

    def render_into(self, out: np.ndarray, positions: np.ndarray, pusher: np.ndarray) -> None:
        """Like `render`, writing into `out` (uint8 (size, size, 3)) instead of a new array."""
        self._update(positions)
        np.copyto(out, self._objects_u8)
        layer = self.layers[-1]
        _, inv, pre = layer
        top, left, n, qy, qx = self._place(layer, float(pusher[0]), float(pusher[1]))
        pt, pl = max(0, -top), max(0, -left)  # crop the patch at the image border
        pb, pr = min(n, self.size - top), min(n, self.size - left)
        if pb <= pt or pr <= pl:
            return
        rows, cols = slice(top + pt, top + pb), slice(left + pl, left + pr)
        patch = self._objects_layer[rows, cols] * inv[qy, qx, pt:pb, pl:pr]  # float32 (h, w, 3)
        patch += pre[qy, qx, pt:pb, pl:pr]
        patch += np.float32(0.5)
        np.copyto(out[rows, cols], patch, casting="unsafe")  # truncation after +0.5 rounds to nearest
