"""Action heads: (B, D) fused feature -> (B, chunk_size, A) normalized actions.

`tanh` is the tutorial's `ActionDecoder` (MLP, tanh, times a learned per-output scale); `chunk` is a plain
MLP with a linear output, predicting `chunk_size` future actions at once (as ACT and diffusion policy do).
"""

from __future__ import annotations

import torch
from torch import nn

from simplevla.basics.tutorial_vla import ActionDecoder


class TanhHead(nn.Module):
    """The tutorial's ActionDecoder with hidden widths (hidden, hidden // 2), over chunk_size * A outputs."""

    def __init__(self, in_dim: int, hidden: int, chunk_size: int, action_dim: int) -> None:
        super().__init__()
        self.chunk_size, self.action_dim = chunk_size, action_dim
        self.net = ActionDecoder(
            in_dim=in_dim, hidden_dims=(hidden, hidden // 2), action_dim=chunk_size * action_dim
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).view(-1, self.chunk_size, self.action_dim)  # (B, chunk, A)


class ChunkHead(nn.Module):
    """MLP (in -> hidden -> hidden -> chunk_size * A), GELU, linear output."""

    def __init__(self, in_dim: int, hidden: int, chunk_size: int, action_dim: int) -> None:
        super().__init__()
        self.chunk_size, self.action_dim = chunk_size, action_dim
        self.net = nn.Sequential(
            nn.Linear(in_dim, hidden),
            nn.GELU(),
            nn.Linear(hidden, hidden),
            nn.GELU(),
            nn.Linear(hidden, chunk_size * action_dim),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).view(-1, self.chunk_size, self.action_dim)  # (B, chunk, A)
