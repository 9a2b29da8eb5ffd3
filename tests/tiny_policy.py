"""Tiny policy overrides (fields of PolicyConfig) shared by the model, training and eval tests: 16x16, seconds."""

from __future__ import annotations

TINY = dict(
    image_size=16,
    vision_channels=(8, 8),
    keypoints=4,
    word_dropout=0.0,  # deterministic forward passes in train mode (dropout has its own test)
    vision_dim=16,
    text_embed_dim=8,
    text_dim=16,
    head_hidden=32,
)
TINY_SIMPLE = dict(TINY, vision_channels=(8, 8, 8, 8))
