"""The crash-consistency harness behind `benchmarks/faults.py`, importable (`tests/test_faults.py` uses it).

- `commands`: the five commands under test, their tiny settings, and `argv_for`, which builds every argv.
- `runner`: starts `simplevla ARGV` in a child, waits for it or SIGKILLs it, looks for orphaned workers.
- `state`: what a kill left on disk (does the dataset load, are the checkpoints complete and right).
- `scenarios`: the reference runs and one kill trial (kill, check, rerun, compare).
- `disk_full`: the same commands on a tmpfs too small for them.
- `report`: the summary rows and the tables printed.
- `suite`: `run`, all of it.
"""

from .commands import COMMANDS, argv_for
from .suite import run

__all__ = ["COMMANDS", "argv_for", "run"]
