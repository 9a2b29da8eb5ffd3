"""`simplevla bench`: this machine's speed at every stage, as a table or JSON (never asserted in tests).

Records a small dataset, then measures: env steps/s (64x64 rendering, one process pinned to one core, and a
vector env of one worker per core), recording episodes/s, loader samples/s, this machine's fp32 matmul peak
(large `torch.mm`), training samples/s per preset with the FLOPs of a step counted by
`torch.utils.flop_counter.FlopCounterMode` divided by that peak, inference p50/p99 at batch 1 on one thread
(and in onnxruntime with the `onnx` extra), and the peak resident memory of a fresh process that caches
and trains on the recorded dataset and on one ten times its size (`memory.rss_mb_1x`, `rss_mb_10x`). On a GPU it trains there too.
"""

from __future__ import annotations

import dataclasses
import multiprocessing as mp
import os
import resource
import tempfile
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch

from simplevla.bench.env import bench_env
from simplevla.collect.commands import RecordCommand
from simplevla.data import WindowSampler, build_cache
from simplevla.envs import ENV_ID
from simplevla.errors import SimplevlaError
from simplevla.eval.report import machine_description
from simplevla.export import OnnxPolicy, export_onnx
from simplevla.models import PolicyConfig, make_policy, num_params
from simplevla.train.device_data import DeviceSampler
from simplevla.train.precision import native_cpu_bf16, set_conv_dtype

SIZES = {  # quick / full
    "env_steps": (2_000, 20_000),
    "vec_steps": (200, 2_000),
    "record_episodes": (200, 2_000),
    "loader_batches": (50, 500),
    "train_steps": (10, 50),
    "inference_repeats": (100, 1_000),
}
PRESETS = ("default", "simple")


def _pinned_env_steps(steps: int, queue) -> None:

    queue.put(bench_env(steps=steps, pin=True)["steps_per_s"])


def env_steps_per_s(steps: int) -> float:
    """Random-action steps/s of one env with rendering, in a child process pinned to one core."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=_pinned_env_steps, args=(steps, queue))
    child.start()
    result = queue.get()
    child.join()
    return result


def vec_env_steps_per_s(steps: int) -> float:
    """Env steps/s (summed over workers) of an AsyncVectorEnv with one worker per core."""

    n = os.cpu_count() or 1
    vec = gym.vector.AsyncVectorEnv([lambda: gym.make(ENV_ID) for _ in range(n)])
    vec.reset(seed=0)
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    for _ in range(steps):
        vec.step(rng.uniform(-1, 1, (n, 2)).astype(np.float32))
    seconds = time.perf_counter() - t0
    vec.close()
    return steps * n / seconds


def matmul_peak_gflops(
    n: int = 2048, repeats: int = 10, device: str = "cpu", dtype: str = "float32"
) -> float:
    """GFLOP/s of `torch.mm` on n x n matrices (on CPU all threads): the yardstick for training."""

    a = torch.randn(n, n, device=device, dtype=getattr(torch, dtype))
    b = torch.randn(n, n, device=device, dtype=getattr(torch, dtype))
    torch.mm(a, b)
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(repeats):
        torch.mm(a, b)
    _sync(device)
    return 2 * n**3 * repeats / (time.perf_counter() - t0) / 1e9


def _sync(device: str) -> None:

    if device == "cuda":
        torch.cuda.synchronize()


def _train_rss(data: str, cache_dir: str, steps: int, queue) -> None:
    """Child process: build the cache of `data`, train `default` a few steps, report peak RSS in MB."""

    torch.set_num_threads(1)
    cache = build_cache(data, cache_dir)
    train_speed("default", cache, steps, 1.0, "cpu")
    queue.put(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def train_rss_mb(data: Path, cache_dir: Path, steps: int) -> float:
    """Peak resident memory (MB) of a fresh process that caches `data` and trains on it."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=_train_rss, args=(str(data), str(cache_dir), steps, queue))
    child.start()
    result = queue.get()
    child.join()
    return round(result, 1)


def loader_samples_per_s(cache, batches: int, batch_size: int = 64) -> float:

    sampler = WindowSampler(cache, chunk_size=8)
    t0 = time.perf_counter()
    for step in range(batches):
        sampler.get_batch(sampler.batch_indices(step, batch_size))
    return batches * batch_size / (time.perf_counter() - t0)


def train_speed(
    preset: str | PolicyConfig,
    cache,
    steps: int,
    peak_gflops: float,
    device: str,
    batch_size: int = 64,
    device_data: bool = False,
    conv_bf16: bool = False,
) -> dict:
    """samples/s of the whole training step of a preset (or a config), and its counted FLOPs as a share of
    the matmul peak. `device_data`: batches built from a device copy of the cache (`train.device_data`);
    `conv_bf16`: the vision convolutions in bf16, as `simplevla train --conv-bf16 on`."""
    from torch.utils.flop_counter import FlopCounterMode

    torch.manual_seed(0)
    cfg = preset if isinstance(preset, PolicyConfig) else PolicyConfig(preset=preset)
    policy = make_policy(cfg, cache.stats, cache.tasks).to(device).train()
    set_conv_dtype(policy, torch.bfloat16 if conv_bf16 else None)
    sampler = WindowSampler(cache, chunk_size=cfg.chunk_size)
    if device_data:
        sampler = DeviceSampler(sampler, torch.device(device))
    opt = torch.optim.AdamW(policy.parameters(), lr=1e-3)

    def step(i: int) -> None:
        loss, _ = policy(sampler.get_batch(sampler.batch_indices(i, batch_size)))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    with FlopCounterMode(display=False) as counter:
        step(0)
    for i in range(1, 3):  # warm up
        step(i)
    _sync(device)
    t0 = time.perf_counter()
    for i in range(3, 3 + steps):
        step(i)
    _sync(device)
    seconds = (time.perf_counter() - t0) / steps
    flops = counter.get_total_flops()
    out = {"params": num_params(policy), "samples_per_s": round(batch_size / seconds, 1)}
    out["gflops_per_step"] = round(flops / 1e9, 3)
    if peak_gflops > 0:
        out["flops_utilization"] = round(flops / seconds / 1e9 / peak_gflops, 4)
    return out


