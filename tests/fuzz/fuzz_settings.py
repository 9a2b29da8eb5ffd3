"""Shared Hypothesis settings of the fuzz tests: few examples (`make test` stays fast; `python
benchmarks/fuzz.py --examples 10000` runs many), no example database in the working tree, and no
Hypothesis deadline: each example's own deadline is the guard's (SIGALRM at 10 s, fuzzkit.guard), which a
machine busy with other work does not turn into a flaky failure."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

FUZZ = settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
