"""What the policy does in one evaluation episode, step by step, beside what the expert would do there.

    python experiments/trace_episode.py --policy RUN --family push_direction --seeds 1200003 1200025 [--every 4]

For each seed, rolls the policy out closed loop in the same scene `simplevla eval` uses for that seed (train
wording) and prints, every `--every` steps: the effector position, how far the task object has moved along
and across its push direction (push_direction; the success test needs >= 0.15 along and <= 0.08 across),
the policy's action and the action the scripted expert would take in that state. The header gives the
instruction, the start positions and the start angle: degrees between the effector and the side the object
must be pushed from (180: the effector starts straight in front of it). Prints plain text.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

import simplevla
from simplevla.envs.batch import to_batch
from simplevla.envs.tabletop.env import TabletopEnv
from simplevla.envs.tabletop.expert import Expert
from simplevla.envs.tabletop.tasks import MAX_STEPS

sys.path.insert(0, str(Path(__file__).resolve().parent))
from success_by_start import start_angle  # noqa: E402


def _r(v: np.ndarray, digits: int) -> list[float]:
    """A vector as a short list of rounded Python floats, for printing."""
    return [round(float(x), digits) for x in v]


def trace(policy: torch.nn.Module, family: str, seed: int, every: int) -> list[str]:
    env = TabletopEnv(families=(family,))
    obs, _ = env.reset(seed=seed)
    expert = Expert(env)
    expert.reset()
    spec = env.task_spec
    i = spec["objects"][0]["index"]
    start = env.object_positions[i].copy()  # (2,)
    goal = expert.push_goal()
    u = None
    if goal is not None:
        u = (goal[1] - start) / max(float(np.hypot(*(goal[1] - start))), 1e-9)  # (2,) unit push direction
    angle = start_angle(env) if goal is not None else float("nan")
    lines = [
        f"seed {seed}: {env.task!r}; object {_r(start, 2)}, effector "
        f"{_r(env._pusher_pos, 2)}, start angle {angle:.0f} deg, {len(env.objects)} objects"
    ]
    policy.reset()
    info: dict = {"is_success": False}
    for t in range(MAX_STEPS[family]):
        expert_action = expert.act()
        batch = to_batch({k: obs[k][None] for k in ("pixels", "agent_pos")}, [env.task])
        action = policy.select_action(batch).numpy()[0]  # (2,)
        obs, _, terminated, truncated, info = env.step(action)
        if t % every == 0 or info["is_success"]:
            moved = env.object_positions[i] - start  # (2,)
            along = (
                f" along {moved @ u:+.2f} across {abs(moved[0] * u[1] - moved[1] * u[0]):.2f}"
                if u is not None
                else ""
            )
            lines.append(
                f"  t{t:02d} effector {_r(env._pusher_pos, 2)}{along} "
                f"policy {_r(action, 1)} expert {_r(expert_action, 1)}"
            )
        if info["is_success"] or terminated or truncated:
            break
    lines.append("  success" if info["is_success"] else f"  failed after {t + 1} steps")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--policy", required=True)
    ap.add_argument("--family", default="push_direction")
    ap.add_argument("--seeds", type=int, nargs="+", required=True)
    ap.add_argument("--every", type=int, default=4, help="print every K-th step")
    args = ap.parse_args()
    torch.set_num_threads(2)
    policy = simplevla.load_policy(args.policy).eval()
    for seed in args.seeds:
        print("\n".join(trace(policy, args.family, seed, max(1, args.every))), flush=True)


if __name__ == "__main__":
    main()
