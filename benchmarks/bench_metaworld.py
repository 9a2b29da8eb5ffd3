"""Benchmark: Meta-World rendering per 64x64 frame with Meta-World's own settings and with simplevla's.

.venv/bin/python benchmarks/bench_metaworld.py [--frames 300] [--size 64] [--task reach]

Prints one JSON object per setting: ms per frame (update_scene + render, the median of 5 blocks), and env
steps/s with the scripted expert (physics, rendering, expert, resets included). Needs the `metaworld` extra.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from simplevla.envs.metaworld.render import select_gl

select_gl()


def frame_ms(renderer, data, camera: str, frames: int) -> float:
    """Median over 5 blocks of the ms one update_scene + render takes."""
    renderer.update_scene(data, camera=camera)
    renderer.render()
    blocks = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(frames // 5):
            renderer.update_scene(data, camera=camera)
            renderer.render()
        blocks.append((time.perf_counter() - t0) / (frames // 5) * 1000)
    return statistics.median(blocks)


def main() -> None:
    import mujoco

    from simplevla.envs.metaworld.env import MetaWorldEnv
    from simplevla.envs.metaworld.expert import MetaWorldExpert

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--task", default="reach")
    parser.add_argument("--steps", type=int, default=1000)
    args = parser.parse_args()

    env = MetaWorldEnv(tasks=(args.task,), size=args.size)
    env.reset(seed=0)
    sim = env.sim
    # Meta-World's own settings, on a fresh model (the env's model already has the fast ones)
    stock = type(sim)()
    stock.model.cam_pos[2] = (0.75, 0.075, 0.7)
    slow = mujoco.Renderer(stock.model, args.size, args.size)
    vis = stock.model.vis
    settings = dict(shadowsize=vis.quality.shadowsize, offsamples=vis.quality.offsamples)
    settings.update(offwidth=vis.global_.offwidth, offheight=vis.global_.offheight)
    ms = frame_ms(slow, stock.data, "corner2", max(25, args.frames // 6))
    print(
        json.dumps(
            {"setting": "metaworld stock", **settings, "size": args.size, "ms_per_frame": round(ms, 2)}
        )
    )
    slow.close()
    fast = env._sim(args.task)[1]._renderer
    ms = frame_ms(fast, sim.data, "corner2", args.frames)
    vis = sim.model.vis
    settings = dict(shadowsize=vis.quality.shadowsize, offsamples=vis.quality.offsamples)
    settings.update(offwidth=vis.global_.offwidth, offheight=vis.global_.offheight)
    print(json.dumps({"setting": "simplevla", **settings, "size": args.size, "ms_per_frame": round(ms, 2)}))

    steps, t0, seed = 0, time.perf_counter(), 0
    while steps < args.steps:
        env.reset(seed=seed)
        expert = MetaWorldExpert(env)
        expert.reset()
        seed += 1
        while steps < args.steps:
            _, _, term, trunc, _ = env.step(expert.act())
            steps += 1
            if term or trunc:
                break
    sps = steps / (time.perf_counter() - t0)
    print(
        json.dumps(
            {"setting": "expert steps", "task": args.task, "steps": steps, "steps_per_s": round(sps, 1)}
        )
    )
    env.close()


if __name__ == "__main__":
    main()
