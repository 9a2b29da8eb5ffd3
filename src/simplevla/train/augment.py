"""Image augmentation for training batches: random shifts, as in DrQ (Kostrikov et al. 2020).

Each image is padded by `pad` pixels (edge pixels repeated) and cropped back to its size at an offset drawn
uniformly from [0, 2 * pad] in each axis, so the scene moves by up to `pad` pixels in any direction.
The draws come from a generator seeded by (seed, step, rank), so a resumed run shifts as the uninterrupted
one would have.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

SHIFT_STREAM = 0x5F1F7  # keeps these draws apart from the other per-step streams seeded by (seed, step)


def shift_generator(seed: int, step: int, rank: int = 0) -> torch.Generator:
    """A CPU generator that is a pure function of (seed, step, rank)."""
    state = np.random.SeedSequence([seed, step, rank, SHIFT_STREAM]).generate_state(1, np.uint64)[0]
    return torch.Generator().manual_seed(int(state) & 0x7FFF_FFFF_FFFF_FFFF)


def random_shift(images: torch.Tensor, pad: int, generator: torch.Generator) -> torch.Tensor:
    """images (B, C, H, W) -> (B, C, H, W), each moved by its own random offset of up to `pad` pixels."""
    if pad <= 0:
        return images
    b, c, h, w = images.shape
    padded = F.pad(images, (pad, pad, pad, pad), mode="replicate")  # (B, C, H + 2p, W + 2p)
    offsets = torch.randint(0, 2 * pad + 1, (b, 2), generator=generator).tolist()  # (B, 2): dy, dx
    out = torch.empty_like(images)
    for i, (dy, dx) in enumerate(offsets):  # B slice copies: faster on CPU than one gather of B*C*H*W indices
        out[i] = padded[i, :, dy : dy + h, dx : dx + w]
    return out  # (B, C, H, W)
