"""Random image shifts (train/augment.py) and the bf16 convolutions (`--conv-bf16`) in training."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from training_fakes import TINY, tiny_cache, tiny_train_config

from simplevla import load_policy
from simplevla.errors import SimplevlaError
from simplevla.models import PolicyConfig, make_policy
from simplevla.models.vision import ConvNet
from simplevla.train.augment import random_shift, shift_generator
from simplevla.train.config import TrainConfig
from simplevla.train.data import make_source
from simplevla.train.loop import train
from simplevla.train.precision import conv_dtype


def test_each_shifted_image_is_a_crop_of_the_edge_padded_image():
    images = torch.rand(16, 3, 10, 12)
    out = random_shift(images, 3, shift_generator(0, 5))
    assert out.shape == images.shape
    padded = np.pad(images.numpy(), ((0, 0), (0, 0), (3, 3), (3, 3)), mode="edge")  # independent of torch
    offsets = set()
    for b in range(16):
        found = [
            (dy, dx)
            for dy in range(7)
            for dx in range(7)
            if np.array_equal(out[b].numpy(), padded[b, :, dy : dy + 10, dx : dx + 12])
        ]
        assert len(found) == 1, b
        offsets.add(found[0])
    assert len(offsets) > 4  # the offsets differ between images
    assert torch.equal(random_shift(images, 0, shift_generator(0, 5)), images)


def test_shifts_are_a_pure_function_of_seed_step_and_rank():
    images = torch.rand(32, 3, 8, 8)

    def shift(*key):
        return random_shift(images, 2, shift_generator(*key))

    assert torch.equal(shift(0, 7), shift(0, 7))
    assert not torch.equal(shift(0, 7), shift(0, 8))
    assert not torch.equal(shift(0, 7), shift(1, 7))
    assert not torch.equal(shift(0, 7, 0), shift(0, 7, 1))


def test_random_shift_setting_is_checked():
    with pytest.raises(SimplevlaError, match="--random-shift must be in"):
        TrainConfig(random_shift=-1)
    with pytest.raises(SimplevlaError, match="--random-shift must be in"):
        TrainConfig(random_shift=40)


def test_bf16_convolutions_match_fp32_and_keep_fp32_gradients():
    torch.manual_seed(0)
    net = ConvNet((16, 32, 32), image_size=32, keypoints=8, out_dim=16)
    images = torch.rand(4, 3, 32, 32)
    ref = net(images)
    net.conv_dtype = torch.bfloat16
    out = net(images)
    assert out.dtype == torch.float32
    assert torch.allclose(out, ref, atol=0.05), (out - ref).abs().max()  # keypoints in [-1, 1]
    out.square().sum().backward()
    for conv in net.convs:
        assert conv.weight.grad is not None and conv.weight.grad.dtype == torch.float32
        assert torch.isfinite(conv.weight.grad).all()


def test_conv_bf16_setting_picks_the_dtype():
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert conv_dtype("off", cpu) is None and conv_dtype("off", cuda) is None
    assert conv_dtype("on", cpu) == torch.bfloat16 and conv_dtype("on", cuda) == torch.bfloat16
    assert conv_dtype("auto", cuda) is None  # on CUDA, --bf16 autocast is the switch


def test_training_with_shifts_and_bf16_convolutions_saves_an_fp32_policy(tmp_path):
    pcfg = PolicyConfig(**TINY, chunk_size=3, n_action_steps=2)
    cfg = tiny_train_config(tmp_path, 4, 4, random_shift=2, conv_bf16="on")
    data = make_source(tiny_cache(), pcfg, val_fraction=0.2, seed=0)
    summary = train(cfg, pcfg, data)
    assert np.isfinite(summary["loss"])
    policy = load_policy(tmp_path)
    convnets = [m for m in policy.modules() if isinstance(m, ConvNet)]
    assert convnets and all(m.conv_dtype is None for m in convnets)  # a saved policy acts in fp32
    fresh = make_policy(pcfg, data.stats, data.tasks)
    assert all(p.dtype == torch.float32 for p in fresh.parameters())
