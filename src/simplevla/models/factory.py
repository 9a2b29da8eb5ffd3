"""`make_policy`: build a `VLAPolicy` from a config with a plain if/else per part (no registries)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from torch import nn

from simplevla import keys
from simplevla.errors import SimplevlaError
from simplevla.models.config import PolicyConfig
from simplevla.models.fusion import FiLMGenerator
from simplevla.models.heads import ChunkHead, FlowHead, TanhHead
from simplevla.models.normalize import Normalizer
from simplevla.models.parse import ParseHead
from simplevla.models.plan import PLAN_DIM, plan_probe
from simplevla.models.policy import VLAPolicy
from simplevla.models.text.lstm import LSTMText
from simplevla.models.text.wordllama import SnapText, WordLlamaText
from simplevla.models.tokenizer import WordTokenizer
from simplevla.models.vision import ConvNet, TutorialVision
from simplevla.models.wrist import WristNet


def make_policy(
    cfg: PolicyConfig, stats: dict, tasks: Sequence[str] = (), tokenizer: WordTokenizer | None = None
) -> VLAPolicy:
    """A fresh policy. `stats`: the dataset's stats dict; `tasks`: its instructions (builds the vocab,
    unless a saved `tokenizer` is given). A config's unset `state_dim`/`action_dim`/`aux_dim` become the
    sizes of the dataset's state, action and aux.task_xy (in the returned policy's config)."""
    cfg = with_dataset_dims(cfg, stats)
    normalizer = Normalizer(stats, cfg.state_dim, cfg.action_dim, cfg.normalization)

    if cfg.vision == "simple":
        vision = TutorialVision(cfg.vision_channels, cfg.image_size, cfg.vision_dim)
    else:
        vision = ConvNet(
            cfg.vision_channels,
            cfg.image_size,
            cfg.keypoints,
            cfg.vision_dim,
            cfg.strided_convs,
            cfg.keypoint_offsets,
        )

    needs_vocab = cfg.text == "lstm" or cfg.text_snap > 0
    if needs_vocab and tokenizer is None:
        if not tasks:
            raise SimplevlaError(
                f"text encoder {cfg.text!r} needs the dataset's task strings to build its vocab"
            )
        tokenizer = WordTokenizer.from_tasks(tasks)
    if cfg.text == "lstm":
        text = LSTMText(tokenizer, cfg.text_embed_dim, cfg.text_dim, cfg.word_dropout)
    elif cfg.text_snap > 0:
        text = SnapText(cfg.text_dim, tokenizer, cfg.text_snap, cfg.word_dropout, cfg.text_embed_dim)
    else:
        text = WordLlamaText(cfg.text_dim, cfg.word_dropout, cfg.text_noise)

    film = FiLMGenerator(text.out_dim, cfg.vision_channels) if cfg.fusion == "film" else None
    wrist = WristNet(cfg.wrist_crop) if cfg.wrist_crop else None
    in_dim = vision.out_dim + text.out_dim + (cfg.state_dim if cfg.use_state else 0)
    in_dim += wrist.out_dim if wrist is not None else 0
    in_dim += 2 * cfg.keypoints if cfg.relative_keypoints else 0
    if cfg.plan_input:  # reads task_xy off the fused features; the head also gets it, as geometry
        aux = plan_probe(in_dim, cfg.head_hidden, cfg.aux_dim)
    else:  # a linear probe, or nothing
        aux = nn.Linear(in_dim, cfg.aux_dim) if cfg.aux_weight > 0 else None
    head_in = in_dim + (PLAN_DIM if cfg.plan_input else 0)
    if cfg.head == "tanh":
        head = TanhHead(head_in, cfg.head_hidden, cfg.chunk_size, cfg.action_dim)
    elif cfg.head == "flow":
        head = FlowHead(head_in, cfg.head_hidden, cfg.chunk_size, cfg.action_dim)
    else:
        film_dim = text.out_dim if cfg.head_film else 0
        head = ChunkHead(head_in, cfg.head_hidden, cfg.chunk_size, cfg.action_dim, cfg.action_modes, film_dim)
    parse = ParseHead(text.out_dim, cfg.head_hidden) if cfg.parse_weight > 0 else None
    return VLAPolicy(cfg, normalizer, vision, text, film, head, wrist, aux, parse)


def with_dataset_dims(cfg: PolicyConfig, stats: dict) -> PolicyConfig:
    """`cfg`, with `state_dim`/`action_dim`/`aux_dim` left unset taken from the sizes of the dataset's stats
    (`aux_dim`: aux.task_xy's width, or 4 for a dataset without it)."""
    dims = {}
    if cfg.aux_dim is None:
        dims["aux_dim"] = int(np.asarray(stats[keys.TASK_XY]["mean"]).size) if keys.TASK_XY in stats else 4
    for field, feature in (("state_dim", keys.STATE), ("action_dim", keys.ACTION)):
        if getattr(cfg, field) is None:
            try:
                dims[field] = int(np.asarray(stats[feature]["mean"]).size)
            except KeyError as e:
                raise SimplevlaError(f"dataset stats: missing {feature!r}/'mean' (meta/stats.json)") from e
    return dataclasses.replace(cfg, **dims) if dims else cfg


def num_params(policy: VLAPolicy, trainable_only: bool = True) -> int:
    return sum(p.numel() for p in policy.parameters() if p.requires_grad or not trainable_only)
