"""`ParseHead`: names the task from the instruction features alone, one choice per slot of
`envs.reading.SLOTS` (family, each object's colour and shape, place, direction).

Trained with a cross-entropy per slot on instructions drawn from the training grammar (their labels come
from the task spec), it lets evaluation tell a misread instruction from a misexecuted one.
"""

from __future__ import annotations

import torch
from torch import nn

from simplevla.envs.tabletop.reading import SLOT_SIZES


class ParseHead(nn.Module):
    """(B, Dt) instruction features -> (B, sum(SLOT_SIZES)) logits, read per slot with `split`."""

    def __init__(self, text_dim: int, hidden: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(text_dim, hidden), nn.ReLU(), nn.Linear(hidden, sum(SLOT_SIZES)))

    def forward(self, text: torch.Tensor) -> list[torch.Tensor]:
        """One (B, n_classes) logit tensor per slot."""
        return list(self.net(text).split(SLOT_SIZES, dim=-1))

    @staticmethod
    def loss(logits: list[torch.Tensor], labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean cross-entropy over slots, and the share of instructions read right in every slot."""
        ce = sum(nn.functional.cross_entropy(lg, labels[:, i]) for i, lg in enumerate(logits))
        right = torch.stack([lg.argmax(-1) == labels[:, i] for i, lg in enumerate(logits)], -1)  # (P, 7)
        return ce / len(logits), right.all(-1).float().mean()
