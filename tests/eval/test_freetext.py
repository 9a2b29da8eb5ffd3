"""Free text (`eval --instruction-file`, `try`) and the held-out breakdown in eval_info.json."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))
from model_helpers import STATS, TASKS, TINY  # noqa: E402

from simplevla.cli import main  # noqa: E402
from simplevla.envs.tabletop.env import TabletopEnv  # noqa: E402
from simplevla.errors import SimplevlaError  # noqa: E402
from simplevla.eval.closed_loop import evaluate  # noqa: E402
from simplevla.eval.freetext import evaluate_instructions, read_instruction_file  # noqa: E402
from simplevla.models import PolicyConfig, make_policy, save_policy  # noqa: E402


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    policy = make_policy(PolicyConfig(**{**TINY, "image_size": 32}), STATS, TASKS)  # the env renders >= 32
    return save_policy(policy, tmp_path_factory.mktemp("policy") / "ckpt")


def test_instruction_file_reads_tsv_json_and_comments(tmp_path):
    f = tmp_path / "mine.tsv"
    f.write_text(
        "# family, seed, instruction\n"
        "reach\t7\tgo touch the scarlet ball\n"
        "\n"
        '{"family": "push_direction", "seed": 3, "instruction": "drag  the cube leftwards"}\n'
    )
    assert read_instruction_file(f) == [
        {"family": "reach", "seed": 7, "instruction": "go touch the scarlet ball"},
        {"family": "push_direction", "seed": 3, "instruction": "drag the cube leftwards"},
    ]


@pytest.mark.parametrize(
    "line, needle",
    [
        ("reach\t7", "expected 3 tab-separated fields"),
        ("fly\t7\tgo up", "family 'fly' is unknown"),
        ("reach\tseven\tgo", "seed 'seven' is not an integer"),
        ("reach\t-1\tgo", "seed -1 is negative"),
        ("reach\t7\t   ", "the instruction is empty"),
        ("reach\t7\tgo\x07 there", "without control characters"),
        ("reach\t7\t" + "a" * 1001, "at most 1000 characters"),
        ('{"family": "reach", "seed": 1}', "missing fields ['instruction']"),
        ('{"family": "reach", ', "not a JSON object"),
    ],
)
def test_instruction_file_errors_name_the_line(tmp_path, line, needle):
    f = tmp_path / "bad.tsv"
    f.write_text("reach\t1\tgo to the red one\n" + line + "\n")
    with pytest.raises(SimplevlaError, match=rf"bad\.tsv:2: .*{__import__('re').escape(needle)}"):
        read_instruction_file(f)
    f.write_text("# only a comment\n")
    with pytest.raises(SimplevlaError, match="no instructions"):
        read_instruction_file(f)


def test_instruction_replaces_the_wording_and_the_task_judges(ckpt, tmp_path):
    from simplevla import load_policy

    rows = [
        {"family": "reach", "seed": 11, "instruction": "go touch the scarlet ball"},
        {"family": "push_direction", "seed": 12, "instruction": "drag the cube leftwards"},
    ]
    info = evaluate_instructions(load_policy(ckpt), rows, tmp_path / "out", videos=1)
    assert [e["instruction"] for e in info["per_episode"]] == [r["instruction"] for r in rows]
    for row, ep in zip(rows, info["per_episode"], strict=True):
        env = TabletopEnv(families=[row["family"]])
        _, env_info = env.reset(seed=row["seed"])  # the same scene and task `env show --family F` shows
        assert ep["env_instruction"] == env_info["task"] and ep["task_spec"] == env_info["task_spec"]
    assert set(info["per_group"]) == {"reach", "push_direction"} and info["overall"]["n_episodes"] == 2
    assert (tmp_path / "out" / info["overall"]["video_paths"][0]).stat().st_size > 0
    assert json.loads((tmp_path / "out" / "eval_info.json").read_text())["split"] == "instruction_file"


@pytest.mark.slow
def test_eval_instruction_file_and_try_through_the_cli(ckpt, tmp_path, capsys):
    f = tmp_path / "mine.tsv"
    f.write_text("separate\t5\tsplit the two touching pieces\n")
    out = tmp_path / "ev"
    assert (
        main(["eval", "--policy", str(ckpt), "--instruction-file", str(f), "--out", str(out), "--json"]) == 0
    )
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["lines"] == 1 and result["line1"] in ("ok", "fail")
    assert main(["try", "--policy", str(ckpt), "--seed", "3", "--instruction", "go to the red one", "--out",
                 str(tmp_path / "try"), "--json"]) == 0  # fmt: skip
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert Path(result["video"]).stat().st_size > 0 and result["family"] and result["task"]
    with pytest.raises(SystemExit) as exit_:  # tyro reports a config's ValueError and exits 2
        main(["try", "--policy", str(ckpt), "--instruction", " "])
    assert exit_.value.code == 2 and "instruction is empty" in capsys.readouterr().err


def test_heldout_eval_reports_parts(ckpt, tmp_path):
    from simplevla import load_policy

    info = evaluate(
        load_policy(ckpt),
        tmp_path,
        episodes=3,
        split="heldout",
        envs=3,
        videos=0,
        max_steps=3,
        progress=False,
    )
    parts = info["per_part"]
    n = len(info["per_episode"])
    assert parts["template_only"]["n_episodes"] + parts["unseen_word"]["n_episodes"] == n
    slots = {k for k in parts if k.startswith("slot.")}
    assert slots and slots <= {f"slot.{s}" for s in ("colour", "shape", "noun", "verb", "place", "direction")}
    assert all(parts[k]["n_episodes"] <= parts["unseen_word"]["n_episodes"] for k in slots)
    train = evaluate(
        load_policy(ckpt), tmp_path / "t", episodes=1, envs=1, videos=0, max_steps=2, progress=False
    )
    assert "per_part" not in train


@pytest.mark.slow
def test_async_vector_env_gives_the_sync_results(ckpt, tmp_path):
    from simplevla import load_policy

    kw = dict(groups=("reach", "push_direction"), episodes=3, envs=2, videos=1, max_steps=6, progress=False)
    sync = evaluate(load_policy(ckpt), tmp_path / "s", **kw)
    asyn = evaluate(load_policy(ckpt), tmp_path / "a", vector="async", **kw)
    assert asyn["per_episode"] == sync["per_episode"]
    assert (tmp_path / "a" / asyn["overall"]["video_paths"][0]).stat().st_size > 0
