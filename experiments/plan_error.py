"""How well does a policy read the task object and its goal off the image and the words? Its task_xy error.

    python experiments/plan_error.py --policy runs/quickstart/default [--episodes 40] [--split train]

For a policy trained with the auxiliary task_xy target (`--policy.aux-weight`, and so every `plan_input`
policy), rolls the policy out closed loop (seeds 8,000,000+) and, at every step, compares its reading of
task_xy with the truth the expert computes from the simulator state: the task object's centre and the
point that centre must reach. Reports per family the mean distance (table units; the table is 1 x 1 and
an object ~0.1 across) for the object, for the goal and (a policy that reads it) for the reference object
the instruction names, and the share of steps with the object read more
than 0.05 off; for the pushing families also the angle between the push direction it reads (goal - object)
and the true one, and the share of steps where that is more than 30 degrees off. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import torch

import simplevla
from simplevla.envs.batch import to_batch
from simplevla.envs.tabletop.env import TabletopEnv
from simplevla.envs.tabletop.expert import Expert
from simplevla.envs.tabletop.tasks import FAMILIES


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--policy", required=True)
    ap.add_argument("--episodes", type=int, default=40, help="per family")
    ap.add_argument("--split", default="train", choices=["train", "heldout"])
    args = ap.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    policy = simplevla.load_policy(args.policy).eval()
    if policy.aux is None:  # read_task_xy would return None
        raise SystemExit(f"{args.policy}: this policy has no task_xy reader (trained with aux_weight 0)")
    out: dict[str, dict] = {}
    for family in FAMILIES:
        env = TabletopEnv(families=(family,), split=args.split, size=policy.config.image_size)
        obj_err, goal_err, ref_err, turn = [], [], [], []
        for s in range(args.episodes):
            obs, _ = env.reset(seed=8_000_000 + s)
            expert = Expert(env)
            expert.reset()
            policy.reset()
            done = False
            while not done:
                batch = to_batch(obs, env.task)
                xy = policy.read_task_xy(batch)[0].numpy()  # (4,) or (6,) table units
                truth = expert.task_xy()[: xy.shape[0]]  # the same columns
                err = np.abs(xy - truth)  # (4,) or (6,)
                if family != "reach":  # the push direction read vs the true one, degrees
                    a, b = xy[2:4] - xy[:2], truth[2:4] - truth[:2]
                    turn.append(abs(np.degrees(np.arctan2(a[0] * b[1] - a[1] * b[0], a @ b))))
                obj_err.append(float(np.hypot(*err[:2])))
                goal_err.append(float(np.hypot(*err[2:4])))
                if xy.shape[0] == 6:
                    ref_err.append(float(np.hypot(*err[4:6])))
                obs, _, term, trunc, _ = env.step(policy.select_action(batch)[0].numpy())
                done = term or trunc
        out[family] = {
            "steps": len(obj_err),
            "object_error": round(float(np.mean(obj_err)), 4),
            "goal_error": round(float(np.mean(goal_err)), 4),
            "reference_error": round(float(np.mean(ref_err)), 4) if ref_err else None,
            "object_off_by_0.05": round(float(np.mean(np.array(obj_err) > 0.05)), 3),
            "direction_error_deg": round(float(np.mean(turn)), 1) if turn else None,
            "direction_off_by_30deg": round(float(np.mean(np.array(turn) > 30)), 3) if turn else None,
        }
    print(json.dumps({"policy": args.policy, "split": args.split, "per_family": out}, indent=1))


if __name__ == "__main__":
    main()
