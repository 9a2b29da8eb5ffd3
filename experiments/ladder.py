"""Which change buys how much, from the tutorial's SimpleVLA to the `default` policy?

    python experiments/ladder.py [--size quick|full] [--rungs 0 1 ...] [--out runs/ladder] [--data DIR]

Trains and evaluates every rung of `simplevla.ladder.RUNGS` on one dataset with one budget (the quickstart's
for `default` at --size full) and the same evaluation seeds, on the training, held-out and own wording.
Rungs already done are read back, not retrained. Writes OUT/ladder.json, OUT/ladder.md (the table),
OUT/ladder.png (success per rung) and OUT/rollouts.png (one held-out scene as each rung rolled it out);
each rung's config is printed and saved beside its result (OUT/<k>_<name>/rung_config.json, rung.json).
--data reuses a recorded dataset (e.g. runs/quickstart/data, the same recording) instead of recording one.
docs/ladder.md holds the full-size result.
"""

from __future__ import annotations

import argparse

from simplevla.ladder import RUNGS, SIZES, run_ladder, table


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=list(SIZES), default="quick")
    parser.add_argument(
        "--rungs", type=int, nargs="+", default=None, help=f"0..{len(RUNGS) - 1} (default: all)"
    )
    parser.add_argument("--out", default="runs/ladder")
    parser.add_argument(
        "--data", default=None, help="an existing recording to train on (default: record one)"
    )
    parser.add_argument("--workers", type=int, default=0, help="recording processes (0: one per core)")
    parser.add_argument("--eval-envs", type=int, default=25)
    args = parser.parse_args(argv)
    ladder = run_ladder(args.out, args.size, args.rungs, args.data, args.workers, args.eval_envs)
    print(table(ladder))
    print(
        f"rungs: {ladder['rungs_s'] / 60:.1f} min of training and evaluation; {args.out}/ladder.png, rollouts.png"
    )
    return ladder


if __name__ == "__main__":
    main()
