"""A "wrist view": a full-resolution crop of the image centred on the effector, read by a small CNN.

The global CNN's keypoints locate objects to roughly a feature-map cell (1/16 of the table), while pushing
needs the effector-to-object contact geometry to ~1/100 of it. A real arm gets that from a wrist camera; in
a top-down tabletop the same view is a crop around the effector, whose position the state gives exactly
(table units: x right, y up; image row 0 is y = 1). The crop is taken with `grid_sample` (zeros outside
the image), so it is centred to sub-pixel precision.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def crop_around(images: torch.Tensor, xy: torch.Tensor, size: int) -> torch.Tensor:
    """images (B, 3, H, W), xy (B, 2) table units -> (B, 3, size, size) pixels centred on xy."""
    b, _, h, w = images.shape
    theta = images.new_zeros(b, 2, 3)  # (B, 2, 3) affine map from crop to image coordinates
    theta[:, 0, 0] = size / w
    theta[:, 1, 1] = size / h
    theta[:, 0, 2] = 2.0 * xy[:, 0] - 1.0  # x in [-1, 1], left to right
    theta[:, 1, 2] = 1.0 - 2.0 * xy[:, 1]  # grid y in [-1, 1] runs top to bottom; table y runs up
    grid = F.affine_grid(theta, [b, 3, size, size], align_corners=False)  # (B, size, size, 2)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


class WristNet(nn.Module):
    """(B, 3, H, W) image + (B, 2) effector xy -> (B, out_dim): conv 3x3 (16), two stride-2 convs (32),
    flatten, linear. About 0.6 M multiply-adds per 16x16 crop, a few percent of the global CNN's."""

    def __init__(self, crop: int, out_dim: int = 64) -> None:
        super().__init__()
        self.crop = crop
        self.net = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1),
            nn.GroupNorm(4, 16),
            nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1),
            nn.GroupNorm(8, 32),
            nn.ReLU(),
            nn.Conv2d(32, 32, 3, stride=2, padding=1),
            nn.GroupNorm(8, 32),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(32 * ((crop + 3) // 4) ** 2, out_dim),
            nn.ReLU(),
        )
        self.out_dim = out_dim

    def forward(self, images: torch.Tensor, xy: torch.Tensor) -> torch.Tensor:
        patch = crop_around(images, xy, self.crop) * 2.0 - 1.0  # (B, 3, crop, crop) in [-1, 1]
        return self.net(patch)  # (B, out_dim)
