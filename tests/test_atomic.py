"""Atomic writes: the target holds the old or the new content, never a mix; failures leave no litter."""

from __future__ import annotations

import json
import os
import stat

import pytest

from simplevla.atomic import atomic_dir, atomic_write_bytes, atomic_write_json


def test_write_bytes_replaces_and_keeps_permissions(tmp_path) -> None:
    path = tmp_path / "a" / "f.bin"
    atomic_write_bytes(path, b"old")
    atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"new"
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask
    assert sorted(p.name for p in path.parent.iterdir()) == ["f.bin"]


def test_write_json_roundtrip(tmp_path) -> None:
    atomic_write_json(tmp_path / "x.json", {"a": [1, 2], "b": "c"})
    assert json.loads((tmp_path / "x.json").read_text()) == {"a": [1, 2], "b": "c"}


def test_atomic_dir_failure_keeps_previous(tmp_path) -> None:
    target = tmp_path / "ds"
    with atomic_dir(target) as tmp:
        (tmp / "v").write_text("1")
    with pytest.raises(RuntimeError), atomic_dir(target) as tmp:
        (tmp / "v").write_text("2")
        raise RuntimeError("killed mid-write")
    assert (target / "v").read_text() == "1"
    assert [p.name for p in tmp_path.iterdir()] == ["ds"]


def test_atomic_dir_replaces_existing(tmp_path) -> None:
    target = tmp_path / "ds"
    for v in ("1", "2"):
        with atomic_dir(target) as tmp:
            (tmp / "v").write_text(v)
    assert (target / "v").read_text() == "2"
    assert [p.name for p in tmp_path.iterdir()] == ["ds"]


def _dead_pid() -> int:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_next_write_removes_what_a_killed_writer_left(tmp_path) -> None:
    from simplevla.atomic import clean_stale

    dead = _dead_pid()
    (tmp_path / f".ds.tmp-{dead}-abc").mkdir()  # a killed recording's half-written dataset
    (tmp_path / f".ds.tmp-{os.getpid()}-live").mkdir()  # a live writer's: kept
    (tmp_path / f".other.tmp-{dead}-x").mkdir()  # another target's: left for its own next write
    with atomic_dir(tmp_path / "ds") as tmp:
        (tmp / "v").write_text("1")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [f".ds.tmp-{os.getpid()}-live", f".other.tmp-{dead}-x", "ds"]
    assert clean_stale(tmp_path) == [f"removed {tmp_path / f'.other.tmp-{dead}-x'}"]


def test_a_swap_cut_between_its_two_renames_is_restored(tmp_path) -> None:
    """Where RENAME_EXCHANGE is missing the swap takes two renames; a kill between them leaves the previous
    version as `.NAME.old-PID`, which the next writer (or `clean_stale`) puts back."""
    from simplevla.atomic import clean_stale

    old = tmp_path / f".ds.old-{_dead_pid()}"
    old.mkdir()
    (old / "v").write_text("1")
    assert clean_stale(tmp_path, "ds")[0].startswith("restored")
    assert (tmp_path / "ds" / "v").read_text() == "1" and [p.name for p in tmp_path.iterdir()] == ["ds"]


def test_a_full_disk_is_a_clear_error_and_changes_nothing(tmp_path, monkeypatch) -> None:
    import errno

    import simplevla.atomic as atomic
    from simplevla.errors import SimplevlaError

    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    target = tmp_path / "ds"
    with atomic_dir(target) as tmp:
        (tmp / "v").write_text("1")
    with pytest.raises(SimplevlaError, match=r"ds: the disk is full.*nothing was changed"):
        with atomic_dir(target) as tmp:
            (tmp / "v").write_text("2")
            full()
    monkeypatch.setattr(atomic.os, "fsync", full)
    with pytest.raises(SimplevlaError, match=r"f.bin: the disk is full"):
        atomic_write_bytes(tmp_path / "f.bin", b"x")
    monkeypatch.undo()
    assert (target / "v").read_text() == "1" and sorted(p.name for p in tmp_path.iterdir()) == ["ds"]


def test_a_file_write_removes_its_dead_writers_temporaries(tmp_path) -> None:
    dead = _dead_pid()
    (tmp_path / f".train_log.csv.tmp-{dead}-abc").write_text("half")  # a run killed while rewriting its log
    (tmp_path / f".train_log.csv.tmp-{os.getpid()}-live").write_text("")  # a live writer's: kept
    atomic_write_bytes(tmp_path / "train_log.csv", b"step,loss\n")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [f".train_log.csv.tmp-{os.getpid()}-live", "train_log.csv"]


def test_a_full_disk_inside_safetensors_is_the_same_clear_error(tmp_path) -> None:
    """safetensors reports a full disk as its own SafetensorError (no OSError): found by the soak, where a
    checkpoint save on a full tmpfs ended in a traceback."""
    from safetensors import SafetensorError

    from simplevla.atomic import is_disk_full
    from simplevla.errors import SimplevlaError

    full = SafetensorError("Error while serializing: I/O error: No space left on device (os error 28)")
    assert (
        is_disk_full(full)
        and not is_disk_full(SafetensorError("invalid header"))
        and not is_disk_full(KeyboardInterrupt("No space left on device"))
    )
    target = tmp_path / "000004"
    with pytest.raises(SimplevlaError, match=r"000004: the disk is full"):
        with atomic_dir(target) as tmp:
            (tmp / "model.safetensors").write_bytes(b"partial")
            raise full
    assert sorted(p.name for p in tmp_path.iterdir()) == []
