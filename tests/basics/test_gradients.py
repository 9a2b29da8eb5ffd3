"""backprop and autograd lessons: loss falls, weights move, gradients match closed forms and finite differences."""

from __future__ import annotations

import torch

from simplevla.basics import autograd, backprop
from simplevla.basics.gradients import central_differences


def test_backprop_loss_falls_and_first_layer_changes() -> None:
    r = backprop(steps=5, seed=0)
    assert len(r["losses"]) == 5
    assert r["losses"][-1] < r["losses"][0]
    assert r["loss_after"] < r["losses"][0]
    assert r["first_layer_weight_change"] > 1e-3
    assert all(g > 0 for g in r["first_layer_grad_norms"])


def test_autograd_linear_gradients_are_closed_form() -> None:
    r = autograd(check_mlp=False)
    assert abs(r["y"] - (0.5 * 2 + 0.8 * 3 + 0.1)) < 1e-12
    assert r["dy_dw"] == [2.0, 3.0]  # = x
    assert r["dy_dx"] == [0.5, 0.8]  # = w
    assert r["dy_db"] == 1.0


def test_central_differences_on_a_known_function() -> None:
    # the checker itself against a closed form: d/dp sum(p^3) = 3 p^2
    p = torch.tensor([[0.3, -1.2], [2.0, 0.7]], dtype=torch.float64)
    (g,) = central_differences(lambda: (p**3).sum(), [p])
    torch.testing.assert_close(g, 3 * p**2, rtol=1e-8, atol=1e-8)


def test_mlp_gradients_match_finite_differences() -> None:
    for seed in (0, 1):
        r = autograd(check_mlp=True, seed=seed)
        assert r["mlp_fd_relative_error"] <= 1e-6
