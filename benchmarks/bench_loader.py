"""Loader throughput: WindowSampler.get_batch samples/s on one core (64x64 images, batch 64). Prints JSON.

    python benchmarks/bench_loader.py [--dataset DIR] [--episodes 200] [--steps 300] [--workers 0]

Without --dataset it writes a synthetic 64x64 dataset (random-ish frames, 30-frame episodes) to a temp
dir, builds the training cache (`--workers` processes, 0: one per core, as `simplevla train`; 1: the
one-process build), and times batches drawn with batch_indices (random order over the split).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from simplevla.atomic import atomic_dir
from simplevla.data import DatasetWriter, WindowSampler, build_cache, make_episode
from simplevla.data.format import dataset_features


def synthetic(root: Path, episodes: int, length: int = 30, size: int = 64) -> None:
    rng = np.random.default_rng(0)
    with atomic_dir(root) as tmp:
        w = DatasetWriter(tmp, dataset_features(size))
        for e in range(episodes):
            img = np.full((length, size, size, 3), 200, np.uint8)
            for t in range(length):
                x, y = rng.integers(0, size - 8, 2)
                img[t, y : y + 8, x : x + 8] = rng.integers(0, 256, 3)
            w.add_episode(
                make_episode(
                    f"task {e % 7}",
                    {
                        "observation.image": img,
                        "observation.state": rng.random((length, 2), np.float32),
                        "action": rng.uniform(-1, 1, (length, 2)).astype(np.float32),
                        "next.reward": np.zeros(length, np.float32),
                        "next.done": np.arange(length) == length - 1,
                        "next.success": np.arange(length) == length - 1,
                    },
                )
            )
        w.finalize()


def _bytes(root: Path, skip: str | None = None) -> int:
    """Bytes of the files under `root` (leaving out any path part named `skip`)."""
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and skip not in p.parts)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--dataset", type=Path, default=None)
    p.add_argument("--episodes", type=int, default=200)
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--chunk-size", type=int, default=8)
    p.add_argument("--workers", type=int, default=0, help="cache-building processes (0: one per core)")
    args = p.parse_args()
    torch.set_num_threads(1)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    with tempfile.TemporaryDirectory() as d:
        root = args.dataset or Path(d) / "ds"
        t0 = time.perf_counter()
        if args.dataset is None:
            synthetic(root, args.episodes)
        t1 = time.perf_counter()
        cache = build_cache(root, cache_dir=Path(d) / "cache", workers=args.workers)
        t2 = time.perf_counter()
        results = {
            "frames": len(cache),
            "episodes": len(cache.episode_ends),
            "write_s": round(t1 - t0, 2),
            "cache_build_s": round(t2 - t1, 2),
            "cache_workers": args.workers or os.cpu_count(),
            "cache_frames_per_s": round(len(cache) / (t2 - t1)),
            "cache_mb": round(_bytes(cache.path) / 2**20, 1),
            "dataset_mb": round(_bytes(root, skip=".cache") / 2**20, 1),
            "batch_size": args.batch_size,
            "threads": torch.get_num_threads(),
        }
        for chunk, n_obs in ((1, 1), (args.chunk_size, 1), (args.chunk_size, 2)):
            s = WindowSampler(cache, chunk_size=chunk, n_obs_steps=n_obs, split="train")
            for k in range(5):
                s.get_batch(s.batch_indices(k, args.batch_size))
            t = time.perf_counter()
            for k in range(args.steps):
                s.get_batch(s.batch_indices(k, args.batch_size))
            dt = time.perf_counter() - t
            results[f"samples_per_s_chunk{chunk}_obs{n_obs}"] = round(args.steps * args.batch_size / dt)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
