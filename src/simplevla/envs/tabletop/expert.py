"""The scripted expert: a state machine over privileged state (object and effector positions, never pixels).

Every pushing family reduces to "push object i so that its centre reaches point T":
  APPROACH  go to the pre-push point P behind the object on the line through T, orbiting around the object
            when it is in the way;
  ALIGN     settle onto P (slow, straight);
  PUSH      drive along the object-to-target direction d (recomputed every step), slowing near T so the
            quasi-static object stops on it; back to APPROACH if the effector slips off the back side;
  DONE      the env reports success: stand still.
`reach` is APPROACH straight to the object's outline, then DONE.
"""

from __future__ import annotations

import enum
import math

import numpy as np

from simplevla.envs.tabletop import scene, tasks
from simplevla.envs.tabletop.env import MAX_SPEED, TabletopEnv

APPROACH_MARGIN = 0.03  # pre-push point: this far behind contact
KEEP_OUT = 0.035  # orbit this far outside the object's bounding circle plus the effector
ALIGN_RADIUS = 0.05  # switch APPROACH -> ALIGN this close to P
PUSH_START = 0.012  # switch ALIGN -> PUSH this close to P
SLIP_ANGLE = math.radians(50.0)  # leave PUSH when the effector is this far off the object's back side
NEXT_TO_AIM = 0.16  # push_next_to: aim the centres this far apart (success at tasks.NEXT_TO_DIST)
SEPARATE_AIM = 0.36  # separate: aim the centres this far apart (success at tasks.SEPARATE_DIST)
SEPARATE_ANGLE = math.radians(55.0)  # separate: push off the line of centres by this angle
# Head-on tie-break: an effector on the far side of the object from its goal, within this distance of the
# line through them, orbits counter-clockwise. 0 leaves every choice to the short way round.
HEAD_ON_WIDTH = 0.0


class Phase(enum.Enum):
    APPROACH = "approach"
    ALIGN = "align"
    PUSH = "push"
    DONE = "done"


def _norm(v: np.ndarray) -> float:
    """Length of a 2-vector (np.hypot, as everywhere in the expert)."""
    return float(np.hypot(v[0], v[1]))


def _row_norms(x: np.ndarray) -> np.ndarray:
    """(N, 2) -> (N,) row lengths: np.linalg.norm(x, axis=1)'s own formula, minus its checks."""
    return np.sqrt(np.add.reduce(x * x, axis=1))


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.hypot(v[0], v[1]))
    return v / n if n > 1e-9 else np.array([1.0, 0.0])


