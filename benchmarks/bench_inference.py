"""Inference latency at batch 1 on one thread: the policy's network in PyTorch and in onnxruntime.

    python benchmarks/bench_inference.py --policy runs/quickstart/default [--repeats 500] [--onnx OUT.onnx]

Times `predict_action_chunk` on one env observation (an instruction seen before, so its embedding is
cached, as in a rollout) and, with the `onnx` extra, the exported graph on the same inputs plus the same
cached instruction embedding. `select_action` runs the network once every n_action_steps calls, so the
per-step cost is this divided by n_action_steps. Prints one JSON object: p50_ms, p99_ms, onnx_p50_ms, onnx_p99_ms (`simplevla.bench.speed.latency`).

`--options` adds what other ways of running the same network in PyTorch give (p50 ms, one thread): the
instruction re-encoded on every call (no cache), the network alone given the instruction embedding (and
its torch.profiler summary: aten ops per call, share of time in convolutions), channels_last weights,
TorchScript trace + freeze, and with `--compile` `torch.compile` (slow to compile).
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import torch

import simplevla
from simplevla import keys
from simplevla.bench.speed import latency, percentiles
from simplevla.envs.batch import to_batch
from simplevla.envs.tabletop.env import TabletopEnv
from simplevla.export import PolicyGraph


def profile(fn, calls: int = 50) -> dict:
    """torch.profiler over `calls` calls: aten ops per call, and the share of self CPU time in convolutions."""
    from torch.profiler import profile as torch_profile

    with torch_profile() as prof:
        for _ in range(calls):
            fn()
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    conv = sum(e.self_cpu_time_total for e in events if "conv" in e.key)
    return {
        "network_aten_ops_per_call": round(
            sum(e.count for e in events if e.key.startswith("aten::")) / calls
        ),
        "network_conv_share": round(conv / max(total, 1), 3),
    }


def options(policy, batch: dict, repeats: int, compile_too: bool) -> dict:
    """p50 ms of the alternatives listed in the module docstring, on one thread."""
    torch.set_num_threads(1)
    out = {}
    image, state = batch[keys.IMAGE], batch[keys.STATE]
    with torch.inference_mode():
        text = policy.encode_text(batch[keys.TASK])  # (1, Dt)

        def uncached():
            policy.chunks_from_features(image, policy.text(batch[keys.TASK]), state)

        out["text_encoded_every_call_p50_ms"] = percentiles(uncached, repeats)["p50_ms"]
        net = lambda: policy.chunks_from_features(image, text, state)  # noqa: E731
        out["network_only_p50_ms"] = percentiles(net, repeats)["p50_ms"]
        out.update(profile(net))
        policy.to(memory_format=torch.channels_last)
        out["channels_last_p50_ms"] = percentiles(net, repeats)["p50_ms"]
        policy.to(memory_format=torch.contiguous_format)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(PolicyGraph(policy).eval(), (image, state, text), check_trace=False)
        frozen = torch.jit.optimize_for_inference(torch.jit.freeze(traced))
        out["torchscript_frozen_p50_ms"] = percentiles(lambda: frozen(image, state, text), repeats)["p50_ms"]
        if compile_too:
            t0 = time.perf_counter()
            compiled = torch.compile(policy.chunks_from_features)
            compiled(image, text, state)
            out["torch_compile_s"] = round(time.perf_counter() - t0, 1)
            out["torch_compile_p50_ms"] = percentiles(lambda: compiled(image, text, state), repeats)["p50_ms"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--policy", required=True)
    ap.add_argument("--repeats", type=int, default=500)
    ap.add_argument(
        "--onnx", type=Path, default=None, help="where to export the graph (default: a temp file)"
    )
    ap.add_argument("--options", action="store_true", help="also time the alternatives (docstring)")
    ap.add_argument("--compile", action="store_true", help="with --options: torch.compile too")
    args = ap.parse_args()
    policy = simplevla.load_policy(args.policy)
    env = TabletopEnv(size=policy.config.image_size)
    obs, info = env.reset(seed=1_000_000)
    result = {"policy": args.policy, "n_action_steps": policy.config.n_action_steps}
    batch = to_batch(obs, info["task"])
    result.update(latency(policy, batch, args.repeats, args.onnx))
    if args.options:
        result.update(options(policy, batch, args.repeats, args.compile))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
