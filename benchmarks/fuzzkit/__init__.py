"""Property-based fuzzing of every reader (Hypothesis), importable (`tests/fuzz/` and `benchmarks/fuzz.py`).

Each suite starts from valid files the project itself writes, mutates one of them in a fresh copy, and
calls the public reader. The property for every generated input: it loads and behaves as valid data, or
it is refused with a `SimplevlaError` naming the file and the field (the web API: an HTTP 4xx with a JSON
error), within a deadline and a memory cap, without changing the input directory or reading outside it.

- `artefacts`: the valid dataset, checkpoints, instruction file and canary directory (`Workspace`).
- `mutate`: the mutations (bytes, files, JSON, parquet, safetensors, lines) as Hypothesis strategies.
- `guard`: the property, checked around one call (`Guard.run` -> `Outcome`).
- `targets`: one target per reader (`SUITES`).
- `runner`: `run_suite`, N examples counted, for `benchmarks/fuzz.py`.
- `target(name)`: one shared workspace and target per process, for the tests (`tests/fuzz/`).
"""

from __future__ import annotations

from .artefacts import Workspace
from .guard import Guard, Invalid, Outcome
from .runner import run_suite
from .targets import SUITES

__all__ = ["SUITES", "Guard", "Invalid", "Outcome", "Workspace", "run_suite", "target"]

_SHARED: dict = {}


def target(name: str, seconds: float = 10.0):
    """Suite `name`'s target on a workspace shared by the whole process (built on first use)."""
    if "ws" not in _SHARED:
        _SHARED["ws"] = Workspace(seconds=seconds)
    if name not in _SHARED:
        _SHARED[name] = SUITES[name](_SHARED["ws"])
    return _SHARED[name]
