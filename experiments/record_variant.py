"""Record the quickstart's dataset with one of the scripted expert's constants changed.

    python experiments/record_variant.py --out runs/ko6_data --set KEEP_OUT=0.06 [--episodes 16000]

The same recording as `make demo` (`quickstart.record_command`: the rich training grammar, noise 0.2,
seeds 0..EPISODES-1) after setting module constants of `simplevla.envs.tabletop.expert` (KEEP_OUT,
APPROACH_MARGIN, ALIGN_RADIUS, ...). The workers fork after the change, so they record with it too.
Prints the recording's JSON summary (its `failed` count is the changed expert's failures).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import simplevla.envs.tabletop.expert as expert
from simplevla.quickstart import record_command


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="an expert constant")
    ap.add_argument("--episodes", type=int, default=16000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    for item in args.set:
        name, _, value = item.partition("=")
        if not hasattr(expert, name) or not isinstance(getattr(expert, name), float):
            raise SystemExit(
                f"--set {item}: {name!r} is not a float constant of simplevla.envs.tabletop.expert"
            )
        setattr(expert, name, float(value))
    print(json.dumps(record_command(args.out, args.episodes, args.workers).run()))


if __name__ == "__main__":
    main()
