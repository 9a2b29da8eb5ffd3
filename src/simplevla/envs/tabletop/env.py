"""TabletopEnv: a top-down table with 4-8 pushable objects and a round effector, as a Gymnasium env.

Physics is 2-D pymunk. Objects are quasi-static: they cannot rotate, have no momentum between env steps
(velocities are zeroed after every step, and space damping removes them between substeps), so an object
moves only while something pushes it. The effector is a kinematic disc; the action is its velocity as a
fraction of MAX_SPEED table units per step. The table's edges are walls.
"""

from __future__ import annotations

import copy
import math

import gymnasium as gym
import numpy as np
import pymunk
from gymnasium import spaces
from pymunk._chipmunk import lib as _cp  # direct Chipmunk calls in the hot loop (pymunk's setters cost ~5 us)

from simplevla.envs.common import check_action, check_options, check_selection, instruction_override
from simplevla.envs.tabletop import language, scene, tasks, wording
from simplevla.envs.tabletop.render import Renderer

MAX_SPEED = 0.04  # table units per env step at |action| = 1
SUBSTEPS = 5
STEP_DT = 0.1  # seconds per env step (fps = 10)
_OBJ_FRICTION, _WALL_FRICTION = 1.0, 0.0
# Instruction wordings: the core training grammar, the held-out one, and the rich training grammar
# (the core plus `wording`'s extensions; what `record` uses by default).
SPLITS = ("train", "heldout", "train_rich")


