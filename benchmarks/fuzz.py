"""Property-based fuzzing of every reader: N generated hostile inputs per suite, counted.

    python benchmarks/fuzz.py --examples 300                # every suite
    python benchmarks/fuzz.py --examples 10000 --suite dataset --seed 7

Each suite (`benchmarks/fuzzkit/targets.py`) mutates a fresh copy of a valid artefact the project wrote
and calls its reader in this process (Hypothesis, not derandomized; the seed is printed, and `--seed`
replays it). Prints one JSON line per suite:

- examples: inputs generated and read;
- loaded_ok: read, and what was read behaves as valid data;
- refused_clean: refused with a SimplevlaError naming the file and the field (web: an HTTP 4xx with a JSON
  error), within the deadline and memory cap, the input directory unchanged, nothing read outside it;
- unclean: anything else; `unclean_examples` holds the first few messages and inputs;
- seconds: wall time of the suite (slowest_example_s: its slowest input).

"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fuzzkit import SUITES, Workspace, run_suite  # noqa: E402


def _missing(name: str, ws: Workspace) -> str | None:
    """Why suite `name` cannot run here (an optional extra or the LeRobot fixture is missing), or None."""
    import importlib.util

    if name == "web" and importlib.util.find_spec("fastapi") is None:
        return "fastapi is not installed (the `serve` extra)"
    if name == "video":
        if importlib.util.find_spec("av") is None:
            return "PyAV is not installed (the `video` extra)"
        try:
            ws.video_dataset  # noqa: B018
        except FileNotFoundError as e:
            return str(e)
    return None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--examples", type=int, default=100, help="examples per suite")
    p.add_argument(
        "--suite", choices=sorted(SUITES), action="append", help="a suite (repeatable); default all"
    )
    p.add_argument("--seed", type=int, default=None, help="Hypothesis seed (default: a random one, printed)")
    p.add_argument("--seconds", type=float, default=10.0, help="deadline per example (seconds)")
    p.add_argument("--verbose", action="store_true", help="print each example and its outcome to stderr")
    args = p.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().getrandbits(32)
    print(json.dumps({"seed": seed, "examples_per_suite": args.examples}), flush=True)
    ws = Workspace(seconds=args.seconds)
    unclean = 0
    for name in args.suite or list(SUITES):
        missing = _missing(name, ws)
        if missing:
            print(json.dumps({"suite": name, "skipped": missing}), flush=True)
            continue
        result = run_suite(name, args.examples, seed, ws, log=sys.stderr if args.verbose else None)
        unclean += result["unclean"]
        print(json.dumps(result), flush=True)
    return 1 if unclean else 0  # 1: an unclean failure


if __name__ == "__main__":
    sys.exit(main())
