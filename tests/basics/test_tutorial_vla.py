"""Shapes and properties of the tutorial's SimpleVLA parts, and the vla-shapes lesson."""

from __future__ import annotations

import torch

from simplevla.basics import ActionDecoder, LanguageEncoder, SimpleVLA, VisionEncoder, vla_shapes


def test_vla_shapes_lesson_reports_the_tutorials_shapes() -> None:
    r = vla_shapes()
    assert r["images"] == [2, 3, 224, 224]
    assert r["tokens"] == [2, 16]
    assert r["vision_features"] == [2, 512]
    assert r["language_features"] == [2, 512]
    assert r["fused_features"] == [2, 1024]
    assert r["actions"] == [2, 7]
    assert r["actions_from_64x64"] == [2, 7]
    p = r["params"]
    assert p["total"] == p["vision"] + p["language"] + p["decoder"]


@torch.no_grad()
def test_each_part_shapes_and_any_image_size() -> None:
    enc = VisionEncoder().eval()
    assert enc(torch.zeros(3, 3, 224, 224)).shape == (3, 512)
    assert enc(torch.zeros(3, 3, 64, 64)).shape == (3, 512)
    lang = LanguageEncoder(vocab_size=50, embed_dim=8, hidden_dim=12)
    assert lang(torch.randint(0, 50, (4, 9))).shape == (4, 12)
    dec = ActionDecoder(in_dim=20, action_dim=2)
    assert dec(torch.zeros(5, 20)).shape == (5, 2)
    model = SimpleVLA(vocab_size=50, embed_dim=8, hidden_dim=12, vision_dim=16, action_dim=2).eval()
    assert model(torch.zeros(2, 3, 64, 64), torch.ones(2, 5, dtype=torch.long)).shape == (2, 2)


@torch.no_grad()
def test_padded_tokens_with_lengths_equal_unpadded() -> None:
    torch.manual_seed(0)
    lang = LanguageEncoder(vocab_size=30, embed_dim=6, hidden_dim=10).eval()
    short = torch.randint(1, 30, (1, 4))  # (1, 4)
    padded = torch.cat([short, torch.zeros(1, 3, dtype=torch.long)], dim=1)  # (1, 7)
    torch.testing.assert_close(lang(padded, lengths=torch.tensor([4])), lang(short))


def test_decoder_output_is_bounded_by_its_learned_scale() -> None:
    dec = ActionDecoder(in_dim=4, hidden_dims=(8,), action_dim=3, init_scale=0.5)
    out = dec(torch.randn(64, 4) * 100)  # (64, 3): saturate the tanh
    assert out.abs().max() <= 0.5 + 1e-6
    out.sum().backward()
    assert dec.action_scale.grad is not None and dec.action_scale.grad.abs().sum() > 0  # the scale is learned
