"""Inference latency at batch 1 on one thread: the policy's network in PyTorch and in onnxruntime.

    python benchmarks/bench_inference.py --policy runs/quickstart/default [--repeats 500] [--onnx OUT.onnx]

Times `predict_action_chunk` on one env observation (an instruction seen before, so its embedding is
cached, as in a rollout) and, with the `onnx` extra, the exported graph on the same inputs plus the same
cached instruction embedding. `select_action` runs the network once every n_action_steps calls, so the
per-step cost is this divided by n_action_steps. Prints one JSON object: p50_ms, p99_ms, onnx_p50_ms, onnx_p99_ms (`simplevla.bench.latency`).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import simplevla
from simplevla.bench import latency
from simplevla.envs import TabletopEnv, to_batch


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--policy", required=True)
    ap.add_argument("--repeats", type=int, default=500)
    ap.add_argument(
        "--onnx", type=Path, default=None, help="where to export the graph (default: a temp file)"
    )
    args = ap.parse_args()
    policy = simplevla.load_policy(args.policy)
    env = TabletopEnv(size=policy.config.image_size)
    obs, info = env.reset(seed=1_000_000)
    result = {"policy": args.policy, "n_action_steps": policy.config.n_action_steps}
    result.update(latency(policy, to_batch(obs, info["task"]), args.repeats, args.onnx))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
