"""End-to-end: the quickstart's own code path (record → train both presets → eval both splits → report) at
tiny sizes. Checks that every output exists and parses; the success bar itself is a benchmark."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from simplevla.cli import main
from simplevla.envs.tabletop.tasks import FAMILIES
from simplevla.quickstart import BATCH


@pytest.mark.slow
def test_quickstart_tiny_writes_every_output(tmp_path, capsys) -> None:
    out = tmp_path / "qs"
    assert (
        main(["quickstart", "--out", str(out), "--tiny", "--workers", "1", "--eval-envs", "5", "--json"]) == 0
    )
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["report"] == str(out / "report.md")

    results = json.loads((out / "quickstart.json").read_text())
    assert results["record"]["recorded"] > 0
    for preset in ("default", "simple"):
        run = out / preset
        assert (run / "checkpoints" / "last").exists()
        assert results["train"][preset]["global_batch"] == BATCH[preset]  # `default` 32, `simple` 64
        assert (run / "train_log.csv").read_text().count("\n") >= 2
        with Image.open(run / "loss.png") as im:
            assert im.size[0] > 100
        for split in ("train", "heldout"):
            info = json.loads((run / "eval" / split / "eval_info.json").read_text())
            assert info["split"] == split
            assert set(info["per_group"]) == set(FAMILIES)
            assert len(info["per_episode"]) == 2 * len(FAMILIES)
            for ep in info["per_episode"]:
                assert ep["seed"] >= 1_000_000 and isinstance(ep["instruction"], str) and ep["instruction"]
            lo, hi = info["overall"]["ci95"]
            assert 0 <= lo <= info["overall"]["pc_success"] <= hi <= 100
            assert info["overall"]["eval_s"] > 0
            for rel in info["overall"]["video_paths"]:
                assert (run / "eval" / split / rel).stat().st_size > 0
            with Image.open(run / "eval" / split / "success.png") as im:
                assert im.size[0] > 100
            assert summary[f"pc_success.{preset}/{split}"] == round(info["overall"]["pc_success"], 1)
            assert ("per_part" in results["eval"][f"{preset}/{split}"]) == (split == "heldout")
    report = (out / "report.md").read_text()
    for needle in (
        "| family |",
        "default/train",
        "simple/heldout",
        "Wall time",
        "| held-out part |",
        "an unseen word",
        "Machine:",
        "loss.png",
        "success.png",
    ):
        assert needle in report


@pytest.mark.slow
def test_quickstart_rerun_reuses_data_and_finished_runs(tmp_path, capsys) -> None:
    out = tmp_path / "qs"
    args = ["quickstart", "--out", str(out), "--tiny", "--workers", "1", "--eval-envs", "5", "--videos", "0"]
    assert main(args) == 0
    ckpts = sorted(p.name for p in (out / "default" / "checkpoints").iterdir())
    assert main([*args, "--json"]) == 0  # a second `make demo` must not fail on existing outputs
    results = json.loads((out / "quickstart.json").read_text())
    assert results["record"]["reused"] is True
    assert sorted(p.name for p in (out / "default" / "checkpoints").iterdir()) == ckpts  # nothing retrained
    assert (out / "report.md").exists()
