"""How well does a Meta-World policy read where the object and the goal are? Its task_xy reading against the
scripted expert's, along the expert's own rollouts.

    python experiments/metaworld_reading.py --policy runs/levers/plan --tasks push pick-place peg-insert-side

For each task, 10 evaluation seeds (from 1,000,000, as `simplevla eval`), the first 60 steps of each: the
policy's reading (`predict_with_reading`, needs a policy trained with `--policy.aux-weight` > 0) beside
`MetaWorldExpert.task_xy()` (the state's object and goal x, y in metres). Prints the mean absolute error
per coordinate, one JSON line per task.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from simplevla.envs.metaworld.render import select_gl

select_gl()  # before MuJoCo is imported

from simplevla.envs.batch import to_batch  # noqa: E402
from simplevla.envs.metaworld.env import MetaWorldEnv  # noqa: E402
from simplevla.envs.metaworld.expert import MetaWorldExpert  # noqa: E402
from simplevla.models import load_policy  # noqa: E402


def reading_errors(policy, task: str, seeds: range, steps: int) -> np.ndarray:
    """(N, 4) absolute errors of the policy's reading over the expert's rollouts of `task`."""
    env = MetaWorldEnv(tasks=(task,), size=policy.config.image_size)
    errors = []
    try:
        for seed in seeds:
            obs, info = env.reset(seed=seed)
            expert = MetaWorldExpert(env)
            expert.reset()
            for _ in range(steps):
                _, reading = policy.predict_with_reading(to_batch(obs, info["task"]))  # (1, 4) metres
                errors.append(np.abs(reading[0].numpy() - expert.task_xy()))
                obs, _, terminated, truncated, info = env.step(expert.act())
                if terminated or truncated:
                    break
    finally:
        env.close()
    return np.array(errors)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--policy", required=True)
    ap.add_argument("--tasks", nargs="+", default=["push", "pick-place", "peg-insert-side"])
    ap.add_argument("--episodes", type=int, default=10)
    ap.add_argument("--steps", type=int, default=60)
    args = ap.parse_args()
    policy = load_policy(args.policy)
    policy.eval()
    for task in args.tasks:
        err = reading_errors(policy, task, range(1_000_000, 1_000_000 + args.episodes), args.steps)
        mean = err.mean(0).astype(np.float64).round(4).tolist()  # (4,)
        names = ("object_x", "object_y", "goal_x", "goal_y")
        print(json.dumps({"task": task, "frames": len(err), **dict(zip(names, mean, strict=True))}))


if __name__ == "__main__":
    main()
