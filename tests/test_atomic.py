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
