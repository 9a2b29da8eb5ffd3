"""Benchmark: Tabletop env steps/s with 64x64 rendering on one core. Prints one JSON object per setting.

.venv/bin/python benchmarks/bench_env.py [--steps 20000] [--size 64]
"""

from __future__ import annotations

import argparse
import json

from simplevla.bench.env import bench_env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--size", type=int, default=64)
    args = parser.parse_args()
    for actions in ("random", "expert"):
        print(json.dumps(bench_env(steps=args.steps, size=args.size, actions=actions)))


if __name__ == "__main__":
    main()
