"""Load check of `simplevla serve`: N concurrent sessions stepping at full speed from a client on the loopback.

Starts `simplevla serve` in its own process on a free loopback port, opens `--sessions` sessions and steps
each one as fast as its answers come back (POST /step, one request in flight per session; a finished
episode resets to a new seed), for `--seconds` or `--max-steps` steps in all, whichever comes first. Prints
one JSON object: steps/s per session (mean, min, max) and in all, the step latency (p50, p99, max, in ms),
and the server's own counters (mean rows per forward pass, the share of time its model worker was busy).
The client shares the machine's cores with the server, as a browser on the same machine would.

    python benchmarks/bench_serve.py --policy runs/quickstart/default --sessions 20 --seconds 30
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import numpy as np

from simplevla.envs import EVAL_SEED_START


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def wait_up(client: httpx.AsyncClient, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with code {proc.returncode}")
        try:
            if (await client.get("/api/info")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    raise SystemExit("the server did not answer within 120 s")


async def one_session(client: httpx.AsyncClient, k: int, stop: dict, out: dict) -> None:
    """Step session k as fast as it answers until `stop` says so; record each step's latency."""
    seed = EVAL_SEED_START + 1000 * k
    r = await client.post("/api/sessions", json={"seed": seed})
    r.raise_for_status()
    sid = r.json()["session"]
    latencies, resets, t0 = [], 0, time.perf_counter()
    while time.monotonic() < stop["deadline"] and stop["steps"] < stop["max_steps"]:
        t = time.perf_counter()
        r = await client.post(f"/api/sessions/{sid}/step")
        latencies.append(time.perf_counter() - t)
        r.raise_for_status()
        stop["steps"] += 1
        if r.json()["done"]:
            seed += 1
            resets += 1
            (await client.post(f"/api/sessions/{sid}/reset", json={"seed": seed})).raise_for_status()
    out[k] = {"latencies": latencies, "seconds": time.perf_counter() - t0, "resets": resets}
    await client.delete(f"/api/sessions/{sid}")


async def load(url: str, proc: subprocess.Popen, args: argparse.Namespace) -> dict:
    limits = httpx.Limits(max_connections=args.sessions + 2, max_keepalive_connections=args.sessions + 2)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60.0) as client:
        await wait_up(client, proc)
        stop = {"deadline": time.monotonic() + args.seconds, "steps": 0, "max_steps": args.max_steps}
        out: dict[int, dict] = {}
        t0 = time.perf_counter()
        await asyncio.gather(*(one_session(client, k, stop, out) for k in range(args.sessions)))
        wall = time.perf_counter() - t0
        stats = (await client.get("/api/stats")).json()
    lat = np.concatenate([o["latencies"] for o in out.values()]) * 1000.0  # ms
    per_session = np.array([len(o["latencies"]) / o["seconds"] for o in out.values()])
    return {
        "sessions": args.sessions,
        "seconds": round(wall, 1),
        "steps": int(lat.size),
        "resets": sum(o["resets"] for o in out.values()),
        "steps_per_s_total": round(lat.size / wall, 1),
        "steps_per_s_per_session": {
            "mean": round(float(per_session.mean()), 1),
            "min": round(float(per_session.min()), 1),
            "max": round(float(per_session.max()), 1),
        },
        "step_latency_ms": {
            "p50": round(float(np.percentile(lat, 50)), 1),
            "p99": round(float(np.percentile(lat, 99)), 1),
            "max": round(float(lat.max()), 1),
        },
        "server": {k: stats[k] for k in ("forwards", "mean_batch", "env_steps", "worker_busy")},
        "policy": args.policy,
        "cpus": os.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policy", default="runs/quickstart/default")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--max-steps", type=int, default=100_000, help="steps in all, across sessions")
    parser.add_argument("--threads", type=int, default=None, help="the server's torch threads")
    args = parser.parse_args()
    port = free_port()
    cmd = [sys.executable, "-m", "simplevla", "serve", "--policy", args.policy, "--port", str(port)]
    cmd += ["--max-sessions", str(args.sessions)]
    if args.threads is not None:
        cmd += ["--threads", str(args.threads)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    try:
        result = asyncio.run(load(f"http://127.0.0.1:{port}", proc, args))
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
