"""The tutorial's random-data training loop: random targets cannot be learned."""

from __future__ import annotations

import pytest

from simplevla.basics import vla_dummy


@pytest.mark.slow
def test_random_targets_cannot_be_learned() -> None:
    r = vla_dummy(epochs=3, n_train=128, n_fresh=512, seed=1)
    assert len(r["epoch_losses"]) == 3
    # Fresh targets y ~ N(0, 1) are independent of the inputs, hence of the predictions f, so
    #   E[MSE] = E[y^2] - 2 E[y f] + E[f^2] = 1 + E[f^2] >= 1:  no model beats the targets' variance.
    # The measured MSE averages 512 * 7 = 3584 squared errors; given the model they are independent, so
    # its standard error is std(sq) / sqrt(3584), about 0.025 (reported as fresh_loss_stderr). We allow
    # 4 standard errors (a chance of about 3e-5 to fail by bad luck; the seed is fixed anyway).
    se = r["fresh_loss_stderr"]
    assert 0.01 < se < 0.05
    assert r["fresh_loss"] >= 1.0 - 4 * se
    # The only term through which a model could gain, -2 mean(y f), is zero up to its own noise ...
    assert abs(r["fresh_signal"]) <= 4 * r["fresh_signal_stderr"]
    # ... so the loss is the variance plus the predictions' own spread, which a short run keeps small
    # (tanh outputs start near 0): the fresh loss stays within 0.15 of 1.0.
    assert r["fresh_loss"] <= 1.0 + r["fresh_prediction_sq_mean"] + 4 * se
    assert r["fresh_prediction_sq_mean"] < 0.05
    assert abs(r["fresh_loss"] - 1.0) < 0.15
    assert abs(r["fresh_target_variance"] - 1.0) < 4 * (2 / 3584) ** 0.5
