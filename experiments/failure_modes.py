"""What the policy's failures look like: wrong-way pushes, disturbed objects, and whether they are recoverable.

    python experiments/failure_modes.py --policy runs/quickstart/default [--episodes 40]

Rolls the policy out closed loop on the pushing families (train wording, seeds 8,000,000+, neither recorded
nor used by `simplevla eval`) and, for every failed episode, reports whether the pushed object ended farther
from its goal than it started (pushed the wrong way), whether another object moved more than 0.05, and
whether the scripted expert, taking over from the final state with a fresh step budget, still succeeds (the
state was recoverable: the policy failed by being slow or lost, not by an irreversible mistake). Prints JSON.
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
from simplevla.envs.tabletop.tasks import MAX_STEPS

FAMILIES = ("push_to_place", "push_direction", "push_next_to", "separate")
SEED_START = 8_000_000


def rollout(policy, family: str, episodes: int) -> tuple[list[TabletopEnv], np.ndarray, list[dict]]:
    """Batched closed-loop rollouts; returns the envs at their final state, successes, start records."""
    envs = [TabletopEnv(families=(family,)) for _ in range(episodes)]
    obs, starts = [], []
    for i, env in enumerate(envs):
        obs.append(env.reset(seed=SEED_START + 1000 * i)[0])
        expert = Expert(env)
        expert.reset()
        index, goal = expert.push_goal()
        starts.append({"pos": env.object_positions, "index": index, "goal": goal})
    done, success = np.zeros(episodes, bool), np.zeros(episodes, bool)
    policy.reset()
    for _ in range(MAX_STEPS[family]):
        batch = to_batch(
            {k: np.stack([o[k] for o in obs]) for k in ("pixels", "agent_pos")}, [e.task for e in envs]
        )
        actions = policy.select_action(batch).numpy()  # (N, 2)
        for i, env in enumerate(envs):
            if done[i]:
                continue
            obs[i], _, terminated, truncated, info = env.step(actions[i])
            success[i] = bool(info["is_success"])
            done[i] = terminated or truncated or success[i]
    return envs, success, starts


def expert_recovers(env: TabletopEnv, family: str) -> bool:
    expert = Expert(env)
    expert.reset()
    env.steps = 0  # a fresh step budget from the failed state
    for _ in range(MAX_STEPS[family]):
        _, _, terminated, truncated, info = env.step(expert.act())
        if info["is_success"]:
            return True
        if terminated or truncated:
            return False
    return False


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--policy", required=True)
    ap.add_argument("--episodes", type=int, default=40)
    args = ap.parse_args()
    torch.set_num_threads(2)
    policy = simplevla.load_policy(args.policy).eval()
    out = {}
    for family in FAMILIES:
        envs, success, starts = rollout(policy, family, args.episodes)
        rows = []
        for env, ok, start in zip(envs, success, starts, strict=True):
            if ok:
                continue
            pos, i = env.object_positions, start["index"]
            moved = np.hypot(*(pos - start["pos"]).T)  # (N,)
            task_objects = {o["index"] for o in env.task_spec["objects"]}
            others = [m for j, m in enumerate(moved) if j not in task_objects]
            rows.append(
                {
                    "wrong_way": family != "separate"
                    and np.hypot(*(pos[i] - start["goal"])) > np.hypot(*(start["pos"][i] - start["goal"])),
                    "other_moved": bool(others) and max(others) > 0.05,
                    "expert_recovers": expert_recovers(env, family),
                }
            )
        out[family] = {
            "episodes": args.episodes,
            "pc_success": round(100 * float(success.mean()), 1),
            "failures": len(rows),
            "pushed_wrong_way": sum(r["wrong_way"] for r in rows),
            "other_object_moved": sum(r["other_moved"] for r in rows),
            "expert_recovers": sum(r["expert_recovers"] for r in rows),
        }
        print(family, out[family], flush=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
