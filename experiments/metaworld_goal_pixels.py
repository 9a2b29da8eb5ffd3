"""How many pixels of a Meta-World frame show the goal marker: the frame with the marker against the same frame
with it hidden (`scale_goal_marker(model, 0)`), rendered at the image size and supersampled (rendered k times
larger, then each k x k block averaged down to the image size).

    python experiments/metaworld_goal_pixels.py [--tasks reach push ...] [--seeds 5] [--size 64] [--factors 1 2 4]

Per task and factor: the pixels whose RGB sum changes by more than 10 (of 765) in each episode's first
frame, the largest change, and the render time per frame at the larger size. Evaluation seeds from
1,000,000, as `simplevla eval`. Needs the `metaworld` extra.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from simplevla.envs.metaworld.render import select_gl

select_gl()  # before MuJoCo is imported

from simplevla.envs.metaworld.env import MetaWorldEnv  # noqa: E402
from simplevla.envs.metaworld.render import SceneRenderer, scale_goal_marker  # noqa: E402


def goal_pixels(task: str, seed: int, size: int, factor: int) -> tuple[int, int, float]:
    """(pixels changed by > 10, the largest change, ms per render) for one episode's first frame."""
    env = MetaWorldEnv(tasks=[task], size=size)
    env.reset(seed=seed)
    sim = env.sim
    renderer = SceneRenderer(sim.model, size * factor, "corner2")
    shown = renderer.render(sim.data).astype(np.float32)  # (kS, kS, 3)
    t0 = time.perf_counter()
    for _ in range(10):
        renderer.render(sim.data)
    ms = (time.perf_counter() - t0) / 10 * 1000
    scale_goal_marker(sim.model, 0.0)
    hidden = renderer.render(sim.data).astype(np.float32)
    renderer.close()
    env.close()
    shape = (size, factor, size, factor, 3)
    change = np.abs(shown.reshape(shape).mean((1, 3)) - hidden.reshape(shape).mean((1, 3))).sum(-1)  # (S, S)
    return int((change > 10).sum()), int(change.max()), ms


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--tasks", nargs="+", default=["reach", "push", "pick-place", "peg-insert-side", "basketball"]
    )
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--factors", type=int, nargs="+", default=[1, 2, 4])
    args = ap.parse_args()
    print("| task | rendered at | goal pixels per episode | largest change (of 765) | ms per render |")
    print("|---|---|---|---|---|")
    for task in args.tasks:
        for k in args.factors:
            rows = [goal_pixels(task, 1_000_000 + i, args.size, k) for i in range(args.seeds)]
            pixels = ", ".join(str(r[0]) for r in rows)
            print(
                f"| {task} | {args.size * k} px{' → ' + str(args.size) if k > 1 else ''} | {pixels} | "
                f"{max(r[1] for r in rows)} | {np.mean([r[2] for r in rows]):.1f} |"
            )


if __name__ == "__main__":
    main()
