"""Lessons 6 and 7: the tutorial's SimpleVLA, its tensor shapes, and its training loop on random data.

`vla_shapes` pushes the tutorial's example batch through each part and reports every shape.
`vla_dummy` runs the tutorial's loop (MSE, Adam, batch 32) on its random dataset. The targets are
independent of the inputs, so there is nothing to learn: the training loss can only fall by memorising
the training samples, and the loss on fresh random data stays at the targets' variance (about 1.0).
"""

from __future__ import annotations

import math
import time

import torch
from torch import nn

from simplevla.basics.seeding import one_thread, seed_everything
from simplevla.errors import SimplevlaError
from simplevla.models.tutorial import SimpleVLA


def _n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@torch.no_grad()
def vla_shapes(
    batch_size: int = 2, image_size: int = 224, seq_len: int = 16, vocab_size: int = 1000, seed: int = 0
) -> dict:
    """Shapes of the tutorial's example: 2 images (3, 224, 224) and 2 token sequences of length 16."""
    if min(batch_size, image_size, seq_len) < 1 or image_size < 16:
        raise SimplevlaError("vla-shapes: need batch_size >= 1, seq_len >= 1 and image_size >= 16")
    gen = seed_everything(seed)
    model = SimpleVLA(vocab_size=vocab_size).eval()
    images = torch.randn(batch_size, 3, image_size, image_size, generator=gen)  # (B, 3, H, W)
    tokens = torch.randint(0, vocab_size, (batch_size, seq_len), generator=gen)  # (B, T)
    vision = model.vision(images)  # (B, 512)
    language = model.language(tokens)  # (B, 512)
    fused = torch.cat([vision, language], dim=-1)  # (B, 1024)
    actions = model.decoder(fused)  # (B, 7)
    small = model(torch.randn(batch_size, 3, 64, 64, generator=gen), tokens)  # (B, 7): any image size works
    return {
        "images": list(images.shape),
        "tokens": list(tokens.shape),
        "vision_features": list(vision.shape),
        "language_features": list(language.shape),
        "fused_features": list(fused.shape),
        "actions": list(actions.shape),
        "actions_from_64x64": list(small.shape),
        "action_scale": model.decoder.action_scale.tolist(),
        "params": {
            "vision": _n_params(model.vision),
            "language": _n_params(model.language),
            "decoder": _n_params(model.decoder),
            "total": _n_params(model),
        },
    }


def random_vla_data(
    n: int,
    gen: torch.Generator,
    image_size: int = 64,
    seq_len: int = 16,
    vocab_size: int = 1000,
    action_dim: int = 7,
) -> tuple[torch.Tensor, ...]:
    """The tutorial's random dataset: images N(0,1), token ids uniform, actions N(0,1), all independent."""
    images = torch.randn(n, 3, image_size, image_size, generator=gen)  # (N, 3, H, W)
    tokens = torch.randint(1, vocab_size, (n, seq_len), generator=gen)  # (N, T), 0 is padding
    actions = torch.randn(n, action_dim, generator=gen)  # (N, A)
    return images, tokens, actions


@torch.no_grad()
def _fresh_eval(
    model: SimpleVLA, images: torch.Tensor, tokens: torch.Tensor, actions: torch.Tensor, batch_size: int
) -> dict:
    model.eval()
    preds = torch.cat(
        [
            model(images[i : i + batch_size], tokens[i : i + batch_size])
            for i in range(0, len(images), batch_size)
        ]
    )  # (M, A)
    sq = (preds - actions) ** 2  # (M, A)
    # MSE = mean(y^2) - 2 mean(y f) + mean(f^2); the middle term is all a model could gain from the inputs
    signal = 2 * preds * actions  # (M, A)
    return {
        "fresh_loss": sq.mean().item(),
        # standard error of that mean: the M*A squared errors are independent given the model
        "fresh_loss_stderr": (sq.std() / math.sqrt(sq.numel())).item(),
        "fresh_target_variance": actions.var().item(),
        "fresh_prediction_sq_mean": (preds**2).mean().item(),
        "fresh_signal": signal.mean().item(),
        "fresh_signal_stderr": (signal.std() / math.sqrt(signal.numel())).item(),
    }


def vla_dummy(
    epochs: int = 5,
    n_train: int = 320,
    n_fresh: int = 512,
    batch_size: int = 32,
    lr: float = 1e-3,
    seed: int = 0,
) -> dict:
    """Train SimpleVLA with MSE and Adam on random (image, tokens, action) triples; report loss per epoch.

    Then measure the MSE on `n_fresh` freshly drawn random samples, which no model can push below the
    targets' variance (1.0), since the targets are independent of the inputs.
    """
    if epochs < 1 or n_train < 1 or n_fresh < 2 or batch_size < 1 or lr <= 0:
        raise SimplevlaError(
            "vla-dummy: need epochs >= 1, n_train >= 1, n_fresh >= 2, batch_size >= 1, lr > 0"
        )
    with one_thread():  # same numbers on every machine (see seeding.one_thread)
        return _train_dummy(epochs, n_train, n_fresh, batch_size, lr, seed)


def _train_dummy(epochs: int, n_train: int, n_fresh: int, batch_size: int, lr: float, seed: int) -> dict:
    t0 = time.perf_counter()
    gen = seed_everything(seed)
    model = SimpleVLA()
    images, tokens, actions = random_vla_data(n_train, gen)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    epoch_losses = []
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(n_train, generator=gen)
        total = 0.0
        for i in range(0, n_train, batch_size):
            idx = perm[i : i + batch_size]
            pred = model(images[idx], tokens[idx])  # (b, 7)
            loss = nn.functional.mse_loss(pred, actions[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        epoch_losses.append(total / n_train)
    fresh = _fresh_eval(model, *random_vla_data(n_fresh, gen), batch_size=batch_size)
    return {
        "epoch_losses": epoch_losses,
        **fresh,
        "epochs": epochs,
        "n_train": n_train,
        "n_fresh": n_fresh,
        "seconds": round(time.perf_counter() - t0, 2),
    }
