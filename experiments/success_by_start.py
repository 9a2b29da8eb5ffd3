"""Does success depend on where the effector starts? Pushing-family success by start angle.

    python experiments/success_by_start.py runs/quickstart/default/eval/train/eval_info.json [more.json ...]

For every pushing episode of the given `eval_info.json` files, re-creates its scene from the seed and
reports success by (a) the angle, around the pushed object, between the effector's start and the side the
object must be pushed from (0 deg: the effector already stands behind it; 180 deg: it starts between the
object and the target, so the expert would walk around the object first), and (b) the number of objects on
the table. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
from collections import defaultdict

import numpy as np

from simplevla.envs.tabletop.env import TabletopEnv
from simplevla.envs.tabletop.expert import Expert


def start_angle(env: TabletopEnv) -> float:
    """Degrees between (effector - object) and (object - target) for the freshly reset env's push."""
    expert = Expert(env)
    expert.reset()
    i, target = expert.push_goal()
    obj = env.object_positions[i]
    a, b = env.pusher_position - obj, obj - target
    cos = float(a @ b) / (np.linalg.norm(a) * np.linalg.norm(b))
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("eval_info", nargs="+", help="eval_info.json files written by simplevla eval")
    args = ap.parse_args()
    by_angle: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    by_objects: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    envs: dict[str, TabletopEnv] = {}
    for path in args.eval_info:
        with open(path) as f:
            episodes = json.load(f)["per_episode"]
        for ep in episodes:
            family = ep["family"]
            if family == "reach":
                continue
            env = envs.setdefault(family, TabletopEnv(families=(family,)))
            env.reset(seed=ep["seed"])
            lo = int(start_angle(env) // 45) * 45
            for table, key in ((by_angle, lo), (by_objects, len(env.objects))):
                table[key][0] += bool(ep["success"])
                table[key][1] += 1

    def rows(table: dict, name=str) -> dict:
        return {
            name(k): {"n": n, "pc_success": round(100.0 * s / n, 1)} for k, (s, n) in sorted(table.items())
        }

    angles = rows(by_angle, lambda lo: f"{lo}-{lo + 45}")
    print(json.dumps({"by_start_angle_deg": angles, "by_object_count": rows(by_objects)}))


if __name__ == "__main__":
    main()
