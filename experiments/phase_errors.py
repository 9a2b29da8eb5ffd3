"""Where does a policy disagree with the scripted expert? Its action error by the expert's phase.

    python experiments/phase_errors.py --policy runs/quickstart/default [--episodes 40] [--threads 2]

Rolls the expert (with its recording noise) through fresh evaluation seeds and, at every step, asks the
policy for its first action on the same observation. Groups steps by the expert's phase (APPROACH split
into straight and orbiting around an object, ALIGN, PUSH) and prints, per group, the mean absolute action
error, the share of the total error, the mean cosine between policy and expert actions and both action
lengths. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict

import numpy as np
import torch

import simplevla
from simplevla.envs import EVAL_SEED_START
from simplevla.envs.batch import to_batch
from simplevla.envs.tabletop import expert as expert_module
from simplevla.envs.tabletop.env import TabletopEnv
from simplevla.envs.tabletop.expert import Expert

PUSH_FAMILIES = ("push_to_place", "push_direction", "push_next_to", "separate")


class TracingExpert(Expert):
    """The stock expert, also recording whether its last APPROACH step orbited around an object."""

    orbiting = False

    def _go(self, eff: np.ndarray, goal: np.ndarray, main: int) -> np.ndarray:
        action = super()._go(eff, goal, main)
        self.orbiting = not np.allclose(action, expert_module._toward(eff, goal))
        return action


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--policy", required=True)
    ap.add_argument("--episodes", type=int, default=40, help="per pushing family")
    ap.add_argument("--noise", type=float, default=0.2, help="the expert's executed-action noise")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    policy = simplevla.load_policy(args.policy).eval()
    groups: dict[str, list[tuple[float, float, float, float]]] = defaultdict(list)
    for j, family in enumerate(PUSH_FAMILIES):
        env = TabletopEnv(families=[family])
        for k in range(args.episodes):
            seed = EVAL_SEED_START + 500_000 + j * 10_000 + k
            obs, info = env.reset(seed=seed)
            expert = TracingExpert(env, noise=args.noise, seed=seed)
            expert.reset()
            done = False
            while not done:
                expert.orbiting = False
                label = expert.act()  # (2,)
                group = expert.phase.value + ("/orbit" if expert.orbiting else "")
                pred = policy.predict_action_chunk(to_batch(obs, info["task"]))[0, 0].numpy()  # (2,)
                n_pred, n_label = float(np.hypot(*pred)), float(np.hypot(*label))
                cos = float(pred @ label) / max(n_pred * n_label, 1e-9)
                groups[group].append((float(np.abs(pred - label).mean()), cos, n_pred, n_label))
                obs, _, terminated, truncated, info = env.step(expert.perturb(label))
                done = terminated or truncated
    total = sum(e for rows in groups.values() for e, *_ in rows)
    out = {"policy": args.policy, "episodes_per_family": args.episodes, "groups": {}}
    for group, rows in sorted(groups.items()):
        a = np.asarray(rows)  # (n, 4)
        out["groups"][group] = {
            "steps": len(rows),
            "mean_abs_error": round(float(a[:, 0].mean()), 3),
            "share_of_error": round(float(a[:, 0].sum() / total), 3),
            "mean_cos": round(float(a[:, 1].mean()), 3),
            "frac_cos_below_0.5": round(float((a[:, 1] < 0.5).mean()), 3),
            "policy_action_len": round(float(a[:, 2].mean()), 3),
            "expert_action_len": round(float(a[:, 3].mean()), 3),
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
