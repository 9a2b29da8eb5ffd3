"""Lessons 1 and 2: a single perceptron (a 3 -> 1 linear layer) and the four common activations."""

from __future__ import annotations

import torch
from torch import nn

from simplevla.basics.seeding import seed_everything

ACTIVATION_INPUT = [-2.0, -1.0, 0.0, 1.0, 2.0]


def perceptron(seed: int = 0) -> dict:
    """Apply a freshly initialised `nn.Linear(3, 1)` to x = [1, 2, 3].

    Returns the input, the layer's weight (1, 3) and bias (1,) as lists, and its output y = W x + b.
    """
    seed_everything(seed)
    layer = nn.Linear(3, 1)
    x = torch.tensor([1.0, 2.0, 3.0])  # (3,)
    with torch.no_grad():
        y = layer(x)  # (1,)
    return {
        "input": x.tolist(),
        "weight": layer.weight.detach().tolist(),
        "bias": layer.bias.detach().tolist(),
        "output": y.tolist(),
    }


def activations() -> dict:
    """ReLU, Sigmoid, Tanh and GELU (exact, erf-based) applied to [-2, -1, 0, 1, 2]."""
    x = torch.tensor(ACTIVATION_INPUT, dtype=torch.float64)  # (5,)
    layers = {"relu": nn.ReLU(), "sigmoid": nn.Sigmoid(), "tanh": nn.Tanh(), "gelu": nn.GELU()}
    result: dict = {"input": list(ACTIVATION_INPUT)}
    for name, layer in layers.items():
        result[name] = layer(x).tolist()
    return result
