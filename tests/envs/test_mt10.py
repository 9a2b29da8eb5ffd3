"""MT10's task list and instruction splits (pure data: runs without the `metaworld` extra)."""

from __future__ import annotations

import numpy as np
import pytest

from simplevla.envs.metaworld import tasks as mt10


def test_mt10_tasks_and_lerobot_wording():
    assert len(mt10.MT10) == 10 and set(mt10.TRAIN) == set(mt10.HELDOUT) == set(mt10.MAX_STEPS) == set(
        mt10.MT10
    )
    assert mt10.TRAIN["reach"] == "Reach a goal position"
    assert mt10.TRAIN["peg-insert-side"] == "Insert a peg sideways"


def test_heldout_wording_never_in_train():
    train = {t for task in mt10.MT10 for t in mt10.instructions(task, "train")}
    heldout = [t for task in mt10.MT10 for t in mt10.instructions(task, "heldout")]
    assert not train & set(heldout) and len(set(heldout)) == len(heldout)
    rng = np.random.default_rng(0)
    for task in mt10.MT10:
        assert mt10.make_instruction(rng, task, "train") == mt10.TRAIN[task]
        assert mt10.make_instruction(rng, task, "heldout") in mt10.HELDOUT[task]


def test_bad_task_and_split():
    with pytest.raises(ValueError, match="unknown"):
        mt10.check_tasks(["reach", "fly"])
    with pytest.raises(ValueError, match="split"):
        mt10.make_instruction(np.random.default_rng(0), "reach", "test")
    assert mt10.check_tasks(None) == mt10.MT10 and mt10.check_tasks("push") == ("push",)


def test_rich_wording_holds_no_heldout_word_or_stem():
    """The paraphrases added for training share no word (or stem) with the held-out paraphrases that the
    training description lacks, and the rich split draws LeRobot's description and those paraphrases."""
    import re

    from simplevla.envs.tabletop.wording import _related

    def words(text: str) -> set[str]:
        return set(re.findall(r"[a-z]+", text.lower()))

    train = set().union(*(words(mt10.TRAIN[t]) for t in mt10.MT10))
    heldout_only = set().union(*(words(h) for t in mt10.MT10 for h in mt10.HELDOUT[t])) - train
    rng = np.random.default_rng(0)
    for task in mt10.MT10:
        assert len(mt10.TRAIN_EXTRA[task]) >= 4
        for text in mt10.TRAIN_EXTRA[task]:
            for w in words(text) - train:
                assert not any(_related(w, h) for h in heldout_only), (task, text, w)
        drawn = {mt10.make_instruction(rng, task, "train_rich") for _ in range(200)}
        assert drawn == set(mt10.instructions(task, "train_rich"))
