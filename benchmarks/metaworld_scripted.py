"""Meta-World's scripted policies on simplevla/MetaWorld-v0: success and episode length per MT10 task.

.venv/bin/python benchmarks/metaworld_scripted.py [--episodes 50] [--noise 0.0] [--max-steps N]

Seeds 0..episodes-1 per task, each task's own step limit (`simplevla.envs.metaworld.tasks.MAX_STEPS`) unless --max-steps.
Prints one JSON object per task and one for the average. Needs the `metaworld` extra.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from simplevla.envs.metaworld.render import select_gl

select_gl()


def main() -> None:
    from simplevla.envs.metaworld import tasks as mt10
    from simplevla.envs.metaworld.env import MetaWorldEnv
    from simplevla.envs.metaworld.expert import MetaWorldExpert

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=50)
    parser.add_argument("--noise", type=float, default=0.0)
    parser.add_argument("--max-steps", type=int, default=None)
    args = parser.parse_args()
    rates = []
    for task in mt10.MT10:
        env = MetaWorldEnv(tasks=(task,), max_steps=args.max_steps)
        ok, lengths, t0 = 0, [], time.perf_counter()
        for seed in range(args.episodes):
            env.reset(seed=seed)
            expert = MetaWorldExpert(env, noise=args.noise, seed=seed)
            expert.reset()
            while True:
                _, _, term, trunc, info = env.step(expert.perturb(expert.act()))
                if term or trunc:
                    break
            ok += info["is_success"]
            lengths += [env.steps] if info["is_success"] else []
        env.close()
        rates.append(100.0 * ok / args.episodes)
        row = {"task": task, "pc_success": rates[-1], "n": args.episodes, "noise": args.noise}
        row.update(
            mean_len=round(float(np.mean(lengths)), 1) if lengths else None,
            max_len=max(lengths, default=None),
        )
        row.update(step_limit=env.max_steps, wall_s=round(time.perf_counter() - t0, 1))
        print(json.dumps(row), flush=True)
    print(json.dumps({"task": "MT10 average", "pc_success": round(float(np.mean(rates)), 2)}))


if __name__ == "__main__":
    main()