def _rotate(v: np.ndarray, angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return np.array([c * v[0] - s * v[1], s * v[0] + c * v[1]])


def _clip_f32(a: np.ndarray) -> np.ndarray:
    """A 2-vector clipped to [-1, 1] as float32 (2,); np.clip's result, without its call overhead."""
    x, y = float(a[0]), float(a[1])
    return np.array([min(max(x, -1.0), 1.0), min(max(y, -1.0), 1.0)], dtype=np.float32)


def _toward(src: np.ndarray, dst: np.ndarray, speed: float = 1.0) -> np.ndarray:
    """Action moving from src toward dst, reaching it this step if it is close, at most `speed`."""
    a = (dst - src) / MAX_SPEED
    n = float(np.hypot(a[0], a[1]))
    return a * (speed / n) if n > speed else a


class Expert:
    """Scripted oracle for TabletopEnv. `act()` is the clean action; `perturb(a)` adds Gaussian noise."""

    def __init__(self, env: TabletopEnv, noise: float = 0.0, seed: int | None = None) -> None:
        if noise < 0.0:
            raise ValueError(f"noise must be >= 0, got {noise}")
        self.env = env
        self.noise = float(noise)
        self.rng = np.random.default_rng(seed)
        self.phase = Phase.APPROACH
        self._separate_choice: tuple[int, int, float] | None = None
        self._keep_for: list | None = None  # the env.objects list that self._keep was computed for
        self._keep = np.zeros(0)

    @property
    def _env(self) -> TabletopEnv:
        return self.env.unwrapped  # type: ignore[return-value]

    def reset(self) -> None:
        """Call after every env.reset(): clears the phase and plans the separate family's push."""
        self.phase = Phase.APPROACH
        self._separate_choice = None
        env = self._env
        if env.task_spec["family"] == "separate":
            self._plan_separate(env.object_positions)

    def perturb(self, action: np.ndarray) -> np.ndarray:
        """action + N(0, noise^2) per component, clipped to [-1, 1] (float32 (2,))."""
        if not self.noise:
            return _clip_f32(np.asarray(action))
        return _clip_f32(np.asarray(action, dtype=np.float64) + self.rng.normal(0.0, self.noise, size=2))

    def act(self) -> np.ndarray:
        """The clean expert action, float32 (2,) in [-1, 1]."""
        env = self._env
        spec = env.task_spec
        pos, eff = env._pos, env._pusher_pos  # read-only here: the env replaces, never edits, them
        if env._success():
            self.phase = Phase.DONE
            return np.zeros(2, dtype=np.float32)
        self.phase = Phase.APPROACH if self.phase == Phase.DONE else self.phase
        i = spec["objects"][0]["index"]
        if spec["family"] == "reach":
            u = _unit(eff - pos[i])
            goal = pos[i] + u * (scene.support(env.objects[i].shape, u) + scene.PUSHER_R + 0.005)
            action = _toward(eff, goal)
        else:
            i, target = self._push_goal(spec, pos)
            action = self._push(eff, i, target)
        return _clip_f32(action)

    def push_goal(self) -> tuple[int, np.ndarray] | None:
        """(index of the object to push, target point for its centre) now; None for `reach`."""
        spec = self._env.task_spec
        return None if spec["family"] == "reach" else self._push_goal(spec, self._env._pos)

    def task_xy(self) -> np.ndarray:
        """float32 (6,), the columns `keys.TASK_XY_NAMES`: centre of the object the expert moves (for
        `separate`, the one it pushes), the point that centre should reach, and the centre of the object the
        instruction names beside it (`push_next_to`: the one to end next to; `separate`: the other one of
        the pair; other families: the moved object again). `reach`: the object's centre three times.
        `push_direction`: the goal is the task's distance ahead of where the object is *now*, since where
        it started (and so how far it has gone) cannot be seen in the current frame; at the first frame
        that is the expert's goal."""
        spec = self._env.task_spec
        pos = self._env._pos
        goal = self.push_goal()
        i = spec["objects"][0]["index"] if goal is None else goal[0]
        obj = pos[i]
        target = obj if goal is None else goal[1]
        if spec["family"] == "push_direction":
            target = (
                obj + np.asarray(tasks.DIRECTIONS[spec["target"]["direction"]]) * spec["target"]["distance"]
            )
        named = [o["index"] for o in spec["objects"] if o["index"] != i]  # the pair's other object, if any
        ref = pos[named[0]] if named else obj
        return np.array([obj[0], obj[1], target[0], target[1], ref[0], ref[1]], np.float32)

    # ----- planning -----------------------------------------------------------------------------
    def _push_goal(self, spec: dict, pos: np.ndarray) -> tuple[int, np.ndarray]:
        """(object index, target point for its centre) for a pushing family."""
        family, target = spec["family"], spec["target"]
        i = spec["objects"][0]["index"]
        if family == "push_to_place":
            return i, np.asarray(target["xy"], dtype=np.float64)
        if family == "push_direction":
            u = np.asarray(tasks.DIRECTIONS[target["direction"]])
            return i, np.asarray(target["start"]) + u * target["distance"]
        if family == "push_next_to":
            j = spec["objects"][1]["index"]
            return i, pos[j] + _unit(pos[i] - pos[j]) * NEXT_TO_AIM
        return self._plan_separate(pos)

    def _plan_separate(self, pos: np.ndarray) -> tuple[int, np.ndarray]:
        """Push one of the pair off their line of centres; the (mover, side) that ends nearest the table
        centre is chosen once at reset, and the target is recomputed from the current positions."""
        spec = self._env.task_spec
        a, b = spec["objects"][0]["index"], spec["objects"][1]["index"]
        if self._separate_choice is None:
            options = [(m, o, sgn) for m, o in ((a, b), (b, a)) for sgn in (1.0, -1.0)]
            ends = [self._separate_end(pos, *opt) for opt in options]
            self._separate_choice = options[int(np.argmin([np.hypot(*(e - 0.5)) for e in ends]))]
        mover, other, sign = self._separate_choice
        return mover, self._separate_end(pos, mover, other, sign)

    @staticmethod
    def _separate_end(pos: np.ndarray, mover: int, other: int, sign: float) -> np.ndarray:
        """Where `mover` ends when pushed at SEPARATE_ANGLE off the line of centres until SEPARATE_AIM apart."""
        rel = pos[mover] - pos[other]
        d = _rotate(_unit(rel), sign * SEPARATE_ANGLE)
        bq = float(rel @ d)  # solve |rel + s d| = SEPARATE_AIM for s >= 0
        s = -bq + math.sqrt(max(bq * bq - float(rel @ rel) + SEPARATE_AIM**2, 0.0))
        return pos[mover] + d * s

    # ----- control ------------------------------------------------------------------------------
    def _go(self, eff: np.ndarray, goal: np.ndarray, main: int) -> np.ndarray:
        """Move toward goal, orbiting around the first object whose keep-out circle blocks the path.

        Object `main` (the one about to be pushed) is always avoided; another object is avoided unless the
        goal itself lies inside its keep-out circle (then going around it cannot help).
        """
        env = self._env
        pos = env._pos  # (N, 2), read-only
        if self._keep_for is not env.objects:  # the scene changed: recompute the keep-out radii
            radii = np.array([scene.bounding_radius(o.shape) for o in env.objects])
            self._keep, self._keep_for = radii + scene.PUSHER_R + KEEP_OUT, env.objects
        keep = self._keep  # (N,)
        seg = goal - eff
        t = (pos - eff) @ seg / max(float(seg @ seg), 1e-12)  # (N,) closest point on path ...
        t = np.minimum(np.maximum(t, 0.0), 1.0)  # ... clipped to the segment (np.clip's values)
        dist = _row_norms(eff + t[:, None] * seg - pos)  # (N,)
        candidates = dist < keep - 0.01
        candidates &= _row_norms(goal - pos) >= keep  # skip objects the goal sits inside ...
        candidates[main] = dist[main] < keep[main] - 0.01  # ... except the object about to be pushed
        blocking = None
        if candidates.any():
            k = int(np.flatnonzero(candidates)[np.argmin(t[candidates])])
            blocking = (float(t[k]), pos[k], float(keep[k]))
        if blocking is None:
            return _toward(eff, goal)
        _, centre, keep = blocking
        # Step around the blocking object's circle toward the goal's side, at most 50 degrees at a time.
        ang_e = math.atan2(eff[1] - centre[1], eff[0] - centre[0])
        ang_g = math.atan2(goal[1] - centre[1], goal[0] - centre[0])
        delta = (ang_g - ang_e + math.pi) % (2 * math.pi) - math.pi
        if (
            HEAD_ON_WIDTH > 0
            and abs(delta) > math.pi / 2
            and _norm(eff - centre) * abs(math.sin(delta)) < HEAD_ON_WIDTH
        ):
            delta = delta % (2 * math.pi)  # counter-clockwise
        step = math.copysign(min(abs(delta), math.radians(50.0)), delta if abs(delta) > 1e-6 else 1.0)
        waypoint = centre + keep * np.array([math.cos(ang_e + step), math.sin(ang_e + step)])
        waypoint = np.minimum(np.maximum(waypoint, scene.PUSHER_R + 0.005), 1.0 - scene.PUSHER_R - 0.005)
        return _toward(eff, waypoint)

    def _push(self, eff: np.ndarray, i: int, target: np.ndarray) -> np.ndarray:
        """One step of APPROACH / ALIGN / PUSH for moving object i's centre to `target`."""
        obj, shape = self._env._pos[i], self._env.objects[i].shape
        to_go = target - obj
        dist = _norm(to_go)
        d = _unit(to_go)
        contact = scene.support(shape, -d) + scene.PUSHER_R  # effector centre offset at contact
        pre = obj - d * (contact + APPROACH_MARGIN)
        pre = np.minimum(np.maximum(pre, scene.PUSHER_R + 0.002), 1.0 - scene.PUSHER_R - 0.002)
        if self.phase == Phase.PUSH:
            back = _unit(obj - eff)
            off_angle = math.acos(max(-1.0, min(1.0, float(back @ d))))
            too_far = _norm(obj - eff) > scene.bounding_radius(shape) + scene.PUSHER_R + 0.05
            if off_angle > SLIP_ANGLE or too_far:
                self.phase = Phase.APPROACH
        if self.phase == Phase.APPROACH and _norm(pre - eff) < ALIGN_RADIUS:
            self.phase = Phase.ALIGN
        if self.phase == Phase.ALIGN:
            if _norm(pre - eff) < PUSH_START:
                self.phase = Phase.PUSH
            elif _norm(pre - eff) > ALIGN_RADIUS * 1.5:
                self.phase = Phase.APPROACH
            else:
                return _toward(eff, pre)
        if self.phase == Phase.APPROACH:
            return self._go(eff, pre, i)
        # PUSH: close the gap to contact, then move the object by min(remaining, max speed) along d.
        gap = max(_norm(obj - eff) - contact, 0.0)
        lateral = (obj - d * contact) - eff
        lateral -= d * float(lateral @ d)  # the sideways part of the error to the ideal contact point
        move = d * (gap + min(dist, MAX_SPEED)) + (0.5 * lateral if gap > 0.005 else 0.0)
        return _toward(eff, eff + move)
