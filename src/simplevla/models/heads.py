"""Action heads: (B, D) fused feature -> (B, chunk_size, A) normalized actions.

`tanh` is the tutorial's `ActionDecoder` (MLP, tanh, times a learned per-output scale); `chunk` is a plain
MLP with a linear output, predicting `chunk_size` future actions at once (as ACT and diffusion policy do).

Both return `(chunks, logits)`: chunks (B, K, chunk_size, A) are K alternative action chunks ("modes") and
logits (B, K) score them. K = 1 except for a `chunk` head built with `modes` > 1, which is trained
winner-takes-all (only the closest mode regresses onto the label, the logits learn which mode that was),
as multiple-hypothesis trajectory predictors do: where the expert may go either way around an object, one
mode learns each way instead of a single output learning their average, straight into the object.
"""

from __future__ import annotations

import torch
from torch import nn

from simplevla.basics.tutorial_vla import ActionDecoder
from simplevla.models.fusion import FiLMGenerator


class TanhHead(nn.Module):
    """The tutorial's ActionDecoder with hidden widths (hidden, hidden // 2), over chunk_size * A outputs."""

    def __init__(self, in_dim: int, hidden: int, chunk_size: int, action_dim: int) -> None:
        super().__init__()
        self.chunk_size, self.action_dim = chunk_size, action_dim
        self.net = ActionDecoder(
            in_dim=in_dim, hidden_dims=(hidden, hidden // 2), action_dim=chunk_size * action_dim
        )

    def forward(self, x: torch.Tensor, cond: None = None) -> tuple[torch.Tensor, torch.Tensor]:
        chunks = self.net(x).view(-1, 1, self.chunk_size, self.action_dim)  # (B, 1, chunk, A)
        return chunks, x.new_zeros(x.shape[0], 1)  # (B, 1, chunk, A), (B, 1)


class ChunkHead(nn.Module):
    """MLP (in -> hidden -> hidden -> modes * chunk_size * A [+ modes logits]), GELU, linear output."""

    def __init__(
        self, in_dim: int, hidden: int, chunk_size: int, action_dim: int, modes: int = 1, film_dim: int = 0
    ) -> None:
        super().__init__()
        self.chunk_size, self.action_dim, self.modes = chunk_size, action_dim, modes
        # film_dim > 0: the instruction (B, film_dim) scales and shifts both hidden layers (FiLM), so the
        # head can multiply what the words say (e.g. a push direction) with where things are
        self.film = FiLMGenerator(film_dim, (hidden, hidden)) if film_dim else None
        n_out = modes * chunk_size * action_dim + (modes if modes > 1 else 0)
        self.net = nn.Sequential(
            nn.Linear(in_dim, hidden),
            nn.GELU(),
            nn.Linear(hidden, hidden),
            nn.GELU(),
            nn.Linear(hidden, n_out),
        )

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        if self.film is None:
            out = self.net(x)  # (B, n_out)
        else:
            (g1, b1), (g2, b2) = self.film(cond)  # each (B, hidden)
            h = self.net[1](self.net[0](x)) * (1.0 + g1) + b1  # (B, hidden)
            h = self.net[3](self.net[2](h)) * (1.0 + g2) + b2  # (B, hidden)
            out = self.net[4](h)  # (B, n_out)
        k, n = self.modes, self.modes * self.chunk_size * self.action_dim
        chunks = out[:, :n].reshape(-1, k, self.chunk_size, self.action_dim)  # (B, K, chunk, A)
        logits = out[:, n:] if k > 1 else out.new_zeros(out.shape[0], 1)  # (B, K)
        return chunks, logits
