"""Is the expert learnable at all? An MLP on privileged low-dim state imitates it, closed loop.

    python experiments/privileged_mlp.py [--episodes 8000] [--steps 6000] [--eval 100]

No pixels and no words: the input is the effector position, the task object's centre and its goal
(`Expert.task_xy`, what `aux.task_xy` stores) and the family as a one-hot, 11 numbers; other objects are
not seen. Records `--episodes` expert episodes with DART noise 0.2 (seeds 0+, failures dropped), trains a
3x512 GELU MLP with L1 on chunks of 8 clean expert actions (AdamW 1e-3, cosine, batch 256), then rolls it
out executing 4 of every 8 (the `default` policy's chunking) on `--eval` episodes per family from seed
1,000,000 (the evaluation seeds). If this scores far above the pixel policy, the gap is in reading the
scene and the words, not in the expert. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from simplevla.envs.tabletop.env import TabletopEnv
from simplevla.envs.tabletop.expert import Expert
from simplevla.envs.tabletop.tasks import FAMILIES

CHUNK, EXECUTE = 8, 4


def features(env: TabletopEnv, expert: Expert) -> np.ndarray:
    """float32 (11,): effector (2), task object and goal (4), family one-hot (5)."""
    f = np.zeros(6 + len(FAMILIES), np.float32)
    f[:2] = env.pusher_position
    f[2:6] = expert.task_xy()
    f[6 + FAMILIES.index(env.task_spec["family"])] = 1.0
    return f


def record(episodes: int, noise: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """(N, 11) features and (N, CHUNK * 2) clean action chunks, zero-padded past each episode's end."""
    env = TabletopEnv(render_mode=None)
    expert = Expert(env, noise=noise, seed=0)
    xs, ys = [], []
    for seed in range(episodes):
        env.reset(seed=seed)
        expert.reset()
        feats, acts, info = [], [], {}
        for _ in range(env.max_steps):
            feats.append(features(env, expert))
            acts.append(expert.act())
            _, _, term, trunc, info = env.step(expert.perturb(acts[-1]))
            if term or trunc:
                break
        if not info.get("is_success"):
            continue
        padded = np.concatenate([np.array(acts), np.zeros((CHUNK, 2), np.float32)])  # (T + CHUNK, 2)
        xs += feats
        ys += [padded[t : t + CHUNK].reshape(-1) for t in range(len(acts))]
    return np.array(xs), np.array(ys)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--episodes", type=int, default=8000)
    ap.add_argument("--steps", type=int, default=6000)
    ap.add_argument("--eval", type=int, default=100, help="episodes per family")
    args = ap.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    t0 = time.perf_counter()
    x, y = (torch.from_numpy(a) for a in record(args.episodes))
    record_s = time.perf_counter() - t0
    net = torch.nn.Sequential(
        torch.nn.Linear(x.shape[1], 512),
        torch.nn.GELU(),
        torch.nn.Linear(512, 512),
        torch.nn.GELU(),
        torch.nn.Linear(512, 512),
        torch.nn.GELU(),
        torch.nn.Linear(512, CHUNK * 2),
    )
    opt = torch.optim.AdamW(net.parameters(), 1e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.steps)
    t0 = time.perf_counter()
    for _ in range(args.steps):
        idx = torch.randint(len(x), (256,))
        loss = (net(x[idx]) - y[idx]).abs().mean()  # L1 over the chunk
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    train_s = time.perf_counter() - t0
    net.eval()
    success = {}
    for family in FAMILIES:
        env = TabletopEnv(families=(family,), render_mode=None)
        expert = Expert(env)  # only its task_xy() is used: the privileged reading of the scene
        wins = 0
        for s in range(args.eval):
            env.reset(seed=1_000_000 + s)
            expert.reset()
            queue: list[np.ndarray] = []
            while True:
                if not queue:
                    with torch.no_grad():
                        chunk = net(torch.from_numpy(features(env, expert))[None])[0].view(CHUNK, 2)
                    queue = list(chunk.numpy()[:EXECUTE])
                _, _, term, trunc, info = env.step(np.clip(queue.pop(0), -1.0, 1.0))
                if term or trunc:
                    break
            wins += bool(info["is_success"])
        success[family] = round(100.0 * wins / args.eval, 1)
    out = {
        "frames": len(x),
        "record_s": round(record_s, 1),
        "train_s": round(train_s, 1),
        "final_l1": round(loss.item(), 4),
        "pc_success": round(float(np.mean(list(success.values()))), 1),
        "per_family": success,
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
