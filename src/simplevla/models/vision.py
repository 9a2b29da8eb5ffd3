"""Vision encoders: the tutorial's CNN (`simple`) and a small GroupNorm CNN (`convnet`).

`ConvNet` ends either in spatial-softmax keypoints (each of K channels becomes the expected (x, y) of its
softmax over the feature map, as in Levine et al. 2016 and LeRobot's diffusion policy) or in a flattened
4x4 grid. Keypoints keep *where* things are in a form an MLP can read directly; docs/policies.md gives the
measurement behind the default. Each conv block can be FiLM-modulated: `x <- x * (1 + gamma) + beta`
after its GroupNorm, with (gamma, beta) produced from the instruction by `fusion.FiLMGenerator`.

`ConvNet.conv_dtype` (not saved; None = fp32) lets training run the convolutions in bf16 on hardware with
native bf16 (`simplevla train --conv-bf16`): inputs and weights are cast per call, accumulation and the
result stay fp32, and GroupNorm and everything after it stay fp32 (GroupNorm on bf16 is slower on CPU).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from simplevla.models.tutorial import VisionEncoder


class SpatialSoftmax(nn.Module):
    """(B, C, H, W) -> (B, 2K): a 1x1 conv to K maps, softmax over each map, expected (x, y) in [-1, 1].

    With `offsets`, a second 1x1 conv predicts, for every keypoint and cell, a sub-cell shift of that cell's
    position (tanh, at most one cell; zero at init), as CenterNet regresses offsets. Trained keypoints are
    sharp (most put ~0.9 of their mass on one cell), so without it a 16x16 map locates objects to about
    +-1/32 of the table, coarser than the pre-push point the expert steers to.
    """

    def __init__(
        self, in_channels: int, num_keypoints: int, height: int, width: int, offsets: bool = False
    ) -> None:
        super().__init__()
        self.proj = nn.Conv2d(in_channels, num_keypoints, kernel_size=1)
        ys, xs = torch.meshgrid(torch.linspace(-1, 1, height), torch.linspace(-1, 1, width), indexing="ij")
        self.register_buffer("pos", torch.stack([xs.reshape(-1), ys.reshape(-1)], dim=1), persistent=False)
        self.offset: nn.Conv2d | None = None
        if offsets:
            self.offset = nn.Conv2d(in_channels, 2 * num_keypoints, kernel_size=1)
            nn.init.zeros_(self.offset.weight)
            nn.init.zeros_(self.offset.bias)
            spacing = [2.0 / max(width - 1, 1), 2.0 / max(height - 1, 1)]  # x, y cell spacing in [-1, 1]
            self.register_buffer("cell", torch.tensor(spacing)[:, None], persistent=False)  # (2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.proj(x).flatten(2)  # (B, K, H*W)
        attn = torch.softmax(logits, dim=-1)  # (B, K, H*W)
        points = attn @ self.pos  # (B, K, 2)
        if self.offset is not None:
            b, k = attn.shape[:2]
            shift = torch.tanh(self.offset(x).flatten(2)).view(b, k, 2, -1)  # (B, K, 2, H*W) in [-1, 1]
            mean_shift = (shift @ attn[..., None]).squeeze(-1)  # (B, K, 2): the attention-weighted shift
            points = points + mean_shift * self.cell[:, 0]  # (B, K, 2); cell (2, 1): x and y spacing
        return points.flatten(1)  # (B, 2K)


class ConvNet(nn.Module):
    """Conv3x3 -> GroupNorm(8) -> [FiLM] -> ReLU blocks; the first `strided` have stride 2 (2: 64x64 -> 16x16).

    Output: (B, 2 * keypoints) with keypoints > 0, else a flattened 4x4 grid projected to `out_dim`.
    """

    def __init__(
        self,
        channels: tuple[int, ...],
        image_size: int,
        keypoints: int,
        out_dim: int,
        strided: int = 2,
        keypoint_offsets: bool = False,
    ) -> None:
        super().__init__()
        self.channels = tuple(channels)
        self.conv_dtype: torch.dtype | None = None  # set by the trainer for bf16 convolutions; not saved
        self.convs = nn.ModuleList()
        self.norms = nn.ModuleList()
        c_in = 3
        for i, c_out in enumerate(channels):
            stride = 2 if i < strided else 1
            self.convs.append(
                nn.Conv2d(
                    c_in, c_out, kernel_size=5 if i == 0 else 3, stride=stride, padding=2 if i == 0 else 1
                )
            )
            self.norms.append(nn.GroupNorm(8, c_out))
            c_in = c_out
        side = image_size // 2**strided
        if keypoints > 0:
            self.pool: nn.Module = SpatialSoftmax(c_in, keypoints, side, side, keypoint_offsets)
            self.out_dim = 2 * keypoints
        else:
            self.pool = nn.Sequential(
                nn.AdaptiveAvgPool2d(4), nn.Flatten(), nn.Linear(c_in * 16, out_dim), nn.ReLU()
            )
            self.out_dim = out_dim

    def forward(
        self, images: torch.Tensor, film: list[tuple[torch.Tensor, torch.Tensor]] | None = None
    ) -> torch.Tensor:
        """images (B, 3, H, W) in [0, 1]; film: per block (gamma, beta), each (B, C_i) -> (B, out_dim)."""
        x = (images * 2.0 - 1.0).contiguous(memory_format=torch.channels_last)  # (B, 3, H, W) in [-1, 1]
        for i, (conv, norm) in enumerate(zip(self.convs, self.norms, strict=True)):
            x = norm(_conv(conv, x, self.conv_dtype))  # (B, C_i, H_i, W_i), fp32
            if film is not None:
                gamma, beta = film[i]
                x = x * (1.0 + gamma[:, :, None, None]) + beta[:, :, None, None]
            x = torch.relu(x)
        return self.pool(x)  # (B, out_dim)


def _conv(conv: nn.Conv2d, x: torch.Tensor, dtype: torch.dtype | None) -> torch.Tensor:
    """`conv(x)`, computed in `dtype` when one is given (the fp32 weights cast on the way in, so their
    gradients stay fp32); the result is fp32 either way."""
    if dtype is None:
        return conv(x)
    bias = conv.bias.to(dtype) if conv.bias is not None else None
    y = F.conv2d(
        x.to(dtype), conv.weight.to(dtype), bias, conv.stride, conv.padding, conv.dilation, conv.groups
    )
    return y.float()


class TutorialVision(nn.Module):
    """The tutorial's `VisionEncoder`, unchanged (raw [0, 1] pixels in, (B, feature_dim) out)."""

    def __init__(self, channels: tuple[int, ...], image_size: int, feature_dim: int) -> None:
        super().__init__()
        self.net = VisionEncoder(feature_dim=feature_dim, channels=tuple(channels), image_size=image_size)
        self.out_dim = feature_dim

    def forward(self, images: torch.Tensor, film: None = None) -> torch.Tensor:
        return self.net(images)  # (B, feature_dim)
