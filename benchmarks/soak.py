"""Soak: every writer side by side on shared data for M minutes, under random SIGKILLs and a disk that fills
and frees; then nothing may be corrupt, lost, locked or left behind, and every artefact equals a quiet run's.

    python benchmarks/soak.py --minutes 30 [--seed 0] [--kill-rate 0.7] [--work DIR] [--json out.json]

Lanes, each in its own directory on one tmpfs (`benchmarks/soakkit/`), each round after round:

- record: `record` 8 episodes, then `record --resume` twice (two worker processes each);
- dagger: two `dagger` rounds of 4 rollouts on a copy of the shared dataset, with the shared policy;
- train-a, train-b: `train --resume` of a tiny policy to 40 steps (a checkpoint every 4) on the shared
  dataset, both building and reading its one training cache, rerun after every kill;
- eval: `eval` of the shared policy, 2 episodes per family;
- serve: `simplevla serve` of the shared policy with a client opening, stepping, downloading and closing
  sessions as fast as it answers; the server is SIGKILLed every 10-40 s and restarted.

A share of every lane's children (--kill-rate) is SIGKILLed at a random moment of its typical run time, and
rerun. Every 15-45 s the tmpfs is filled to the last byte for 2-8 s and freed. A quiet run of each lane
beforehand fixes the state after every step; after every child, the lane's target must hold the state before
the step or after it (a training run: any checkpoint of the quiet run's, with its weights), and a child that
fails without a kill must have been refused cleanly (`error: ...`, exit code 2) while the disk was full. At
the end the lanes finish their rounds with no more kills and the disk free, then: no lock is still held, no
hidden temporary is left anywhere (training caches included), the shared dataset and policy are unchanged,
no worker outlived a killed parent, and the server never answered a 5xx other than 503.

Mounting the tmpfs needs root; without it the lanes write to a plain directory and nothing is filled.
Exit code 1 if anything is wrong; the problems are printed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from soakkit import run


def table(out: dict) -> str:
    rows = [
        "| lane | rounds | attempts | kills | full-disk refusals | orphans | problems |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in out["lanes"].items():
        rows.append(
            f"| {name} | {r['rounds']} | {r['attempts']} | {r['kills']} | {r['disk_full_refusals']} "
            f"| {r['orphans']} | {r['problems']} |"
        )
    return "\n".join(rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=0, help="seeds the kill moments and the disk's fills")
    ap.add_argument("--kill-rate", type=float, default=0.7, help="share of each lane's children killed")
    ap.add_argument("--work", type=Path, default=None, help="keep everything here (default: a temp dir)")
    ap.add_argument("--no-fill", action="store_true", help="do not mount and fill a tmpfs")
    ap.add_argument("--no-serve", action="store_true", help="leave out the serve lane")
    ap.add_argument("--json", type=Path, default=None, help="write the whole result here")
    args = ap.parse_args()
    out = run(args.minutes, args.seed, args.work, args.kill_rate, not args.no_fill, not args.no_serve)
    print(table(out))
    summary = {
        k: out[k] for k in ("minutes", "disk", "fills", "held_locks", "temporaries", "shared_unchanged")
    }
    print(json.dumps({**summary, "serve": {k: v for k, v in out["serve"].items() if k != "error_samples"}}))
    for p in out["problems"]:
        print("problem:", p)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, default=str))
    return 1 if out["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
