"""The soak behind `benchmarks/soak.py`, importable (`tests/test_soak.py` runs a short one).

- `lanes`: the writers under test (record --resume, dagger, two train --resume, eval), each a sequence of
  steps whose state after every step a quiet run fixed; a lane starts, kills and reruns its children and
  checks every state it leaves against the quiet run's.
- `disk`: a tmpfs the lanes write into, and the filler that fills it to the last byte and frees it.
- `serve_lane`: `simplevla serve` with a client hammering its API, the server killed and restarted.
- `checks`: that every writer lock was released at the end.
- `soak`: `run`, all of it.
"""

from .soak import run

__all__ = ["run"]
