"""Scenes: object counts, distinct identities, no overlap, inside the walls; rendering anti-aliased."""

from __future__ import annotations

import itertools

import numpy as np

from simplevla.envs.tabletop import scene
from simplevla.envs.tabletop.env import TabletopEnv
from simplevla.envs.tabletop.render import _inside, shape_masks


def _overlap(shape_a: str, a: np.ndarray, shape_b: str, b: np.ndarray) -> bool:
    """Do two shapes share a point? Checked on a 0.002-unit grid around the first one."""
    g = np.arange(-0.1, 0.1, 0.002)
    x, y = np.meshgrid(a[0] + g, a[1] + g)
    return bool((_inside(shape_a, x - a[0], y - a[1]) & _inside(shape_b, x - b[0], y - b[1])).any())


def test_scenes_valid_over_many_seeds():
    env = TabletopEnv()
    counts = set()
    for seed in range(150):
        env.reset(seed=seed)
        pos, objs = env.object_positions, env.objects
        counts.add(len(objs))
        assert scene.MIN_OBJECTS <= len(objs) <= scene.MAX_OBJECTS
        assert len({(o.colour, o.shape) for o in objs}) == len(objs)
        assert np.all(pos >= 0.15) and np.all(pos <= 0.85)
        for i, j in itertools.combinations(range(len(objs)), 2):
            gap = (
                np.hypot(*(pos[i] - pos[j]))
                - scene.bounding_radius(objs[i].shape)
                - scene.bounding_radius(objs[j].shape)
            )
            assert not _overlap(objs[i].shape, pos[i], objs[j].shape, pos[j])
            if not ({i, j} == {0, 1} and env.task_spec["family"] == "separate"):
                assert gap >= scene.MIN_GAP  # only the separate family's pair starts nearly touching
    assert counts == set(range(4, 9))


def test_colours_distinct_and_shapes_anti_aliased():
    rgb = np.array(list(scene.COLOURS.values()), dtype=float)
    for a, b in itertools.combinations(range(len(rgb)), 2):
        assert np.linalg.norm(rgb[a] - rgb[b]) > 90
    for shape in scene.SHAPES:
        _, alpha = shape_masks(shape, 64)
        fractional = (alpha > 0.02) & (alpha < 0.98)
        assert fractional.any() and (alpha == 1.0).any()
        # coverage integrates to the shape's area (in pixels) for every sub-pixel phase
        area = {"circle": np.pi * scene.CIRCLE_R**2, "square": (2 * scene.SQUARE_H) ** 2}.get(shape)
        if area is not None:
            np.testing.assert_allclose(alpha.sum(axis=(2, 3)), area * 64 * 64, rtol=0.03)


def test_rendered_object_has_its_colour_at_its_centre():
    env = TabletopEnv(size=64)
    obs, _ = env.reset(seed=4)
    for obj, (x, y) in zip(env.objects, env.object_positions, strict=True):
        px = obs["pixels"][int((1 - y) * 64), int(x * 64)].astype(int)
        assert np.abs(px - np.array(scene.COLOURS[obj.colour])).max() <= 2
