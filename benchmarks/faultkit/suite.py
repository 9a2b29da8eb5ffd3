"""`run`: the reference runs, the kill trials of every command, the full-disk cases, and one result."""

from __future__ import annotations

import random
import shutil
import tempfile
import time
from pathlib import Path

from .commands import COMMANDS
from .disk_full import disk_full
from .report import is_failure, summarize
from .runner import Runner
from .scenarios import Harness


def run(
    trials: int = 20,
    seed: int = 0,
    work: Path | None = None,
    spawn: bool = False,
    commands: tuple[str, ...] = COMMANDS,
    full_disk: bool = True,
) -> dict:
    """Run the whole suite; returns {"summary", "disk_full", "trials", "wall_s", ...}.

    `trials` kills per command, their moments seeded by `seed`; `work` keeps the runs (default: a temporary
    directory, removed); `spawn` starts a fresh interpreter per run instead of forking this process.
    """
    t0 = time.perf_counter()
    own = work is None
    work = Path(tempfile.mkdtemp(prefix="simplevla-faults-")) if own else Path(work)
    work.mkdir(parents=True, exist_ok=True)
    try:
        h = Harness(work, Runner(spawn, work / "logs"), random.Random(seed))
        h.prepare()
        results = [h.trial(command, i) for command in commands for i in range(trials)]
        disk = disk_full(h) if full_disk else []
        return {
            "summary": [r for r in summarize(results) if r["command"] in commands],
            "disk_full": disk,
            "reference_wall_s": {c: round(h.ref[c].wall, 2) for c in COMMANDS},
            "trials": results,
            "failures": [r for r in results if is_failure(r)],
            "mode": "spawn" if spawn else "fork",
            "wall_s": round(time.perf_counter() - t0, 1),
        }
    finally:
        if own:
            shutil.rmtree(work, ignore_errors=True)
