"""Action heads: (B, D) fused feature -> (B, chunk_size, A) normalized actions.

`tanh` is the tutorial's `ActionDecoder` (MLP, tanh, times a learned per-output scale); `chunk` is a plain
MLP with a linear output, predicting `chunk_size` future actions at once (as ACT and diffusion policy do);
`flow` samples a chunk by flow matching (its own `loss`; see `FlowHead`).

All return `(chunks, logits)`: chunks (B, K, chunk_size, A) are K alternative action chunks ("modes") and
logits (B, K) score them. K = 1 except for a `chunk` head built with `modes` > 1, which is trained
winner-takes-all (only the closest mode regresses onto the label, the logits learn which mode that was),
as multiple-hypothesis trajectory predictors do: where the expert may go either way around an object, one
mode learns each way instead of a single output learning their average, straight into the object.
"""

from __future__ import annotations

import torch
from torch import nn

from simplevla.models.fusion import FiLMGenerator
from simplevla.models.tutorial import ActionDecoder


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


FLOW_STEPS = 10  # Euler steps from noise to an action chunk at inference
FLOW_NOISE_DRAWS = 4  # noise draws per sample in training (the head is cheap next to the encoders)


class FlowHead(nn.Module):
    """A conditional flow-matching head (Lipman et al. 2023; as pi0's action expert, with an MLP).

    Training: for a label chunk x1, noise x0 ~ N(0, I) and t ~ U(0, 1), the MLP sees (features, x_t, t)
    with x_t = (1 - t) x0 + t x1 and regresses the velocity x1 - x0 (`loss`). Inference (`forward`): start
    from noise and integrate the velocity in FLOW_STEPS Euler steps. It *samples* a chunk from the learned
    distribution instead of returning its mean or median, so where the demonstrations go either way
    round an object it picks one way rather than their average.
    """

    def __init__(self, in_dim: int, hidden: int, chunk_size: int, action_dim: int, t_dim: int = 32) -> None:
        super().__init__()
        self.chunk_size, self.action_dim = chunk_size, action_dim
        n = chunk_size * action_dim
        self.net = nn.Sequential(
            nn.Linear(in_dim + n + t_dim, hidden),
            nn.GELU(),
            nn.Linear(hidden, hidden),
            nn.GELU(),
            nn.Linear(hidden, hidden),
            nn.GELU(),
            nn.Linear(hidden, n),
        )
        freqs = torch.exp(torch.linspace(0.0, 6.0, t_dim // 2))  # 1 .. ~400 rad per unit t
        self.register_buffer("freqs", freqs, persistent=False)

    def _velocity(self, x: torch.Tensor, xt: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """x (N, D) features, xt (N, chunk * A), t (N,) -> velocity (N, chunk * A)."""
        angles = t[:, None] * self.freqs  # (N, t_dim / 2)
        temb = torch.cat([angles.sin(), angles.cos()], dim=-1)  # (N, t_dim)
        return self.net(torch.cat([x, xt, temb], dim=-1))

    def loss(self, x: torch.Tensor, target: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """Flow-matching MSE. x (B, D), target (B, chunk, A) normalized, valid (B, chunk) 1 = real step."""
        r = FLOW_NOISE_DRAWS
        # padded steps hold the last real action whatever the batch holds there (the sampler's convention),
        # since every step of x_t is an input to every step's velocity
        rows = torch.arange(target.shape[0], device=target.device)
        last = target[rows, (valid.sum(1).long() - 1).clamp_min(0)]  # (B, A)
        target = torch.where(valid[..., None] > 0, target, last[:, None])  # (B, chunk, A)
        x1 = target.flatten(1).repeat(r, 1)  # (rB, chunk * A)
        x0 = torch.randn_like(x1)
        t = torch.rand(x1.shape[0], device=x1.device)  # (rB,)
        xt = (1.0 - t[:, None]) * x0 + t[:, None] * x1
        err = (self._velocity(x.repeat(r, 1), xt, t) - (x1 - x0)) ** 2  # (rB, chunk * A)
        mask = valid.repeat(r, 1).repeat_interleave(self.action_dim, dim=1)  # (rB, chunk * A)
        return (err * mask).sum() / mask.sum().clamp_min(1.0)

    def forward(self, x: torch.Tensor, cond: None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Sampled chunks (B, 1, chunk, A) in [-1, 1] (normalized units) and zero logits (B, 1)."""
        xt = torch.randn(x.shape[0], self.chunk_size * self.action_dim, device=x.device)  # (B, chunk * A)
        dt = 1.0 / FLOW_STEPS
        for i in range(FLOW_STEPS):
            t = torch.full((x.shape[0],), i * dt, device=x.device)  # (B,)
            xt = xt + dt * self._velocity(x, xt, t)
        chunks = xt.clamp(-1.0, 1.0).view(-1, 1, self.chunk_size, self.action_dim)  # (B, 1, chunk, A)
        return chunks, x.new_zeros(x.shape[0], 1)