def inference_latency(preset: str, cache, repeats: int) -> dict:
    """p50 / p99 ms of one prediction at batch 1 on one thread (an untrained policy of the preset)."""

    policy = make_policy(PolicyConfig(preset=preset), cache.stats, cache.tasks).eval()
    batch = WindowSampler(cache, chunk_size=policy.config.chunk_size).get_batch(np.array([0]))
    return latency(policy, batch, repeats)


def latency(policy, batch: dict, repeats: int, onnx_path: Path | None = None) -> dict:
    """p50 / p99 ms of `policy.predict_action_chunk(batch)` on one thread (its text encoder included),
    and of the same network exported to ONNX (`onnx_path`, default a temp file) in onnxruntime, given the
    instruction embedding; the onnx keys are None, with a note, without the `onnx` extra."""

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.inference_mode():
            out = percentiles(lambda: policy.predict_action_chunk(batch), repeats)
            text = policy.text(batch["task"]).numpy()  # (B, Dt)
        path = onnx_path or Path(tempfile.mkdtemp()) / "policy.onnx"
        try:
            onnx_policy = OnnxPolicy(policy, export_onnx(policy, path), threads=1)
        except SimplevlaError as e:  # no `onnx` extra, or a head that cannot be exported
            return {**out, "onnx_p50_ms": None, "onnx_p99_ms": None, "onnx_note": str(e)}
        image, state = batch["observation.image"].numpy(), batch["observation.state"].numpy()
        onnx = percentiles(lambda: onnx_policy.run(image, state, text), repeats)
        return {**out, "onnx_p50_ms": onnx["p50_ms"], "onnx_p99_ms": onnx["p99_ms"]}
    finally:
        torch.set_num_threads(threads)


def percentiles(fn, repeats: int) -> dict[str, float]:
    """p50 and p99 milliseconds of `fn()` over `repeats` calls, after 10 warm-up calls."""
    for _ in range(10):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(1000 * (time.perf_counter() - t0))
    return {
        "p50_ms": round(float(np.percentile(times, 50)), 3),
        "p99_ms": round(float(np.percentile(times, 99)), 3),
    }


def run_bench(quick: bool = True) -> dict:
    """Every measurement, as a flat-ish dict with the keys `benchmarks/RESULTS.md` documents."""

    k = 0 if quick else 1
    size = {name: v[k] for name, v in SIZES.items()}
    result: dict = {"date": time.strftime("%Y-%m-%d"), "machine": machine_description(), "quick": quick}
    result["env_steps_per_s"] = round(env_steps_per_s(size["env_steps"]), 1)
    result["vec_env_steps_per_s"] = round(vec_env_steps_per_s(size["vec_steps"]), 1)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        rec = RecordCommand(
            out=data, episodes=size["record_episodes"], workers=os.cpu_count() or 1, progress=False
        )
        result["record_episodes_per_s"] = round(rec.run()["episodes_per_s"], 1)
        cache = build_cache(data, Path(tmp) / "cache")
        result["loader_samples_per_s"] = round(loader_samples_per_s(cache, size["loader_batches"]), 1)
        result["matmul_peak_gflops"] = round(matmul_peak_gflops(), 1)
        result["train"] = {
            p: train_speed(p, cache, size["train_steps"], result["matmul_peak_gflops"], "cpu")
            for p in PRESETS
        }
        if native_cpu_bf16():  # `--conv-bf16 auto` trains so on this CPU
            result["train"]["default_conv_bf16"] = train_speed(
                "default", cache, size["train_steps"], result["matmul_peak_gflops"], "cpu", conv_bf16=True
            )
        if torch.cuda.is_available():  # the GPU figures: fp32 / bf16 peak, batch 64 and 512 from GPU memory
            peak = result["cuda_matmul_peak_gflops"] = round(matmul_peak_gflops(8192, 20, "cuda"), 1)
            result["cuda_matmul_peak_gflops_bf16"] = round(
                matmul_peak_gflops(8192, 20, "cuda", "bfloat16"), 1
            )
            result["train_cuda"] = {
                f"{p}_batch{b}": train_speed(
                    p, cache, size["train_steps"] * 5, peak, "cuda", b, device_data=True
                )
                for p in PRESETS
                for b in (64, 512)
            }
        result["inference"] = {p: inference_latency(p, cache, size["inference_repeats"]) for p in PRESETS}
        big = Path(tmp) / "data10x"  # the same recording, and nine times as many episodes more
        RecordCommand(
            out=big, episodes=10 * size["record_episodes"], workers=os.cpu_count() or 1, progress=False
        ).run()
        result["memory"] = {
            "rss_mb_1x": train_rss_mb(data, Path(tmp) / "cache1", size["train_steps"]),
            "rss_mb_10x": train_rss_mb(big, Path(tmp) / "cache10", size["train_steps"]),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
    return result


@dataclasses.dataclass
class BenchCommand:
    """Measure this machine: env, recording, loader, matmul peak, training (FLOP share), inference, memory."""

    quick: bool = False
    """Small sizes: about a minute on 2 cores."""
    json: bool = False

    def run(self) -> dict:
        return run_bench(self.quick)
