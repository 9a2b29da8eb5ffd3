"""Lesson 3: the tutorial's MLP (Linear -> BatchNorm -> ReLU -> Dropout, twice, then Linear) on real digits.

The data is scikit-learn's bundled 8x8 handwritten digits (1,797 images, shipped inside the package, so
nothing is downloaded), split into train and test by a fixed seed. Training uses Adam, shows a tqdm bar
on stderr, saves the loss/accuracy curves as a PNG and reports the test accuracy.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from simplevla.basics.plots import save_curves
from simplevla.basics.seeding import one_thread, seed_everything
from simplevla.errors import SimplevlaError

DEFAULT_OUT_DIR = "outputs/basics"


class TutorialMLP(nn.Module):
    """[Linear -> BatchNorm1d -> ReLU -> Dropout] for each hidden size, then a Linear to the logits."""

    def __init__(
        self,
        in_dim: int = 64,
        hidden_dims: tuple[int, ...] = (256, 128),
        num_classes: int = 10,
        dropout: float = 0.2,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        d = in_dim
        for h in hidden_dims:
            layers += [nn.Linear(d, h), nn.BatchNorm1d(h), nn.ReLU(), nn.Dropout(dropout)]
            d = h
        layers.append(nn.Linear(d, num_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, in_dim) -> logits (B, num_classes)."""
        return self.net(x)


def load_digits_split(test_fraction: float = 0.2, split_seed: int = 0) -> tuple[torch.Tensor, ...]:
    """Return (x_train, y_train, x_test, y_test): pixels scaled to [0, 1], a stratified split by `split_seed`."""
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError as e:
        raise SimplevlaError(
            "the mlp lesson needs scikit-learn (its bundled 8x8 digits dataset): "
            "pip install 'simplevla[basics]'"
        ) from e
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)  # (1797, 64) in [0, 1]
    y = digits.target.astype(np.int64)  # (1797,)
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=test_fraction, random_state=split_seed, stratify=y
    )
    return tuple(torch.from_numpy(a) for a in (x_tr, y_tr, x_te, y_te))


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of `model` in eval mode on (x, y)."""
    model.eval()
    logits = model(x)  # (N, 10)
    loss = nn.functional.cross_entropy(logits, y).item()
    acc = (logits.argmax(-1) == y).float().mean().item()
    return loss, acc


def _check(epochs: int, batch_size: int, lr: float, dropout: float, test_fraction: float) -> None:
    if epochs < 1:
        raise SimplevlaError(f"mlp: epochs={epochs}; set --epochs to 1 or more")
    if batch_size < 2:
        raise SimplevlaError(f"mlp: batch_size={batch_size}; BatchNorm needs --batch-size of at least 2")
    if lr <= 0:
        raise SimplevlaError(f"mlp: lr={lr}; set --lr to a positive number such as 1e-3")
    if not 0 <= dropout < 1:
        raise SimplevlaError(f"mlp: dropout={dropout}; set --dropout in [0, 1)")
    if not 0 < test_fraction < 1:
        raise SimplevlaError(f"mlp: test_fraction={test_fraction}; set --test-fraction in (0, 1)")


def mlp(
    epochs: int = 40,
    batch_size: int = 64,
    lr: float = 1e-3,
    hidden_dims: tuple[int, ...] = (256, 128),
    dropout: float = 0.2,
    seed: int = 0,
    split_seed: int = 0,
    test_fraction: float = 0.2,
    out_dir: str | Path | None = DEFAULT_OUT_DIR,
    progress: bool = True,
) -> dict:
    """Train the tutorial MLP on the digits and return its test accuracy, curves and PNG path.

    `seed` fixes initialisation, dropout and batch order; `split_seed` fixes the train/test split. The
    reported accuracy is the final epoch's (no model selection on the test set). `out_dir=None` skips
    the PNG.
    """
    _check(epochs, batch_size, lr, dropout, test_fraction)
    with one_thread():
        return _train(
            epochs,
            batch_size,
            lr,
            tuple(hidden_dims),
            dropout,
            seed,
            split_seed,
            test_fraction,
            out_dir,
            progress,
        )


def _train(
    epochs: int,
    batch_size: int,
    lr: float,
    hidden_dims: tuple[int, ...],
    dropout: float,
    seed: int,
    split_seed: int,
    test_fraction: float,
    out_dir: str | Path | None,
    progress: bool,
) -> dict:
    t0 = time.perf_counter()
    x_tr, y_tr, x_te, y_te = load_digits_split(test_fraction, split_seed)
    gen = seed_everything(seed)
    model = TutorialMLP(x_tr.shape[1], hidden_dims, 10, dropout)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    hist: dict[str, list[float]] = {
        "train_loss": [],
        "test_loss": [],
        "train_accuracy": [],
        "test_accuracy": [],
    }
    n = len(x_tr)
    bar = tqdm(range(epochs), desc="mlp", file=sys.stderr, disable=not progress)
    for _ in bar:
        model.train()
        perm = torch.randperm(n, generator=gen)
        total = 0.0
        for i in range(0, n - 1, batch_size):
            idx = perm[i : i + batch_size]
            if len(idx) < 2:  # BatchNorm cannot normalise a batch of one
                continue
            loss = nn.functional.cross_entropy(model(x_tr[idx]), y_tr[idx])  # logits (b, 10)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        hist["train_loss"].append(total / n)
        _, tr_acc = evaluate(model, x_tr, y_tr)
        te_loss, te_acc = evaluate(model, x_te, y_te)
        hist["train_accuracy"].append(tr_acc)
        hist["test_loss"].append(te_loss)
        hist["test_accuracy"].append(te_acc)
        bar.set_postfix(loss=f"{hist['train_loss'][-1]:.3f}", test_acc=f"{te_acc:.3f}")
    bar.close()
    plot = None
    if out_dir is not None:
        plot = save_curves(Path(out_dir) / "mlp_curves.png", hist, title="Tutorial MLP on 8x8 digits")
    return {
        "test_accuracy": hist["test_accuracy"][-1],
        "train_accuracy": hist["train_accuracy"][-1],
        "final_train_loss": hist["train_loss"][-1],
        "final_test_loss": hist["test_loss"][-1],
        "epochs": epochs,
        "n_train": n,
        "n_test": len(x_te),
        "seed": seed,
        "plot": str(plot) if plot else None,
        "seconds": round(time.perf_counter() - t0, 2),
        "history": hist,
    }
