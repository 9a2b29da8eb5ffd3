"""Training precision on CPU: whether this CPU has bf16 in hardware, and the vision convolutions' dtype.

`--conv-bf16` (TrainConfig.conv_bf16) runs the vision encoder's convolutions in bf16 while weights,
GroupNorm and everything after stay fp32 (models/vision.py, `ConvNet.conv_dtype`). On a CPU with AVX512-BF16
or AMX, oneDNN runs those convolutions natively; elsewhere bf16 is emulated and slower than fp32.
"""

from __future__ import annotations

import torch
from torch import nn

from simplevla.models.vision import ConvNet


def native_cpu_bf16() -> bool:
    """True on a CPU with bf16 arithmetic in hardware (AVX512-BF16 or AMX tiles)."""
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")  # private torch API: absent = False
    return any(getattr(torch.cpu, name, lambda: False)() for name in checks)


def conv_dtype(setting: str, device: torch.device) -> torch.dtype | None:
    """The dtype `--conv-bf16 SETTING` gives the vision convolutions on `device` (None = fp32). `auto` is
    bf16 on a CPU with native bf16 only; on CUDA, `--bf16` autocast is the switch."""
    on = setting == "on" or (setting == "auto" and device.type == "cpu" and native_cpu_bf16())
    return torch.bfloat16 if on else None


def set_conv_dtype(policy: nn.Module, dtype: torch.dtype | None) -> bool:
    """Set the convolution dtype of every ConvNet in `policy` (a training-time choice: a saved or loaded
    policy acts in fp32). Returns whether any convolution now runs in a dtype other than fp32."""
    nets = [m for m in policy.modules() if isinstance(m, ConvNet)]
    for net in nets:
        net.conv_dtype = dtype
    return bool(nets) and dtype is not None
