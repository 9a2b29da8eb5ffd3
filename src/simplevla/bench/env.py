"""Env throughput: steps per second with rendering, on one core (used by benchmarks/bench_env.py)."""

from __future__ import annotations

import os
import time

import numpy as np

from simplevla.envs.tabletop.env import TabletopEnv
from simplevla.envs.tabletop.expert import Expert


def bench_env(
    steps: int = 20_000, size: int = 64, actions: str = "random", seed: int = 0, pin: bool = True
) -> dict:
    """Step one TabletopEnv `steps` times (resetting at episode ends) and time it.

    actions: "random" (uniform in [-1, 1]) or "expert" (the scripted expert; its own cost is included).
    pin: restrict this process to one CPU core first (Linux), so the figure is a one-core figure.
    """
    if actions not in ("random", "expert"):
        raise ValueError(f"actions must be 'random' or 'expert', got {actions!r}")
    if pin and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    env = TabletopEnv(size=size)
    expert = Expert(env)
    rng = np.random.default_rng(seed)
    random_actions = rng.uniform(-1.0, 1.0, size=(steps, 2)).astype(np.float32)  # (steps, 2)
    env.reset(seed=seed)
    expert.reset()
    episodes, successes = 0, 0
    t0 = time.perf_counter()
    for k in range(steps):
        action = expert.act() if actions == "expert" else random_actions[k]
        _, _, term, trunc, info = env.step(action)
        if term or trunc:
            episodes += 1
            successes += bool(info["is_success"])
            env.reset()
            expert.reset()
    seconds = time.perf_counter() - t0
    return {
        "benchmark": "env_steps_per_second",
        "size": size,
        "actions": actions,
        "steps": steps,
        "seconds": round(seconds, 3),
        "steps_per_s": round(steps / seconds, 1),
        "episodes": episodes,
        "episode_success": round(successes / max(episodes, 1), 3),
        "one_core": bool(pin and hasattr(os, "sched_setaffinity")),
        "note": "includes rendering and resets; 'expert' includes the expert's own cost",
    }
