"""Meta-World's scripted policies on simplevla/MetaWorld-v0: success and episode length per task, and the
average per LeRobot difficulty group: the ceiling of data recorded with them.

.venv/bin/python benchmarks/metaworld_scripted.py [--tasks mt50] [--episodes 10] [--noise 0.0]
    [--max-steps 500] [--workers 2]

Seeds 0..episodes-1 per task; the step limit is --max-steps (default: Meta-World's 500, the MT50 protocol's),
or each task's own (`simplevla.envs.metaworld.tasks.MAX_STEPS`) with --max-steps 0. Prints one JSON object per
task, one per difficulty group and one for the average. Needs the `metaworld` extra.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import time

import numpy as np

from simplevla.envs.metaworld.render import select_gl

select_gl()


def run_task(task: str, episodes: int, noise: float, max_steps: int | None) -> dict:
    """The scripted policy on `episodes` seeds of `task`: success rate, episode lengths, wall time."""
    from simplevla.envs.metaworld.env import MetaWorldEnv
    from simplevla.envs.metaworld.expert import MetaWorldExpert

    env = MetaWorldEnv(tasks=(task,), max_steps=max_steps)
    ok, lengths, t0 = 0, [], time.perf_counter()
    for seed in range(episodes):
        env.reset(seed=seed)
        expert = MetaWorldExpert(env, noise=noise, seed=seed)
        expert.reset()
        while True:
            _, _, term, trunc, info = env.step(expert.perturb(expert.act()))
            if term or trunc:
                break
        ok += info["is_success"]
        lengths += [env.steps] if info["is_success"] else []
    env.close()
    row = {"task": task, "pc_success": 100.0 * ok / episodes, "n": episodes, "noise": noise}
    row.update(
        mean_len=round(float(np.mean(lengths)), 1) if lengths else None,
        max_len=max(lengths, default=None),
    )
    row.update(step_limit=env.max_steps, wall_s=round(time.perf_counter() - t0, 1))
    return row


def main() -> None:
    from simplevla.envs.metaworld import tasks as mt

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=["mt50"], help="tasks or sets (mt10, mt50, easy, ...)")
    parser.add_argument("--episodes", type=int, default=10)
    parser.add_argument("--noise", type=float, default=0.0)
    parser.add_argument("--max-steps", type=int, default=mt.PROTOCOL_MAX_STEPS, help="0: each task's own")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    tasks = mt.check_tasks(args.tasks)
    job = [(t, args.episodes, args.noise, args.max_steps or None) for t in tasks]
    t0, rates = time.perf_counter(), {}
    with mp.get_context("spawn").Pool(args.workers) as pool:
        for row in pool.starmap(run_task, job, chunksize=1):
            rates[row["task"]] = row["pc_success"]
            print(json.dumps(row), flush=True)
    for group, members in mt.DIFFICULTY.items():
        got = [rates[t] for t in members if t in rates]
        if got:
            print(
                json.dumps({"group": group, "tasks": len(got), "pc_success": round(float(np.mean(got)), 2)})
            )
    total = {
        "task": "average",
        "tasks": len(rates),
        "pc_success": round(float(np.mean(list(rates.values()))), 2),
    }
    print(json.dumps({**total, "wall_s": round(time.perf_counter() - t0, 1)}))


if __name__ == "__main__":
    main()
