"""Training throughput (samples/s) and parameter counts of the `simple` and `default` presets.

    python benchmarks/bench_train.py [--threads 2] [--steps 30] [--batch-size 64] [--dataset DIR]

Times the whole training step the loop runs (sampler.get_batch, forward, backward, grad clip, AdamW) on
64x64 data: a recorded dataset with --dataset, else random in-memory frames (same shapes and cost).
Prints one JSON object. The load average is printed too: on a shared machine it explains slow numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch

from simplevla import keys
from simplevla.data import TrainingCache, WindowSampler, build_cache
from simplevla.models import PolicyConfig, make_policy, num_params


def random_cache(n_episodes: int = 64, length: int = 20, size: int = 64) -> TrainingCache:
    rng = np.random.default_rng(0)
    n = n_episodes * length
    states = rng.random((n, 2), dtype=np.float32)
    actions = rng.uniform(-1, 1, (n, 2)).astype(np.float32)
    stats = {
        k: {
            "min": v.min(0).tolist(),
            "max": v.max(0).tolist(),
            "mean": v.mean(0).tolist(),
            "std": v.std(0).tolist(),
        }
        for k, v in ((keys.STATE, states), (keys.ACTION, actions))
    }
    tasks = [
        "push the red block to the left",
        "reach the blue circle",
        "move the green star next to the cube",
    ]
    return TrainingCache(
        path=Path("."),
        images=rng.integers(0, 256, (n, size, size, 3), dtype=np.uint8),
        states=states,
        actions=actions,
        episode_ends=np.arange(1, n_episodes + 1) * length,
        frame_task=rng.integers(0, len(tasks), n),
        tasks=tasks,
        stats=stats,
        info={},
    )


def bench(preset: str, cache: TrainingCache, steps: int, batch_size: int) -> dict:
    torch.manual_seed(0)
    cfg = PolicyConfig(preset=preset)
    policy = make_policy(cfg, cache.stats, cache.tasks).train()
    sampler = WindowSampler(cache, chunk_size=cfg.chunk_size)
    opt = torch.optim.AdamW(policy.parameters(), lr=1e-3)
    warmup = 3
    for step in range(warmup + steps):
        if step == warmup:
            t0 = time.perf_counter()
        loss, _ = policy(sampler.get_batch(sampler.batch_indices(step, batch_size)))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
        opt.step()
    dt = time.perf_counter() - t0
    return {
        "params": num_params(policy),
        "samples_per_s": round(steps * batch_size / dt, 1),
        "step_ms": round(1000 * dt / steps, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--dataset", type=Path, default=None)
    ap.add_argument("--presets", nargs="+", default=["simple", "default"])
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cache = build_cache(args.dataset) if args.dataset else random_cache()
    result = {
        "threads": args.threads,
        "batch_size": args.batch_size,
        "steps": args.steps,
        "cpu_count": os.cpu_count(),
        "machine": platform.processor() or platform.machine(),
        "torch": torch.__version__,
        "load_avg_before": os.getloadavg()[0],
        "data": str(args.dataset) if args.dataset else "random 64x64",
    }
    for preset in args.presets:
        result[preset] = bench(preset, cache, args.steps, args.batch_size)
    result["load_avg_after"] = os.getloadavg()[0]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
