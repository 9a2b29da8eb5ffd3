"""Full disks: record, record --resume, a training-cache build and a checkpoint save, each writing into a
tmpfs too small for it. Each must fail with one line (`error: ...`, exit code 2), leave the previous data
intact and no hidden temporaries. Mounting needs root; without it the cases are reported as skipped.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .commands import SAVE_EVERY, STEPS, argv_for
from .scenarios import Harness
from .state import dataset_state, hidden_leftovers, run_state, same_final_weights

DatasetState = tuple[str, str | None]


@contextlib.contextmanager
def tmpfs(path: Path, kib: int) -> Iterator[Path]:
    """A tmpfs of `kib` KiB mounted at path (lazily unmounted on exit)."""
    path.mkdir(parents=True, exist_ok=True)
    mount = ["mount", "-t", "tmpfs", "-o", f"size={kib}k", "tmpfs", str(path)]
    subprocess.run(mount, check=True, capture_output=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False, capture_output=True)


@dataclass(frozen=True)
class Case:
    """Run `argv(mount)` on a `kib` KiB tmpfs, then `check(mount, dataset state at mount/ds before)`."""

    name: str
    kib: int
    argv: Callable[[Path], list[str]]
    check: Callable[[Path, DatasetState], dict]
    copy_base: bool = False  # start with a copy of the base dataset at mount/ds


def cases(h: Harness) -> list[Case]:
    """The four cases, in the order they run."""
    root, train_ref = h.work / "full", h.ref["train"].target
    ckpt = train_ref / "checkpoints" / f"{SAVE_EVERY:06d}"
    ckpt_kib = sum(p.stat().st_size for p in ckpt.rglob("*") if p.is_file()) // 1024

    def no_dataset(mnt: Path, before: DatasetState) -> dict:
        return {"intact": not (mnt / "ds").exists()}

    def same_dataset(mnt: Path, before: DatasetState) -> dict:
        return {"intact": dataset_state(mnt / "ds") == before}

    def no_cache(mnt: Path, before: DatasetState) -> dict:
        cache = mnt / "cache"
        return {"intact": not any(p.is_file() for p in cache.rglob("*")) if cache.exists() else True}

    def checkpoints_ok(mnt: Path, before: DatasetState) -> dict:
        problems = run_state(mnt / "run", train_ref)
        n = len([d for d in (mnt / "run" / "checkpoints").iterdir() if d.name.isdigit()])
        # finish on a disk with room: copy the run out and resume it
        moved = root / "ckpt-resumed"
        shutil.rmtree(moved, ignore_errors=True)
        shutil.copytree(mnt / "run", moved, symlinks=True)
        rc, _, _ = h.r.run(h.argv("train --resume", moved))
        return {
            "intact": not problems,
            "checkpoints_kept": n,
            "problems": problems,
            "resumed_identical": rc == 0 and same_final_weights(moved, train_ref, STEPS),
        }

    def cache_build(mnt: Path) -> list[str]:
        cache_run = root / "cache-run"
        return argv_for("train", cache_run, base=h.base, cache_dir=mnt / "cache", steps=2, save_every=None)

    return [
        Case("record", 1024, lambda m: argv_for("record", m / "ds", episodes=400), no_dataset),
        Case(
            "record --resume",
            1024,
            lambda m: argv_for("record --resume", m / "ds", episodes=400),
            same_dataset,
            copy_base=True,
        ),
        Case(
            "cache build", 16, cache_build, no_cache
        ),  # the compressed cache of the base dataset is > 16 KiB
        Case(
            "checkpoint save", int(ckpt_kib * 2.6) + 64, lambda m: h.argv("train", m / "run"), checkpoints_ok
        ),
    ]


def disk_full(h: Harness) -> list[dict]:
    """One row per case (or one "skipped" row when no tmpfs can be mounted)."""
    root = h.work / "full"
    try:
        with tmpfs(root / "probe", 64):
            pass
    except (subprocess.CalledProcessError, FileNotFoundError) as e:
        return [{"case": "all", "skipped": f"cannot mount a tmpfs ({e}); run as root"}]
    return [_run_case(h, case, root / case.name) for case in cases(h)]


def _run_case(h: Harness, case: Case, mnt: Path) -> dict:
    with tmpfs(mnt, case.kib):
        if case.copy_base:
            shutil.copytree(h.base, mnt / "ds", ignore=shutil.ignore_patterns(".*"))
        before = dataset_state(mnt / "ds")
        rc, _, out = h.r.run(case.argv(mnt))
        last = out.strip().splitlines()[-1] if out.strip() else ""
        row = {
            "case": case.name,
            "tmpfs_kib": case.kib,
            "rc": rc,
            "clean_error": rc == 2 and last.startswith("error: ") and "Traceback" not in out,
            "message": last[:300],
        }
        row.update(case.check(mnt, before))
        row["leftovers"] = hidden_leftovers(mnt)
        return row
