"""Crash consistency, small: one SIGKILL per command through the harness of benchmarks/faults.py
(`benchmarks/faultkit/`; its full run takes `--trials 20`), and a full disk faked in-process during record
and checkpoint save (no root needed)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import faultkit
import pytest

from simplevla.errors import SimplevlaError

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "fork"), reason="the harness forks")
def test_one_kill_per_command_loses_nothing_and_resumes_bit_identical(tmp_path):
    out = faultkit.run(trials=1, seed=3, work=tmp_path, full_disk=os.geteuid() == 0)
    for row in out["summary"]:
        assert row["lost/corrupt"] == row["stray"] == row["orphans"] == 0, row
        assert row["bit-identical"] == row["trials"] == 1, row
    assert not out["failures"], out["failures"]
    for row in out["disk_full"]:
        assert row.get("skipped") or (row["clean_error"] and row["intact"] and not row["leftovers"]), row


def _no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_full_disk_during_record_keeps_the_previous_dataset(tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    from simplevla.collect.record import EnvSpec, record
    from simplevla.data import load_dataset

    spec = EnvSpec(size=32)
    record(tmp_path / "ds", 2, spec, progress=False)
    before = load_dataset(tmp_path / "ds").meta.total_episodes
    monkeypatch.setattr(pq.ParquetWriter, "write_table", _no_space)
    with pytest.raises(SimplevlaError, match=r"ds: the disk is full.*nothing was changed"):
        record(tmp_path / "ds", 2, spec, resume=True, progress=False)
    monkeypatch.undo()
    assert load_dataset(tmp_path / "ds").meta.total_episodes == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".ds.lock", "ds"]


def test_full_disk_during_checkpoint_save_keeps_the_earlier_checkpoints(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "tests" / "training"))
    from training_fakes import TINY, tiny_cache

    import simplevla.train.checkpointing as ckpt
    from simplevla import load_policy
    from simplevla.models import PolicyConfig
    from simplevla.train.config import TrainConfig
    from simplevla.train.data import make_source
    from simplevla.train.loop import train

    pcfg = PolicyConfig(**TINY, chunk_size=3, n_action_steps=2)
    data = make_source(tiny_cache(), pcfg, val_fraction=0.2, seed=0)
    cfg = TrainConfig(out=tmp_path / "run", steps=8, save_every=4, batch_size=8, threads=1, warmup_steps=2)
    real, calls = ckpt.save_file, []

    def fills_up(*args, **kwargs):  # the second checkpoint hits a full disk
        calls.append(1)
        if len(calls) > 1:
            _no_space()
        return real(*args, **kwargs)

    monkeypatch.setattr(ckpt, "save_file", fills_up)
    with pytest.raises(SimplevlaError, match=r"000008: the disk is full"):
        train(cfg, pcfg, data)
    monkeypatch.undo()
    names = sorted(p.name for p in (tmp_path / "run" / "checkpoints").iterdir())
    assert names == ["000004", "last"]
    assert load_policy(tmp_path / "run").config.chunk_size == 3