def _fresh(value: object) -> object:
    """A copy of a JSON-like value (dicts, lists, scalars); faster than copy.deepcopy."""
    if isinstance(value, dict):
        return {k: _fresh(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fresh(v) for v in value]
    return value


class TabletopEnv(gym.Env):
    """Language-conditioned pushing. obs = {"pixels": uint8 (H, W, 3), "agent_pos": float32 (2,)}."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}

    def __init__(
        self,
        families: tuple[str, ...] | list[str] | None = None,
        split: str = "train",
        size: int = 64,
        max_steps: int | None = None,
        render_mode: str | None = "rgb_array",
    ) -> None:
        families = check_selection(families, tasks.FAMILIES, "families")
        check_options(split, SPLITS, size, max_steps, render_mode)
        self.families, self.split, self.size = families, split, int(size)
        self.max_steps_override = max_steps
        self.render_mode = render_mode
        self.observation_space = spaces.Dict(
            {
                "pixels": spaces.Box(0, 255, (self.size, self.size, 3), dtype=np.uint8),
                "agent_pos": spaces.Box(0.0, 1.0, (2,), dtype=np.float32),
            }
        )
        self.action_space = spaces.Box(-1.0, 1.0, (2,), dtype=np.float32)
        self.task = self.sampled_task = ""
        self.next_instruction: str | None = None  # replaces the sampled wording at the next reset only
        self.task_spec: dict = {}
        self.objects: list[scene.SceneObject] = []
        self.max_steps = 0
        self.steps = 0
        self._frame: np.ndarray | None = None
        self._succ: bool | None = None
        self._space: pymunk.Space | None = None

    # ----- scene construction -------------------------------------------------------------------
    def _teardown(self) -> None:
        """Empty the current pymunk space before dropping it. pymunk frees a space, its bodies and its shapes
        in whatever order the garbage collector reaches them (shapes sit in reference cycles); freeing a
        space that still lists shapes freed earlier is a use-after-free that can abort the process."""
        space, self._space = self._space, None
        if space is not None:
            space.remove(*space.shapes, *space.bodies)  # the walls (on the static body) too
        self._cp_space, self._cp_bodies, self._cp_pusher = None, [], None
        self._bodies, self._shapes = [], []

    def close(self) -> None:
        self._teardown()
        super().close()

    def _sample(self, rng: np.random.Generator) -> tuple[list[scene.SceneObject], np.ndarray, dict]:
        family = self.families[int(rng.integers(len(self.families)))]
        for _ in range(1000):
            n = int(rng.integers(scene.MIN_OBJECTS, scene.MAX_OBJECTS + 1))
            objects = scene.sample_objects(rng, n)
            pos = scene.place_objects(rng, objects, close_pair=family == "separate")
            spec = None if pos is None else tasks.sample_task(rng, family, objects, pos)
            if spec is not None:
                return objects, pos, spec
        raise RuntimeError(f"could not sample a {family} scene in 1000 tries")

    def _build(self, objects: list[scene.SceneObject], pos: np.ndarray, pusher: np.ndarray) -> None:
        """A fresh pymunk space holding the walls, the objects at `pos` (N, 2) and the effector."""
        self._teardown()
        space = pymunk.Space()
        space.damping = 0.0  # no momentum: velocities vanish before each substep's contacts are solved
        space.collision_slop = 1e-4
        space.iterations = 20
        for a, b in (((0, 0), (1, 0)), ((1, 0), (1, 1)), ((1, 1), (0, 1)), ((0, 1), (0, 0))):
            wall = pymunk.Segment(space.static_body, a, b, 0.0)
            wall.friction = _WALL_FRICTION
            space.add(wall)
        for obj, p in zip(objects, pos, strict=True):
            body = pymunk.Body(1.0, math.inf)  # infinite moment: objects never rotate
            body.position = (float(p[0]), float(p[1]))
            if obj.shape == "circle":
                shape = pymunk.Circle(body, scene.CIRCLE_R)
            else:
                verts = scene.square_vertices() if obj.shape == "square" else scene.triangle_vertices()
                shape = pymunk.Poly(body, [tuple(v) for v in verts.tolist()])
            shape.friction = _OBJ_FRICTION
            space.add(body, shape)
            self._bodies.append(body)
            self._shapes.append(shape)
        self._pusher = pymunk.Body(body_type=pymunk.Body.KINEMATIC)
        self._pusher.position = (float(pusher[0]), float(pusher[1]))
        pusher_shape = pymunk.Circle(self._pusher, scene.PUSHER_R)
        pusher_shape.friction = _OBJ_FRICTION
        space.add(self._pusher, pusher_shape)
        self._space = space
        space.step(1e-9)  # lets pymunk validate the bodies once; later steps call Chipmunk directly
        self._cp_space = space._space
        self._cp_bodies = [b._body for b in self._bodies]
        self._cp_pusher = self._pusher._body
        self.objects = list(objects)
        self._pos = np.array(pos, dtype=np.float64)  # (N, 2)
        self._pusher_pos = np.array(pusher, dtype=np.float64)  # (2,)
        ext = np.array([scene.half_extents(o.shape) for o in objects])  # (N, 4) left, right, bottom, top
        self._lo = ext[:, [0, 2]]  # (N, 2) smallest legal centre
        self._hi = 1.0 - ext[:, [1, 3]]  # (N, 2) largest legal centre
        self._frame = None
        self._succ: bool | None = None
        self._renderer = Renderer(self.size, [o.shape for o in objects], [o.colour for o in objects])

    # ----- Gymnasium API ------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[dict, dict]:
        super().reset(seed=seed)
        rng = self.np_random
        objects, pos, spec = self._sample(rng)
        pusher = scene.place_pusher(rng, objects, pos)
        if self.split == "train_rich":
            self.task = wording.sample_rich(rng, spec, objects)[0]
        else:
            self.task = language.make_instruction(rng, spec, objects, self.split)
        self.sampled_task = self.task  # the wording the env drew, before any override
        override = instruction_override(options, self.next_instruction)
        self.next_instruction = None
        if override is not None:
            self.task = override
        self.task_spec = spec
        self.max_steps = self.max_steps_override or tasks.MAX_STEPS[spec["family"]]
        self.steps = 0
        self._build(objects, pos, pusher)
        return self._observe(), self._info(self._success())

    def step(self, action: np.ndarray) -> tuple[dict, float, bool, bool, dict]:
        success, truncated = self._advance(*self._check_action(action))
        return self._observe(), float(success), success, truncated, self._info(success)

    def _advance(self, ax: float, ay: float) -> tuple[bool, bool]:
        """Move the effector by a clipped action (ax, ay) for one env step: (success, truncated).

        The step's work minus observation and info, shared by `step` and the recorder's fast path.
        """
        lo, hi = scene.PUSHER_R, 1.0 - scene.PUSHER_R
        p = self._pusher_pos
        target = (min(max(p[0] + ax * MAX_SPEED, lo), hi), min(max(p[1] + ay * MAX_SPEED, lo), hi))
        _cp.cpBodySetVelocity(self._cp_pusher, ((target[0] - p[0]) / STEP_DT, (target[1] - p[1]) / STEP_DT))
        dt, space = STEP_DT / SUBSTEPS, self._cp_space
        for _ in range(SUBSTEPS):
            _cp.cpSpaceStep(space, dt)
        _cp.cpBodySetVelocity(self._cp_pusher, (0.0, 0.0))
        _cp.cpBodySetPosition(self._cp_pusher, target)
        self._pusher_pos = np.array(target)
        self._sync_objects()
        self.steps += 1
        success = self._success()
        return success, self.steps >= self.max_steps and not success

    def render(self) -> np.ndarray | None:
        if self.render_mode is None:
            return None
        if self._frame is None:
            self._frame = self._renderer.render(self._pos, self._pusher_pos)
        return self._frame

    # ----- helpers ------------------------------------------------------------------------------
    @staticmethod
    def _check_action(action: np.ndarray) -> tuple[float, float]:
        """Validate an action (`actions.check_action`); returns it clipped to [-1, 1] as two floats."""
        x, y = check_action(action, 2)
        return min(max(x, -1.0), 1.0), min(max(y, -1.0), 1.0)

    def _sync_objects(self) -> None:
        """Read object centres from pymunk, keep them on the table, and zero their velocities."""
        xy = []
        for b in self._cp_bodies:
            v = _cp.cpBodyGetPosition(b)
            xy += (v.x, v.y)
            _cp.cpBodySetVelocity(b, (0.0, 0.0))
        pos = np.array(xy).reshape(-1, 2)  # (N, 2)
        clipped = np.minimum(np.maximum(pos, self._lo), self._hi)
        if (clipped != pos).any():  # squeezed into a wall by the kinematic effector: put it back
            for i in np.flatnonzero((clipped != pos).any(axis=1)):
                self._bodies[i].position = (float(clipped[i, 0]), float(clipped[i, 1]))
        self._pos = clipped
        self._frame = None
        self._succ = None

    def outline_gap(self, index: int, point: np.ndarray) -> float:
        """Distance from `point` to object `index`'s outline minus the effector radius (< 0: overlap)."""
        return (
            float(self._shapes[index].point_query((float(point[0]), float(point[1]))).distance)
            - scene.PUSHER_R
        )

    def _success(self) -> bool:
        """The task's success test on the current state (memoized until the state next changes)."""
        if self._succ is not None:
            return self._succ
        spec = self.task_spec
        gap = (
            self.outline_gap(spec["objects"][0]["index"], self._pusher_pos)
            if spec["family"] == "reach"
            else 0.0
        )
        self._succ = bool(tasks.is_success(spec, self._pos, gap))
        return self._succ

    def _observe(self) -> dict:
        self._frame = None
        frame = self.render() if self.render_mode else self._renderer.render(self._pos, self._pusher_pos)
        return {"pixels": frame, "agent_pos": self._pusher_pos.astype(np.float32)}

    def _info(self, success: bool) -> dict:
        # a fresh task_spec per call: callers may keep or modify infos (Gymnasium's checker insists)
        return {"task": self.task, "task_spec": _fresh(self.task_spec), "is_success": bool(success)}

    # ----- privileged state ---------------------------------------------------------------------
    @property
    def object_positions(self) -> np.ndarray:
        """(N, 2) object centres in table units (a copy)."""
        return self._pos.copy()

    @property
    def pusher_position(self) -> np.ndarray:
        """(2,) effector centre in table units (a copy)."""
        return self._pusher_pos.copy()

    def get_state(self) -> dict:
        """Everything that determines the future given the actions (a deep copy; JSON-able values)."""
        return {
            "objects": [[o.colour, o.shape] for o in self.objects],
            "object_pos": self._pos.tolist(),
            "object_vel": [list(b.velocity) for b in self._bodies],
            "object_angle": [float(b.angle) for b in self._bodies],
            "pusher_pos": self._pusher_pos.tolist(),
            "steps": self.steps,
            "max_steps": self.max_steps,
            "task": self.task,
            "task_spec": copy.deepcopy(self.task_spec),
        }

    def set_state(self, state: dict) -> None:
        """Restore a `get_state()` snapshot (rebuilds the physics space)."""
        objects = [scene.SceneObject(c, s) for c, s in state["objects"]]
        self._build(
            objects, np.asarray(state["object_pos"], dtype=np.float64), np.asarray(state["pusher_pos"])
        )
        for body, v, ang in zip(self._bodies, state["object_vel"], state["object_angle"], strict=True):
            body.velocity = (float(v[0]), float(v[1]))
            body.angle = float(ang)
        self.steps, self.max_steps = int(state["steps"]), int(state["max_steps"])
        self.task, self.task_spec = str(state["task"]), copy.deepcopy(state["task_spec"])
