"""Inference latency at batch 1 on one thread: the policy's network in PyTorch and in onnxruntime.

    python benchmarks/bench_inference.py --policy runs/quickstart/default [--repeats 500] [--onnx OUT.onnx]

Times `predict_action_chunk` on one env observation (an instruction seen before, so its embedding is
cached, as in a rollout) and, with the `onnx` extra, the exported graph on the same inputs plus the same
cached instruction embedding. `select_action` runs the network once every n_action_steps calls, so the
per-step cost is this divided by n_action_steps. Prints one JSON object with p50 and p99 in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import torch

import simplevla
from simplevla import keys
from simplevla.bench import percentiles
from simplevla.envs import TabletopEnv, to_batch
from simplevla.errors import SimplevlaError


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--policy", required=True)
    ap.add_argument("--repeats", type=int, default=500)
    ap.add_argument(
        "--onnx", type=Path, default=None, help="where to export the graph (default: a temp file)"
    )
    args = ap.parse_args()
    torch.set_num_threads(1)
    policy = simplevla.load_policy(args.policy)
    env = TabletopEnv(size=policy.config.image_size)
    obs, info = env.reset(seed=1_000_000)
    batch = to_batch(obs, info["task"])
    result = {"policy": args.policy, "n_action_steps": policy.config.n_action_steps}
    with torch.inference_mode():
        result["torch"] = percentiles(lambda: policy.predict_action_chunk(batch), args.repeats)
    from simplevla.export import OnnxPolicy, export_onnx

    path = args.onnx or Path(tempfile.mkdtemp()) / "policy.onnx"
    try:
        onnx_policy = OnnxPolicy(policy, export_onnx(policy, path), threads=1)
    except SimplevlaError as e:  # the extra is missing, or the head cannot be exported
        result["onnx"] = str(e)
    else:
        with torch.inference_mode():
            text = policy.text(batch[keys.TASK]).numpy()  # (1, Dt), cached as in a rollout
        image, state = batch[keys.IMAGE].numpy(), batch[keys.STATE].numpy()
        result["onnx"] = percentiles(lambda: onnx_policy.run(image, state, text), args.repeats)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
