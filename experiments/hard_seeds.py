"""Do different policies fail on the same episodes? Counts, per evaluation episode, how many policies failed it.

    python experiments/hard_seeds.py runA/eval/train/eval_info.json runB/eval/train/eval_info.json [...]

The files must come from `simplevla eval` runs with the same seeds, families and split (the default seeds
are the same for every run). A fixed set of hard scenes shows up as many episodes failed by every policy;
failures that are spread out show up as "mixed". Prints one JSON object: the histogram of failure counts
over the episodes all files share, and per family the episodes no policy failed, the ones all but at most
two failed, and the rest.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+", help="eval_info.json files, one per policy")
    args = ap.parse_args()
    fails: Counter = Counter()
    seen: Counter = Counter()
    for path in args.files:
        with open(path) as f:
            for ep in json.load(f)["per_episode"]:
                key = (ep["family"], ep["seed"])
                seen[key] += 1
                fails[key] += not ep["success"]
    n = len(args.files)
    shared = [k for k in seen if seen[k] == n]
    by_family: dict[str, Counter] = defaultdict(Counter)
    for family, seed in shared:
        f = fails[(family, seed)]
        by_family[family]["never_failed" if f == 0 else "failed_by_all_but_2" if f >= n - 2 else "mixed"] += 1
    out = {
        "policies": n,
        "episodes": len(shared),
        "failed_by_k_policies": dict(sorted(Counter(fails[k] for k in shared).items())),
        "per_family": {k: dict(v) for k, v in sorted(by_family.items())},
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
