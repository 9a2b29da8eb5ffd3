"""Training throughput (samples/s) and parameter counts of the `simple` and `default` presets.

    python benchmarks/bench_train.py [--threads 2] [--steps 30] [--batch-size 64] [--dataset DIR]
                                     [--conv-bf16] [--repeats 4] [--vision-channels 32 32 64]

Times the training step with `simplevla.bench.speed.train_speed` (sampler.get_batch, forward, backward, AdamW;
no gradient clipping) on 64x64 data: a recorded dataset with --dataset, else random in-memory frames (same
shapes and cost), and reports its counted FLOPs as a share of this machine's fp32 matmul peak.
Prints one JSON object. The load average is printed too: on a shared machine it explains slow numbers.
`--conv-bf16` also times `default` with its convolutions in bf16 (`simplevla train --conv-bf16 on`);
`--repeats N` runs every measurement N times, interleaved, and reports the median (the machine's speed
drifts by tens of percent over minutes, so only interleaved runs compare).
`--vision-channels W1 W2 ...` also times `default` with those CNN widths (`--policy.vision-channels`), in
fp32 and, with `--conv-bf16`, in bf16, interleaved with the rest.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path

import numpy as np
import torch

from simplevla import keys
from simplevla.bench.speed import matmul_peak_gflops, train_speed
from simplevla.data import TrainingCache, build_cache
from simplevla.models import PolicyConfig
from simplevla.train.precision import native_cpu_bf16


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
        task_xy=rng.random((n, 4), dtype=np.float32),  # the `default` preset's auxiliary target
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--dataset", type=Path, default=None)
    ap.add_argument("--presets", nargs="+", default=["simple", "default"])
    ap.add_argument("--conv-bf16", action="store_true", help="also time default with bf16 convolutions")
    ap.add_argument("--repeats", type=int, default=1, help="interleaved runs of each measurement (median)")
    ap.add_argument(
        "--vision-channels", type=int, nargs="+", default=None, help="also time default with these CNN widths"
    )
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
        # without AVX512-BF16 or AMX, `default_conv_bf16` times emulated bf16 (slower than fp32; `simplevla
        # train --conv-bf16 auto` then stays in fp32)
        "native_cpu_bf16": native_cpu_bf16(),
    }
    peak = matmul_peak_gflops()
    result["matmul_peak_gflops"] = round(peak, 1)
    variants: dict[str, str | PolicyConfig] = {preset: preset for preset in args.presets}
    if args.vision_channels:
        widths = "-".join(map(str, args.vision_channels))
        variants[f"default_{widths}"] = PolicyConfig(
            preset="default", vision_channels=tuple(args.vision_channels)
        )
    runs: dict[str, list[dict]] = {}
    for _ in range(args.repeats):
        for name, preset in variants.items():
            runs.setdefault(name, []).append(
                train_speed(preset, cache, args.steps, peak, "cpu", args.batch_size)
            )
            if args.conv_bf16 and name.startswith("default"):
                runs.setdefault(f"{name}_conv_bf16", []).append(
                    train_speed(preset, cache, args.steps, peak, "cpu", args.batch_size, conv_bf16=True)
                )
    for name, rows in runs.items():
        sps = [r["samples_per_s"] for r in rows]
        median = float(np.median(sps))
        result[name] = {**rows[0], "samples_per_s": median, "samples_per_s_runs": sps}
        gflops = rows[0]["gflops_per_step"] * median / args.batch_size  # at the median speed
        result[name]["flops_utilization"] = round(gflops / peak, 4)  # of the fp32 matmul peak
    result["load_avg_after"] = os.getloadavg()[0]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
