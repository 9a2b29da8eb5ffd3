"""Generated requests to `simplevla serve`'s JSON API (fuzzkit's `web` suite, FastAPI's TestClient on a
tiny policy): bodies of other types, unknown fields, hostile seeds, groups and instructions, bodies that
are no JSON or nest 100,000 deep, session ids and download formats that are no such thing, random query
strings. Every answer is 2xx, or 4xx (503 at the session limit) with a JSON {"error": message}; never 500.

The @example inputs are the failures the fuzzer found (HTTP 500), fixed in src/simplevla/serve/app.py."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi", reason="the `serve` extra is not installed: pip install -e '.[serve]'")

from fuzz_settings import FUZZ  # noqa: E402
from fuzzkit import target  # noqa: E402
from fuzzkit.mutate import Deep  # noqa: E402
from hypothesis import example, given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def _close_the_app():
    yield
    target("web").close()


@FUZZ
@given(case=st.deferred(lambda: target("web").cases()))
@example(case=(("reset", Deep(100_000), "@own", "gif", {}),))  # a body nested 100,000 deep
@example(case=(("create", {"suite": [1]}, "@own", "gif", {}),))  # a suite that is a list (unhashable)
def test_generated_requests_are_answered_cleanly(case):
    outcome = target("web").run(case)
    assert outcome.clean, outcome.message
