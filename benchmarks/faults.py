"""Crash consistency: SIGKILL `simplevla record`, `record --resume`, `dagger`, `train` and `train --resume`
at random moments, then check that nothing was lost or corrupted and that rerunning finishes the job with
the same bytes as an uninterrupted run; then fill the disk during record, cache build and checkpoint save.

    python benchmarks/faults.py --trials 20 [--seed 0] [--work DIR] [--spawn] [--json out.json]

Each command runs on tiny settings (32x32 images, a few dozen episodes, a 20-step tiny policy). A reference
run of each, uninterrupted, gives the expected bytes and the wall time T; every trial kills the command
after a delay drawn uniformly from [0, T] (a run that ends before its kill is redone with a delay drawn from
[0, the last delay], up to four tries), then checks:

- kills: trials whose command was still running when killed; mid-write: those killed while a hidden
  temporary existed (a dataset or checkpoint half written) or after a new checkpoint was written.
- lost/corrupt: the dataset must still load (every frame) with the content hash it had before the run, or
  be the complete new dataset; every checkpoint left must load and hold the reference run's weights for its
  step, and `last` must point at a complete one. Must be 0.
- stray: a file a reader would pick up (not hidden) that the finished layout does not have. Must be 0.
- orphans: worker processes still alive 5 s after their parent was killed. Must be 0.
- finished bit-identical: rerunning the command (`--resume` for train) ends with a dataset whose visible
  files are byte-identical to the reference, or final weights identical to the reference run's.
- leftovers: hidden temporaries still there after the rerun (a killed writer's, removed by the next one).

By default each command runs in a process forked from this one after `simplevla.cli` is imported (the same
`main(argv)` as the console script, without the ~3 s interpreter and torch start-up, so the kills land in
the work instead of in the imports); `--spawn` starts a fresh interpreter per run instead. The disk-full
cases need root (a small tmpfs is mounted); without it they are reported as skipped.

The harness itself is the package `benchmarks/faultkit/` (importable: `tests/test_faults.py` runs it with
one kill per command); this file is its command line.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from faultkit import COMMANDS, run
from faultkit.report import failed, text


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=20, help="kills per command")
    ap.add_argument("--seed", type=int, default=0, help="seeds the kill moments")
    ap.add_argument(
        "--work", type=Path, default=None, help="keep the runs here (default: a temp dir, removed)"
    )
    ap.add_argument("--spawn", action="store_true", help="a fresh interpreter per run instead of a fork")
    ap.add_argument("--commands", nargs="+", default=list(COMMANDS), choices=COMMANDS)
    ap.add_argument("--no-disk-full", action="store_true")
    ap.add_argument("--json", type=Path, default=None, help="write every trial's result here")
    args = ap.parse_args()
    out = run(args.trials, args.seed, args.work, args.spawn, tuple(args.commands), not args.no_disk_full)
    print(text(out))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, default=str))
    return 1 if failed(out) else 0


if __name__ == "__main__":
    sys.exit(main())
