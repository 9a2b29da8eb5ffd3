"""Does the policy pick a side when it must walk around the object? Its first moves against the expert's.

    python experiments/first_moves.py --policy runs/quickstart/default [--scenes 300]

For pushing scenes (train wording, seeds 9,000,000+) whose effector starts on the far side of the pushed
object (135-180 degrees from the side it must be pushed from; `success_by_start.py` shows these fail most),
compares the first move with the straight line to the object: the expert's first action, and the sum of
the policy's first `n_action_steps` actions (one executed chunk). The expert steps around the object to
one side; a policy that averages the two ways around heads straight at it. Reports the mean lateral angle
(degrees, signed positive toward the expert's side) and how often the policy turns to the expert's side,
by start distance. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
import torch

import simplevla
from simplevla.envs.batch import to_batch
from simplevla.envs.tabletop.env import TabletopEnv
from simplevla.envs.tabletop.expert import Expert

sys.path.insert(0, str(Path(__file__).resolve().parent))
from success_by_start import start_angle  # noqa: E402

FAMILIES = ("push_to_place", "push_direction", "push_next_to")


def lateral(direct: np.ndarray, move: np.ndarray) -> float:
    """Signed angle (degrees) of `move` from `direct`, counter-clockwise positive."""
    cross = direct[0] * move[1] - direct[1] * move[0]
    return math.degrees(math.atan2(cross, float(direct @ move)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--policy", required=True)
    ap.add_argument("--scenes", type=int, default=300, help="seeds tried per family")
    args = ap.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)  # a sampling head (flow) draws the same chunks on every rerun
    policy = simplevla.load_policy(args.policy).eval()
    n_exec = policy.config.n_action_steps
    rows = []  # (distance, expert angle, policy angle)
    for family in FAMILIES:
        env = TabletopEnv(families=(family,))
        for s in range(args.scenes):
            obs, _ = env.reset(seed=9_000_000 + s)
            if start_angle(env) < 135:
                continue
            expert = Expert(env)
            expert.reset()
            i, _ = expert.push_goal()
            first = expert.act()
            direct = env.object_positions[i] - env.pusher_position
            chunk = policy.predict_action_chunk(to_batch(obs, env.task))[0].numpy()  # (C, 2)
            rows.append((np.hypot(*direct), lateral(direct, first), lateral(direct, chunk[:n_exec].sum(0))))
    r = np.array(rows)
    out = {}
    for lo, hi in ((0.0, 0.2), (0.2, 0.35), (0.35, 2.0)):
        m = (r[:, 0] >= lo) & (r[:, 0] < hi)
        side = np.sign(r[m, 1])
        out[f"distance {lo}-{hi}"] = {
            "n": int(m.sum()),
            "expert_abs_angle": round(float(np.abs(r[m, 1]).mean()), 1),
            "policy_abs_angle": round(float(np.abs(r[m, 2]).mean()), 1),
            "policy_angle_toward_expert_side": round(float((side * r[m, 2]).mean()), 1),
            "policy_same_side": round(float((np.sign(r[m, 2]) == side).mean()), 2),
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
