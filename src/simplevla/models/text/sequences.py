"""What every instruction encoder does around its network: read each distinct string once, and take an LSTM's
state after each string's last word."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from simplevla.transfer import to_device


def unique_strings(texts: Sequence[str]) -> tuple[list[str], torch.Tensor]:
    """Distinct strings (first-seen order) and, for each input, the index of its distinct string (B,)."""
    position: dict[str, int] = {}
    inverse = [position.setdefault(t, len(position)) for t in texts]
    return list(position), torch.tensor(inverse, dtype=torch.long)


def last_state(
    lstm: nn.LSTM, x: torch.Tensor, seqs: Sequence[torch.Tensor], packed: bool | None = None
) -> torch.Tensor:
    """(U, hidden): the LSTM's state after each string's last word; x (U, W, D) padded, seqs give lengths.

    Packed (the default off CUDA) or, on CUDA, over the padded batch, reading each string's output at its
    last word: the same state (the LSTM is causal), without packing's sort, which waits for the GPU."""
    lengths = torch.tensor([len(q) for q in seqs], dtype=torch.long)  # (U,)
    if packed is None:
        packed = x.device.type != "cuda"
    if not packed:
        out, _ = lstm(x)  # (U, W, hidden)
        last = to_device(lengths - 1, x.device)  # (U,)
        return out[torch.arange(len(seqs), device=x.device), last]  # (U, hidden)
    packed_x = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    _, (h, _) = lstm(packed_x)  # (1, U, hidden)
    return h[-1]
