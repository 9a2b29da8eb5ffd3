"""The ladder: its last rung is the `default` preset and its first the tutorial's model, each rung changes the
config, and at a tiny size two rungs write their configs, results, the table and both charts; a rung that is
done is read back, not trained again; `simplevla basics ladder` prints the shipped measurement."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest
from PIL import Image

import simplevla.ladder as ladder_mod
from simplevla.cli import main as cli
from simplevla.ladder import MEASURED, RUNGS, rung_config
from simplevla.models import PolicyConfig

ROOT = Path(__file__).resolve().parents[1]


def test_rungs_climb_from_the_tutorial_model_to_default():
    assert rung_config(0).to_dict() == PolicyConfig(preset="simple").to_dict()
    top = rung_config(len(RUNGS) - 1).to_dict()
    assert {**top, "preset": "default"} == PolicyConfig(preset="default").to_dict()
    for k in range(1, len(RUNGS)):
        assert rung_config(k).to_dict() != rung_config(k - 1).to_dict(), RUNGS[k][0]


@pytest.mark.slow
def test_tiny_ladder_writes_configs_results_table_and_charts(tmp_path, monkeypatch, capsys):
    main = runpy.run_path(str(ROOT / "experiments" / "ladder.py"))["main"]
    out = tmp_path / "ladder"
    args = ["--size", "tiny", "--rungs", "0", "7", "--out", str(out), "--workers", "1", "--eval-envs", "2"]
    ladder = main(args)
    assert [r["rung"] for r in ladder["rungs"]] == [0, 7]
    for r in ladder["rungs"]:
        rung_dir = out / f"{r['rung']}_{r['name']}"
        saved = json.loads((rung_dir / "rung_config.json").read_text())["config"]
        assert saved == rung_config(r["rung"]).to_dict()
        assert r["config"]["state_dim"] == 2 and r["params"] > 0 and r["samples_per_s"] > 0
        assert set(r["success"]) == {"train", "heldout"}  # own wording is skipped at the tiny size
        assert 0 <= r["success"]["heldout"]["pc"] <= 100
    summary, *per_family = (out / "ladder.md").read_text().split("\n\n")
    assert summary.count("\n| ") == 2 and "| 0 tutorial |" in summary and "| 7 words |" in summary  # two rows
    assert [t.splitlines()[0].split(" | ")[0] for t in per_family] == [
        "| rung (train wording)",
        "| rung (heldout wording)",
    ]
    assert "0 tutorial" in capsys.readouterr().out
    for png in ("ladder.png", "rollouts.png"):
        assert Image.open(out / png).size[0] > 100
    monkeypatch.setattr(ladder_mod, "train", lambda *a, **k: pytest.fail("a done rung was trained again"))
    again = main(args)

    def trained(rungs: list[dict]) -> list[dict]:  # all but the step timing, which every call measures anew
        return [{k: v for k, v in r.items() if k != "step_samples_per_s"} for r in rungs]

    assert trained(again["rungs"]) == trained(ladder["rungs"])
    assert all(r["step_samples_per_s"] > 0 for r in again["rungs"])


def test_basics_ladder_prints_the_shipped_measurement(capsys):
    shipped = json.loads(MEASURED.read_text())
    assert shipped["size"] == "full" and [r["rung"] for r in shipped["rungs"]] == list(range(len(RUNGS)))
    assert cli(["basics", "ladder"]) == 0
    printed = capsys.readouterr().out
    assert all(f"| {k} {name} |" in printed for k, (name, _, _) in enumerate(RUNGS))
