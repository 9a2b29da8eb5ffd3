"""Meta-World end to end, small: record two scripted episodes, train a tiny policy on them for a few steps
(4-D state and action taken from the dataset), evaluate it per task. Skips without the `metaworld` extra."""

from __future__ import annotations

import json

import pytest

from simplevla.envs.metaworld.render import select_gl

select_gl()  # before `metaworld` imports MuJoCo, which reads MUJOCO_GL once
pytest.importorskip(
    "metaworld",
    reason="Meta-World is not installed: `make install-metaworld` (pip install -e '.[metaworld]')",
)

from simplevla.collect.commands import RecordCommand  # noqa: E402
from simplevla.data.reader import load_dataset  # noqa: E402
from simplevla.envs.metaworld import tasks as mt10  # noqa: E402
from simplevla.eval.closed_loop import evaluate  # noqa: E402
from simplevla.models import PolicyConfig, load_policy  # noqa: E402
from simplevla.train.config import TrainConfig  # noqa: E402
from simplevla.train.loop import train  # noqa: E402

TINY_MW = dict(
    image_size=32,
    vision_channels=(8, 8),
    keypoints=4,
    vision_dim=16,
    text_embed_dim=8,
    text_dim=16,
    head_hidden=32,
    aux_weight=0.0,
    plan_input=False,
    parse_weight=0.0,
)


@pytest.mark.slow
def test_record_train_eval_metaworld(tmp_path):
    data = tmp_path / "mw"
    summary = RecordCommand(
        out=data, env="metaworld", tasks=("reach",), episodes=2, size=32, progress=False
    ).run()
    assert summary["recorded"] == 2
    ds = load_dataset(data)
    assert ds.meta.features["observation.state"]["shape"] == [4]
    assert ds.meta.features["action"]["shape"] == [4] and ds.meta.features["aux.task_xy"]["shape"] == [4]
    assert ds.meta.info["simplevla"]["env"]["id"] == "simplevla/MetaWorld-v0"
    assert set(ds.meta.tasks) <= set(mt10.instructions("reach", "train_rich"))  # record's default wording

    cfg = TrainConfig(dataset=data, out=tmp_path / "run", steps=3, batch_size=8, val_every=0, threads=1)
    result = train(cfg, PolicyConfig(**{**TINY_MW, "aux_weight": 1.0, "plan_input": True}))  # reads task_xy
    policy = load_policy(result["checkpoint"])
    assert (policy.config.state_dim, policy.config.action_dim) == (4, 4) and policy.config.plan_input

    info = evaluate(
        policy,
        tmp_path / "eval",
        ["reach"],
        episodes=2,
        envs=2,
        videos=0,
        max_steps=5,
        progress=False,
        env="metaworld",
    )
    assert set(info["per_group"]) == {"reach"} and info["per_group"]["reach"]["n_episodes"] == 2
    assert info["per_episode"][0]["task"] == "reach" and info["per_episode"][0]["steps"] == 5
    assert json.loads((tmp_path / "eval" / "eval_info.json").read_text())["env"] == "simplevla/MetaWorld-v0"


@pytest.mark.slow
def test_two_mt50_tasks_record_train_eval_with_workers(tmp_path):
    """Two tasks outside MT10 (one easy, one very hard) recorded by two workers with an enlarged goal marker,
    trained tiny, evaluated by two workers: per-task and per-difficulty results, in the selection's order."""
    tasks = ("coffee-button", "stick-push")
    data = tmp_path / "mt50"
    summary = RecordCommand(
        out=data,
        env="metaworld",
        tasks=tasks,
        episodes=2,
        size=32,
        workers=2,
        goal_marker=3.0,
        progress=False,
    ).run()
    assert summary["recorded"] == 2
    ds = load_dataset(data)
    assert {t for t in ds.meta.tasks} <= set(mt10.instructions("coffee-button", "train_rich")) | set(
        mt10.instructions("stick-push", "train_rich")
    )
    assert dict(ds.meta.info["simplevla"]["env"]["env_options"]) == {"goal_marker": 3.0}

    cfg = TrainConfig(dataset=data, out=tmp_path / "run", steps=3, batch_size=8, val_every=0, threads=1)
    policy = load_policy(train(cfg, PolicyConfig(**TINY_MW))["checkpoint"])
    info = evaluate(
        policy,
        tmp_path / "eval",
        tasks,
        episodes=2,
        envs=2,
        videos=1,
        max_steps=4,
        progress=False,
        env="metaworld",
        workers=2,
        env_options={"goal_marker": 3.0},
    )
    assert list(info["per_group"]) == list(tasks)
    assert [e["task"] for e in info["per_episode"]] == ["coffee-button"] * 2 + ["stick-push"] * 2
    assert [e["episode_ix"] for e in info["per_episode"]] == [0, 1, 2, 3]
    assert set(info["per_subset"]) == {"easy", "very_hard"} and info["per_subset"]["easy"]["groups"] == 1
    assert info["overall"]["mean_of_subsets"] == pytest.approx(
        (info["per_group"]["coffee-button"]["pc_success"] + info["per_group"]["stick-push"]["pc_success"]) / 2
    )
    assert len(info["overall"]["video_paths"]) == 2  # one per task, written by the workers
    assert all((tmp_path / "eval" / p).exists() for p in info["overall"]["video_paths"])
