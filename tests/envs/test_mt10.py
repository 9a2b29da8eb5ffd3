"""Meta-World's task lists (MT50, MT10, difficulty groups) and instruction splits (pure data: runs
without the `metaworld` extra)."""

from __future__ import annotations

import numpy as np
import pytest

from simplevla.envs.metaworld import tasks as mt10


def test_mt50_tasks_and_lerobot_wording():
    assert len(mt10.MT50) == len(set(mt10.MT50)) == 50
    assert (
        set(mt10.TRAIN) == set(mt10.HELDOUT) == set(mt10.TRAIN_EXTRA) == set(mt10.MAX_STEPS) == set(mt10.MT50)
    )
    assert len(mt10.MT10) == len(set(mt10.MT10)) == 10 and set(mt10.MT10) < set(mt10.MT50)
    assert all(len(mt10.HELDOUT[t]) == 2 for t in mt10.MT50)
    assert mt10.TRAIN["reach"] == "Reach a goal position"
    assert mt10.TRAIN["peg-insert-side"] == "Insert a peg sideways"


def test_difficulty_groups_partition_mt50():
    groups = mt10.DIFFICULTY
    assert {name: len(tasks) for name, tasks in groups.items()} == {
        "easy": 28,
        "medium": 11,
        "hard": 6,
        "very_hard": 5,
    }
    everything = [t for tasks in groups.values() for t in tasks]
    assert len(everything) == len(set(everything)) == 50 and set(everything) == set(mt10.MT50)
    assert mt10.check_tasks("hard") == groups["hard"]
    assert mt10.check_tasks(["mt10", "reach"]) == mt10.MT10  # a set and one of its tasks: no repeats
    assert mt10.check_tasks("mt50") == mt10.MT50
    with pytest.raises(ValueError, match="unknown"):
        mt10.check_tasks("mt100")


def test_heldout_wording_never_in_train():
    train = {t for task in mt10.MT50 for t in mt10.instructions(task, "train_rich")}
    heldout = [t for task in mt10.MT50 for t in mt10.instructions(task, "heldout")]
    assert not train & set(heldout) and len(set(heldout)) == len(heldout)
    rng = np.random.default_rng(0)
    for task in mt10.MT50:
        assert mt10.make_instruction(rng, task, "train") == mt10.TRAIN[task]
        assert mt10.make_instruction(rng, task, "heldout") in mt10.HELDOUT[task]


def test_bad_task_and_split():
    with pytest.raises(ValueError, match="unknown"):
        mt10.check_tasks(["reach", "fly"])
    with pytest.raises(ValueError, match="split"):
        mt10.make_instruction(np.random.default_rng(0), "reach", "test")
    assert mt10.check_tasks(None) == mt10.MT10 and mt10.check_tasks("push") == ("push",)


def test_rich_wording_holds_no_heldout_word_or_stem():
    """The paraphrases added for training (all fifty tasks) share no word (or stem) with the held-out
    paraphrases of any task that the training descriptions lack, and the rich split draws LeRobot's
    description and those paraphrases."""
    import re

    from simplevla.envs.tabletop.wording import _related

    def words(text: str) -> set[str]:
        return set(re.findall(r"[a-z]+", text.lower()))

    train = set().union(*(words(mt10.TRAIN[t]) for t in mt10.MT50))
    heldout_only = set().union(*(words(h) for t in mt10.MT50 for h in mt10.HELDOUT[t])) - train
    rng = np.random.default_rng(0)
    for task in mt10.MT50:
        assert len(mt10.TRAIN_EXTRA[task]) >= 4
        for text in mt10.TRAIN_EXTRA[task]:
            for w in words(text) - train:
                assert not any(_related(w, h) for h in heldout_only), (task, text, w)
        drawn = {mt10.make_instruction(rng, task, "train_rich") for _ in range(200)}
        assert drawn == set(mt10.instructions(task, "train_rich"))
