"""`run_suite`: N Hypothesis examples of one suite, counted (nothing stops at the first failure)."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, Phase, given, seed, settings

from .artefacts import Workspace
from .targets import SUITES


def run_suite(name: str, examples: int, seed_value: int, ws: Workspace, keep: int = 5, log=None) -> dict:
    """Run `examples` generated inputs of suite `name` (seeded by `seed_value`, not derandomized) and
    count them: loaded_ok, refused_clean, unclean, and the first `keep` unclean messages with their inputs.
    `log`: a file that gets one line per example before it runs and its outcome after."""
    target = SUITES[name](ws)
    counts = {"loaded_ok": 0, "refused_clean": 0, "unclean": 0}
    unclean: list[dict] = []
    slowest = 0.0

    @seed(seed_value)
    @settings(
        max_examples=examples,
        deadline=None,  # the guard's own deadline (SIGALRM) bounds each example
        derandomize=False,
        database=None,
        phases=(Phase.generate,),
        suppress_health_check=list(HealthCheck),
    )
    @given(case=target.cases())
    def one(case) -> None:
        nonlocal slowest
        if log is not None:
            print(f"{name}: {case!r}"[:300], file=log, flush=True)
        outcome = target.run(case)
        if log is not None:
            print(f"  -> {outcome.kind} {outcome.seconds} s {outcome.message[:200]!r}", file=log, flush=True)
        counts[outcome.kind] += 1
        slowest = max(slowest, outcome.seconds)
        if outcome.kind == "unclean":
            if len(unclean) < keep:
                unclean.append({"message": outcome.message[:600], "input": repr(case)[:400]})

    t0 = time.perf_counter()
    try:
        one()
    finally:
        if hasattr(target, "close"):
            target.close()
    return {
        "suite": name,
        "seed": seed_value,
        "examples": sum(counts.values()),
        **counts,
        "unclean_examples": unclean,
        "slowest_example_s": round(slowest, 2),
        "seconds": round(time.perf_counter() - t0, 1),
    }
