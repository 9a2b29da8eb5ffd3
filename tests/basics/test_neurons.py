"""Perceptron and activations against independent closed forms computed with numpy / math."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simplevla.basics import activations, perceptron


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_perceptron_is_w_dot_x_plus_b(seed: int) -> None:
    r = perceptron(seed=seed)
    w = np.array(r["weight"], dtype=np.float64)  # (1, 3)
    b = np.array(r["bias"], dtype=np.float64)  # (1,)
    x = np.array([1.0, 2.0, 3.0])
    assert r["input"] == [1.0, 2.0, 3.0]
    assert w.shape == (1, 3) and b.shape == (1,)
    np.testing.assert_allclose(r["output"], w @ x + b, rtol=1e-6, atol=1e-6)


def test_perceptron_is_deterministic_per_seed() -> None:
    assert perceptron(seed=3) == perceptron(seed=3)
    assert perceptron(seed=3)["weight"] != perceptron(seed=4)["weight"]


def test_activations_match_closed_forms() -> None:
    r = activations()
    xs = [-2.0, -1.0, 0.0, 1.0, 2.0]
    assert r["input"] == xs
    expected = {
        "relu": [max(0.0, x) for x in xs],
        "sigmoid": [1.0 / (1.0 + math.exp(-x)) for x in xs],
        "tanh": [(math.exp(x) - math.exp(-x)) / (math.exp(x) + math.exp(-x)) for x in xs],
        "gelu": [0.5 * x * (1.0 + math.erf(x / math.sqrt(2.0))) for x in xs],
    }
    for name, want in expected.items():
        np.testing.assert_allclose(r[name], want, rtol=1e-12, atol=1e-12, err_msg=name)
