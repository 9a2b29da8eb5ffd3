"""Where a Meta-World policy leaves the scripted expert: its actions beside the expert's, step by step.

    python experiments/metaworld_trace.py --policy runs/mt50/seed0_24k --tasks handle-pull-side reach --episodes 5
    python experiments/metaworld_trace.py --policy RUN --tasks reach --episodes 1 --print-steps 40

Per task, on the evaluation seeds of `simplevla eval --tasks TASK` (from 1,000,000, train wording):
- open loop: the expert drives; at each of the first 150 steps the policy's first action of its chunk is
  compared with the expert's (mean absolute error per action dimension: dx, dy, dz, gripper);
- closed loop: the policy drives (as `simplevla eval`, `n_action_steps` of each chunk); the expert shadows it
  and the first step where they differ by more than 0.5 in x, y or z is reported, with the success.
One JSON line per task; `--print-steps N` also prints the first N closed-loop steps of each episode (hand,
object and goal positions from Meta-World's state, the policy's and the expert's action).
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import torch

from simplevla.envs.metaworld.render import select_gl

select_gl()  # before MuJoCo is imported

from simplevla.envs import EVAL_SEED_START  # noqa: E402
from simplevla.envs.batch import to_batch  # noqa: E402
from simplevla.envs.metaworld.env import MetaWorldEnv  # noqa: E402
from simplevla.envs.metaworld.expert import MetaWorldExpert  # noqa: E402
from simplevla.models import load_policy  # noqa: E402

OPEN_LOOP_STEPS = 150
DIVERGED = 0.5  # |policy - expert| in x, y or z above this counts as leaving the expert


def open_loop_error(policy, env: MetaWorldEnv, seed: int) -> np.ndarray:
    """(T, 4) |policy - expert| along the expert's own rollout."""
    obs, info = env.reset(seed=seed)
    expert = MetaWorldExpert(env)
    expert.reset()
    errors = []
    for _ in range(OPEN_LOOP_STEPS):
        with torch.no_grad():
            chunk = policy.predict_action_chunk(to_batch(obs, info["task"]))  # (1, chunk, 4)
        action = expert.act()  # (4,)
        errors.append(np.abs(np.clip(chunk[0, 0].numpy(), -1, 1) - action))
        obs, _, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            break
    return np.array(errors)


def closed_loop(policy, env: MetaWorldEnv, seed: int, print_steps: int) -> tuple[bool, int]:
    """(success, first step where the policy left the expert by > DIVERGED, or -1)."""
    obs, info = env.reset(seed=seed)
    expert = MetaWorldExpert(env)
    expert.reset()
    policy.reset()
    first, success = -1, False
    for t in range(env.max_steps):
        with torch.no_grad():
            action = policy.select_action(to_batch(obs, info["task"]))[0].numpy()  # (4,)
        shadow = expert.act()  # (4,)
        if first < 0 and np.abs(np.clip(action, -1, 1) - shadow)[:3].max() > DIVERGED:
            first = t
        if t < print_steps:
            s = env.state_obs
            print(
                f"  t{t:03d} hand {np.round(s[:4], 2)} object {np.round(s[4:7], 2)} goal "
                f"{np.round(s[36:39], 2)} policy {np.round(action, 2)} expert {np.round(shadow, 2)}"
            )
        obs, _, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            success = bool(terminated)
            break
    return success, first


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--policy", required=True)
    ap.add_argument("--tasks", nargs="+", required=True)
    ap.add_argument("--episodes", type=int, default=5)
    ap.add_argument("--print-steps", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(2)
    policy = load_policy(args.policy).eval()
    for task in args.tasks:
        env = MetaWorldEnv(tasks=(task,), size=policy.config.image_size)
        errors, successes, firsts = [], 0, []
        try:
            for seed in range(EVAL_SEED_START, EVAL_SEED_START + args.episodes):
                errors.append(open_loop_error(policy, env, seed))
                if args.print_steps:
                    print(f"{task} seed {seed}: {env.task!r}")
                success, first = closed_loop(policy, env, seed, args.print_steps)
                successes += success
                firsts.append(first)
        finally:
            env.close()
        print(
            json.dumps(
                {
                    "task": task,
                    "success": f"{successes}/{args.episodes}",
                    "open_loop_error": np.concatenate(errors).mean(0).round(3).tolist(),
                    "first_step_off_expert": firsts,
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
