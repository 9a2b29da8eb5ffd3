"""`simplevla train` through the real CLI on a LeRobotDataset v3.0 written to disk."""

from __future__ import annotations

import json
import os

import pytest
from training_fakes import write_dataset

from simplevla import load_policy
from simplevla.cli import main

TINY_FLAGS = [
    "--policy.image-size",
    "16",
    "--policy.vision-channels",
    "8",
    "8",
    "--policy.keypoints",
    "4",
    "--policy.text-embed-dim",
    "8",
    "--policy.text-dim",
    "16",
    "--policy.head-hidden",
    "32",
    "--batch-size",
    "8",
    "--threads",
    "1",
    "--warmup-steps",
    "1",
    "--val-every",
    "2",
    "--log-every",
    "1",
]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return write_dataset(tmp_path_factory.mktemp("data") / "ds")


def _train(dataset, run, *extra, capsys=None):
    argv = ["train", "--dataset", str(dataset), "--out", str(run), *TINY_FLAGS, "--json", *extra]
    rc = main(argv)
    return rc, json.loads(capsys.readouterr().out.strip().splitlines()[-1]) if capsys and rc == 0 else None


@pytest.mark.slow
def test_train_cli_writes_run_layout_and_resumes(dataset, tmp_path, capsys):
    run = tmp_path / "run"
    rc, out = _train(dataset, run, "--steps", "4", "--save-every", "2", capsys=capsys)
    assert rc == 0 and out["steps"] == 4 and out["params"] > 0
    ckpts = run / "checkpoints"
    assert sorted(p.name for p in ckpts.iterdir() if not p.name.startswith(".")) == [
        "000002",
        "000004",
        "last",
    ]
    assert os.readlink(ckpts / "last") == "000004"
    for name in (
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "stats.json",
        "training_state/optimizer.pt",
        "training_state/state.json",
        "training_state/rng.safetensors",
    ):
        assert (ckpts / "000004" / name).is_file(), name
    assert (run / "train_log.csv").read_text().startswith("step,loss,val_loss,lr")
    assert (run / "loss.png").read_bytes()[:4] == b"\x89PNG"
    assert load_policy(run).config.image_size == 16

    rc, out = _train(dataset, run, "--steps", "6", "--save-every", "2", "--resume", capsys=capsys)
    assert rc == 0 and out["resumed_from"] == 4 and os.readlink(ckpts / "last") == "000006"


def test_debug_preset_simple(dataset, tmp_path, capsys):
    rc, out = _train(
        dataset,
        tmp_path / "dbg",
        "--preset",
        "simple",
        "--policy.vision-channels",
        "8",
        "8",
        "8",
        "8",
        "--debug",
        capsys=capsys,
    )
    assert rc == 0 and out["steps"] == 5 and out["preset"] == "simple"


def test_mismatched_dataset_is_a_clean_error(dataset, tmp_path, capsys):
    rc = main(
        ["train", "--dataset", str(dataset), "--out", str(tmp_path / "r"), "--steps", "2", "--threads", "1"]
    )
    assert rc == 2
    assert "expects 64x64" in capsys.readouterr().err


def test_unknown_flag_is_an_error(dataset, tmp_path):
    with pytest.raises(SystemExit) as e:
        main(["train", "--dataset", str(dataset), "--out", str(tmp_path), "--policy.no-such-field", "1"])
    assert e.value.code != 0
