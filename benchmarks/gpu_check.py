"""The GPU check, one prepared script of a few minutes: speed, the quickstart-sized run, torchrun, bf16.

    python benchmarks/gpu_check.py --out /tmp/gpu_check [--episodes 16000] [--device cuda]

1. records `--episodes` Tabletop episodes (all cores) and builds the training cache;
2. `default` training speed at batch 64 and 512, batches from the host or from GPU memory, fp32 and bf16;
3. a quickstart-sized run: `simplevla train` at batch 512 for the samples quickstart's 5,000 x 64 sees,
   from GPU memory; its wall time, end to end (process start, cache load and checkpoint included);
4. `torchrun --nproc_per_node 1` against the plain command: the same weights;
5. bf16 against fp32: the two loss curves, step by step.
Prints one JSON object and writes it to OUT/gpu_check.json. `--device cpu --episodes 200 --scale 0.02`
runs the same steps on a CPU in a minute (a check of the script, not of a GPU).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import torch
from safetensors.torch import load_file

from simplevla.bench.speed import matmul_peak_gflops, train_speed
from simplevla.collect.commands import RecordCommand
from simplevla.data import build_cache

QUICKSTART_SAMPLES = 5000 * 64  # what `make demo` trains `default` on (steps x batch)


def _train(data: Path, out: Path, device: str, steps: int, *extra: str, torchrun: bool = False) -> float:
    """Run `simplevla train`; returns its wall seconds."""
    cmd = [sys.executable, "-m", "simplevla", "train"]
    if torchrun:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "1", "-m"]
        cmd += ["simplevla", "train"]
    cmd += ["--dataset", str(data), "--out", str(out), "--device", device, "--steps", str(steps)]
    cmd += ["--save-every", str(steps), "--log-every", "10", "--val-every", "0", *extra]
    env = dict(os.environ, OMP_NUM_THREADS=str(os.cpu_count() or 1))  # torchrun would set 1 otherwise
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
    return round(time.perf_counter() - t0, 1)


def _losses(run: Path) -> list[float]:
    with open(run / "train_log.csv") as f:
        return [float(r["loss"]) for r in csv.DictReader(f)]


def _weights_diff(a: Path, b: Path, steps: int) -> float:
    wa = load_file(str(a / "checkpoints" / f"{steps:06d}" / "model.safetensors"))
    wb = load_file(str(b / "checkpoints" / f"{steps:06d}" / "model.safetensors"))
    return max((wa[k].double() - wb[k].double()).abs().max().item() for k in wa if wa[k].is_floating_point())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--episodes", type=int, default=16000)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies every step count")
    args = ap.parse_args()
    dev, out, res = args.device, args.out, {"device": args.device}
    if dev == "cuda":
        res["gpu"] = torch.cuda.get_device_name()
        res["matmul_peak_gflops_fp32"] = round(matmul_peak_gflops(8192, 20, "cuda"), 1)
        res["matmul_peak_gflops_bf16"] = round(matmul_peak_gflops(8192, 20, "cuda", "bfloat16"), 1)
    data = out / "data"
    t0 = time.perf_counter()
    if not (data / "meta" / "info.json").is_file():
        rec = RecordCommand(out=data, episodes=args.episodes, workers=os.cpu_count() or 1, progress=False)
        res["record_episodes_per_s"] = round(rec.run()["episodes_per_s"], 1)
    cache = build_cache(data, None)
    res["record_and_cache_s"] = round(time.perf_counter() - t0, 1)
    res["frames"] = len(cache.images)

    n = max(5, int(100 * args.scale))
    speed = {}
    for batch in (64, 512):
        for on_device in (False, True):
            key = f"batch{batch}_{'device' if on_device else 'host'}_data"
            speed[key] = train_speed("default", cache, n, 0.0, dev, batch, device_data=on_device)
    res["train_fp32"] = speed
    print(json.dumps(res), flush=True)

    steps = max(10, int(QUICKSTART_SAMPLES / 512 * args.scale))
    big = ("--batch-size", "512", "--data-device", "device" if dev == "cuda" else "host")
    res["quickstart_sized"] = {"steps": steps, "batch": 512, "samples": steps * 512}
    res["quickstart_sized"]["wall_s"] = _train(data, out / "q512", dev, steps, *big)
    res["quickstart_sized"]["final_loss"] = _losses(out / "q512")[-1]

    short = max(10, int(200 * args.scale))
    _train(data, out / "plain", dev, short, *big)
    _train(data, out / "torchrun1", dev, short, *big, torchrun=True)
    res["torchrun_1proc_vs_plain"] = {
        "max_weight_diff": _weights_diff(out / "plain", out / "torchrun1", short),
        "max_loss_diff": max(
            abs(a - b) for a, b in zip(_losses(out / "plain"), _losses(out / "torchrun1"), strict=True)
        ),
    }

    if dev == "cuda":
        _train(data, out / "bf16", dev, short, *big, "--bf16")
        fp32, bf16 = _losses(out / "plain"), _losses(out / "bf16")
        rel = [abs(a - b) / max(abs(a), 1e-9) for a, b in zip(fp32, bf16, strict=True)]
        res["bf16_vs_fp32"] = {
            "fp32_final_loss": fp32[-1],
            "bf16_final_loss": bf16[-1],
            "max_rel_diff": round(max(rel), 4),
            "mean_rel_diff": round(sum(rel) / len(rel), 4),
        }
    (out / "gpu_check.json").write_text(json.dumps(res, indent=1) + "\n")
    print(json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
