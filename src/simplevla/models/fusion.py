"""Fusion of vision, instruction (and state) features: `concat` (the tutorial's) or `film` (RT-1 style).

With `film`, the instruction embedding produces a per-channel (gamma, beta) for every conv block of the
GroupNorm CNN, so language steers *what the CNN looks for* before pooling; the pooled feature is then
concatenated with the instruction embedding (and state) as in `concat`.
"""

from __future__ import annotations

import torch
from torch import nn


class FiLMGenerator(nn.Module):
    """Instruction embedding (B, D) -> [(gamma_i, beta_i) each (B, C_i)] for conv blocks of widths C_i."""

    def __init__(self, text_dim: int, channels: tuple[int, ...]) -> None:
        super().__init__()
        self.channels = tuple(channels)
        self.proj = nn.Linear(text_dim, 2 * sum(channels))
        nn.init.zeros_(self.proj.weight)  # start as identity modulation: gamma = beta = 0
        nn.init.zeros_(self.proj.bias)

    def forward(self, text: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        params = self.proj(text)  # (B, 2 * sum(C))
        out, start = [], 0
        for c in self.channels:
            gamma, beta = params[:, start : start + c], params[:, start + c : start + 2 * c]  # (B, C_i) each
            out.append((gamma, beta))
            start += 2 * c
        return out


def concat(vision: torch.Tensor, text: torch.Tensor, state: torch.Tensor | None) -> torch.Tensor:
    """(B, Dv), (B, Dt), optional (B, S) -> (B, Dv + Dt [+ S])."""
    parts = [vision, text] if state is None else [vision, text, state]
    return torch.cat(parts, dim=-1)  # (B, D)
