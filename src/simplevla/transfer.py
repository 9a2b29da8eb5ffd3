"""Host-to-device copies that do not make the host wait for the GPU.

A copy from ordinary (pageable) host memory to a GPU may synchronize with the stream; one from pinned
memory is queued like a kernel. PyTorch's caching host allocator keeps a pinned buffer alive until its
copy has finished, so pinning a small per-step tensor (sample positions, instruction vectors) is cheap.
"""

from __future__ import annotations

import torch


def to_device(t: torch.Tensor, device: torch.device | str) -> torch.Tensor:
    """`t` on `device`: through pinned memory and without waiting when a host tensor goes to CUDA."""
    device = torch.device(device)
    if device.type == "cuda" and t.device.type == "cpu":
        return t.pin_memory().to(device, non_blocking=True)
    return t.to(device)
