"""Hard starts for recording: put the effector against the object on the side that faces its target.

From a random start the expert always walks around the object before touching it, so demonstrations never
show the effector in contact on the wrong side; a policy then learns "in contact: push straight on", and
when its approach cuts the corner it pushes the object the wrong way into a wall (docs/results.md).
Starting some recorded episodes in that very state shows the expert backing off and going around.
"""

from __future__ import annotations

import math

import numpy as np

from simplevla.envs.tabletop import scene

FRONT_MAX_ANGLE = math.radians(60.0)  # contact point within this angle of the object-to-target direction
FRONT_GAP = (0.003, 0.03)  # gap to the object's extent along the placement direction (outline: >= that)


def place_in_front(env, expert, rng: np.random.Generator) -> bool:
    """Move the effector of a freshly reset env next to the pushed object, between it and its target.

    Returns False (and changes nothing) for `reach`, or when that spot is off the table or blocked."""
    goal = expert.push_goal()
    if goal is None:
        return False
    i, target = goal
    env = env.unwrapped
    pos = env.object_positions  # (N, 2)
    to_target = target - pos[i]
    angle = math.atan2(to_target[1], to_target[0]) + rng.uniform(-FRONT_MAX_ANGLE, FRONT_MAX_ANGLE)
    u = np.array([math.cos(angle), math.sin(angle)])
    shape = env.objects[i].shape
    p = pos[i] + u * (scene.support(shape, u) + scene.PUSHER_R + rng.uniform(*FRONT_GAP))  # (2,)
    lo, hi = scene.PUSHER_R + 0.005, 1.0 - scene.PUSHER_R - 0.005
    if not (lo <= p[0] <= hi and lo <= p[1] <= hi):
        return False
    radii = np.array([scene.bounding_radius(o.shape) for o in env.objects])  # (N,)
    clear = np.hypot(*(pos - p).T) - radii - scene.PUSHER_R  # (N,) gap to each bounding circle
    clear[i] = np.inf  # the pushed object is touched on purpose
    if clear.min() < 0.005:
        return False
    state = env.get_state()
    state["pusher_pos"] = p.tolist()
    env.set_state(state)
    return True
