"""The tutorial's four-part VLA: VisionEncoder, LanguageEncoder, ActionDecoder and SimpleVLA.

Built as the tutorial describes it, and importable on its own so that the models area can reuse these
parts for its `simple` preset. Every size is a constructor argument; the defaults are the tutorial's:

    VisionEncoder    a small CNN, RGB image (B, 3, 224, 224) -> feature (B, 512)
    LanguageEncoder  Embedding + LSTM, token ids (B, T) -> the LSTM's last hidden state (B, 512)
    ActionDecoder    MLP on the fused feature -> tanh(.) * a learned per-dimension scale, (B, 7) for 7-DoF
    SimpleVLA        concatenate vision and language features (B, 1024) -> ActionDecoder -> (B, 7)

One choice of ours: the CNN ends with `nn.AdaptiveAvgPool2d((pool_size, pool_size))` before its final
Linear, so the same encoder accepts any image size (the tutorial's 224x224 examples and its 64x64 dummy
dataset alike) with an identical parameter count. We pool to 4x4 rather than 1x1 to keep a coarse map of
*where* things are, which a policy on the tabletop needs.
"""

from __future__ import annotations

import torch
from torch import nn


class VisionEncoder(nn.Module):
    """A four-stage CNN (stride 2 each) + adaptive pooling + Linear: (B, 3, H, W) -> (B, feature_dim).

    Args:
        feature_dim: size of the output feature (tutorial: 512).
        channels: output channels of the four conv stages.
        pool_size: the conv map is average-pooled to (pool_size, pool_size) whatever H and W are.
        image_size: the image side the tutorial feeds (224); kept for documentation and configs only,
            since adaptive pooling makes the encoder work for any H, W >= 16.
    """

    def __init__(
        self,
        feature_dim: int = 512,
        channels: tuple[int, ...] = (32, 64, 128, 256),
        pool_size: int = 4,
        image_size: int = 224,
    ) -> None:
        super().__init__()
        if feature_dim < 1 or pool_size < 1 or not channels:
            raise ValueError("VisionEncoder: feature_dim and pool_size must be >= 1 and channels non-empty")
        self.feature_dim = feature_dim
        self.image_size = image_size
        layers: list[nn.Module] = []
        c_in = 3
        for c_out in channels:
            layers += [nn.Conv2d(c_in, c_out, kernel_size=3, stride=2, padding=1), nn.ReLU()]
            c_in = c_out
        self.conv = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d((pool_size, pool_size))
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(c_in * pool_size * pool_size, feature_dim), nn.ReLU())

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """images: float (B, 3, H, W) -> features (B, feature_dim)."""
        x = self.conv(images)  # (B, C, H/16, W/16)
        x = self.pool(x)  # (B, C, P, P)
        return self.fc(x)  # (B, feature_dim)


class LanguageEncoder(nn.Module):
    """Token embedding + a one-layer LSTM; the sentence feature is the LSTM's last hidden state.

    Args:
        vocab_size: number of token ids (tutorial: 1000). Id `padding_idx` (0) is padding.
        embed_dim: embedding size (tutorial: 256).
        hidden_dim: LSTM hidden size = output feature size (tutorial: 512).
    """

    def __init__(
        self, vocab_size: int = 1000, embed_dim: int = 256, hidden_dim: int = 512, padding_idx: int = 0
    ) -> None:
        super().__init__()
        if vocab_size < 2 or embed_dim < 1 or hidden_dim < 1:
            raise ValueError("LanguageEncoder: need vocab_size >= 2, embed_dim >= 1, hidden_dim >= 1")
        self.feature_dim = hidden_dim
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
        self.lstm = nn.LSTM(embed_dim, hidden_dim, batch_first=True)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """tokens: int64 (B, T) -> features (B, hidden_dim).

        With `lengths` (int (B,), each >= 1) the padded tail of each row is skipped, so the feature is the
        hidden state after the last real token; without it all T tokens are read (the tutorial's case).
        """
        x = self.embedding(tokens)  # (B, T, E)
        if lengths is not None:
            x = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, (h_n, _) = self.lstm(x)  # h_n: (1, B, hidden)
        return h_n[-1]  # (B, hidden)


class ActionDecoder(nn.Module):
    """MLP -> tanh -> times a learned per-dimension action scale: (B, in_dim) -> (B, action_dim).

    The tanh bounds each output to (-scale, scale); the scale starts at `init_scale` and is learned.
    """

    def __init__(
        self,
        in_dim: int = 1024,
        hidden_dims: tuple[int, ...] = (512, 256),
        action_dim: int = 7,
        init_scale: float = 1.0,
    ) -> None:
        super().__init__()
        if in_dim < 1 or action_dim < 1:
            raise ValueError("ActionDecoder: in_dim and action_dim must be >= 1")
        layers: list[nn.Module] = []
        d = in_dim
        for h in hidden_dims:
            layers += [nn.Linear(d, h), nn.ReLU()]
            d = h
        layers.append(nn.Linear(d, action_dim))
        self.mlp = nn.Sequential(*layers)
        self.action_scale = nn.Parameter(torch.full((action_dim,), float(init_scale)))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """features: (B, in_dim) -> actions (B, action_dim)."""
        return torch.tanh(self.mlp(features)) * self.action_scale  # (B, A)


class SimpleVLA(nn.Module):
    """The tutorial's VLA: concat(VisionEncoder(image), LanguageEncoder(tokens)) -> ActionDecoder.

    Args:
        vocab_size, embed_dim, hidden_dim: LanguageEncoder sizes (hidden_dim = language feature size).
        vision_dim: VisionEncoder feature size.
        action_dim: degrees of freedom of the action (tutorial: 7).
        image_size: the image side it is meant for (224); any size works (see VisionEncoder).
    """

    def __init__(
        self,
        vocab_size: int = 1000,
        embed_dim: int = 256,
        hidden_dim: int = 512,
        vision_dim: int = 512,
        action_dim: int = 7,
        image_size: int = 224,
    ) -> None:
        super().__init__()
        self.vision = VisionEncoder(feature_dim=vision_dim, image_size=image_size)
        self.language = LanguageEncoder(vocab_size=vocab_size, embed_dim=embed_dim, hidden_dim=hidden_dim)
        self.decoder = ActionDecoder(in_dim=vision_dim + hidden_dim, action_dim=action_dim)

    def fuse(
        self, images: torch.Tensor, tokens: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> torch.Tensor:
        """The fused feature: (B, vision_dim + hidden_dim)."""
        v = self.vision(images)  # (B, Dv)
        t = self.language(tokens, lengths)  # (B, Dt)
        return torch.cat([v, t], dim=-1)  # (B, Dv + Dt)

    def forward(
        self, images: torch.Tensor, tokens: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> torch.Tensor:
        """images (B, 3, H, W), tokens (B, T) -> actions (B, action_dim)."""
        return self.decoder(self.fuse(images, tokens, lengths))  # (B, A)
