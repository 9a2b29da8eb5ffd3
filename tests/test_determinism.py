"""Determinism on CPU: one seed gives a byte-identical dataset (with 1 or 2 recording workers) and an
identical loss curve and weights. (GPUs are another matter: docs/reliability.md.)"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from simplevla.collect.record import EnvSpec, record


def tree_digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_a_byte_identical_dataset(tmp_path):
    spec = EnvSpec(size=32, task_xy=True, noise=0.2)
    record(tmp_path / "a", 4, spec, seed=7, workers=1, progress=False)
    record(tmp_path / "b", 4, spec, seed=7, workers=2, progress=False)
    a, b = tree_digest(tmp_path / "a"), tree_digest(tmp_path / "b")
    assert len(a) >= 5 and a == b
    record(tmp_path / "c", 4, spec, seed=8, workers=1, progress=False)
    assert tree_digest(tmp_path / "c") != a  # ... and the seed matters


def _losses(run: Path) -> list[tuple[str, str, str]]:
    with open(run / "train_log.csv", newline="") as f:
        return [(r["step"], r["loss"], r["val_loss"]) for r in csv.DictReader(f)]


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["default", "simple"])
def test_same_seed_gives_an_identical_loss_curve(tmp_path, monkeypatch, preset):
    monkeypatch.syspath_prepend(str(Path(__file__).parent / "training"))
    from training_fakes import TINY, TINY_SIMPLE, tiny_cache

    from simplevla.models import PolicyConfig
    from simplevla.train.config import TrainConfig
    from simplevla.train.data import make_source
    from simplevla.train.loop import train

    over = TINY if preset == "default" else TINY_SIMPLE
    pcfg = PolicyConfig(preset=preset, **over, chunk_size=3, n_action_steps=2)

    def run(name: str, seed: int) -> Path:
        cfg = TrainConfig(
            out=tmp_path / name,
            steps=12,
            save_every=12,
            batch_size=8,
            threads=1,
            warmup_steps=2,
            seed=seed,
            val_every=4,
            log_every=1,
        )
        train(cfg, pcfg, make_source(tiny_cache(), pcfg, val_fraction=0.2, seed=seed))
        return tmp_path / name

    a, b, c = run("a", 0), run("b", 0), run("c", 1)
    assert len(_losses(a)) == 12 and _losses(a) == _losses(b)  # every logged digit
    wa, wb = (load_file(str(r / "checkpoints" / "000012" / "model.safetensors")) for r in (a, b))
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    assert _losses(c) != _losses(a)
