"""Lessons 4 and 5: one forward/backward pass with Adam steps, and autograd checked by hand.

`backprop` trains a small MLP for a few Adam steps on one fixed batch with cross-entropy, recording the
loss and how far the first layer's weights move. `autograd` differentiates y = w.x + b, whose gradients
are known in closed form, and checks the tutorial MLP's gradients against central finite differences.
"""

from __future__ import annotations

import torch
from torch import nn

from simplevla.basics.digits_mlp import TutorialMLP
from simplevla.basics.seeding import one_thread, seed_everything
from simplevla.errors import SimplevlaError


def backprop(
    steps: int = 5,
    lr: float = 1e-2,
    batch_size: int = 16,
    in_dim: int = 10,
    num_classes: int = 3,
    seed: int = 0,
) -> dict:
    """Forward, cross-entropy, backward and an Adam step, `steps` times on one fixed random batch."""
    if steps < 1 or lr <= 0 or batch_size < 2:
        raise SimplevlaError("backprop: need steps >= 1, lr > 0 and batch_size >= 2")
    gen = seed_everything(seed)
    model = nn.Sequential(nn.Linear(in_dim, 32), nn.ReLU(), nn.Linear(32, num_classes))
    x = torch.randn(batch_size, in_dim, generator=gen)  # (B, in_dim)
    y = torch.randint(0, num_classes, (batch_size,), generator=gen)  # (B,)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    w0 = model[0].weight.detach().clone()  # (32, in_dim)
    losses, grad_norms = [], []
    for _ in range(steps):
        logits = model(x)  # (B, C)
        loss = nn.functional.cross_entropy(logits, y)
        opt.zero_grad()
        loss.backward()
        grad_norms.append(model[0].weight.grad.norm().item())
        opt.step()
        losses.append(loss.item())
    with torch.no_grad():
        final = nn.functional.cross_entropy(model(x), y).item()
    return {
        "losses": losses,  # loss before each step
        "loss_after": final,
        "first_layer_grad_norms": grad_norms,
        "first_layer_weight_change": (model[0].weight.detach() - w0).norm().item(),
    }


def central_differences(f, params: list[torch.Tensor], eps: float = 1e-6) -> list[torch.Tensor]:
    """d f / d p for every element of every tensor in `params`, by (f(p + eps) - f(p - eps)) / (2 eps)."""
    grads = []
    with torch.no_grad():
        for p in params:
            g = torch.zeros_like(p)
            flat, gflat = p.view(-1), g.view(-1)
            for i in range(flat.numel()):
                old = flat[i].item()
                flat[i] = old + eps
                up = f().item()
                flat[i] = old - eps
                down = f().item()
                flat[i] = old
                gflat[i] = (up - down) / (2 * eps)
            grads.append(g)
    return grads


def mlp_gradient_check(
    seed: int = 0, batch_size: int = 8, in_dim: int = 6, hidden: int = 8, num_classes: int = 3
) -> float:
    """Relative error ||g_autograd - g_fd|| / ||g_fd|| of a small TutorialMLP's loss gradient, in float64.

    Finite differences need f to be a fixed, smooth-enough function of the weights. In train mode it is
    neither: Dropout draws a new mask on every call, and BatchNorm normalises with the batch's own
    statistics. So we first run one train-mode pass (to give BatchNorm non-trivial running statistics)
    and then switch to eval mode, where Dropout is the identity and BatchNorm is a fixed affine map. The
    ReLU kinks are the only non-smooth points; a random pre-activation lands within eps = 1e-6 of zero
    with negligible probability. float64 keeps the O(eps^2) truncation and O(1e-16 / eps) rounding
    errors near 1e-10, far below the 1e-6 we require.
    """
    gen = seed_everything(seed)
    model = TutorialMLP(in_dim, (hidden, hidden), num_classes, dropout=0.5).double()
    x = torch.randn(batch_size, in_dim, generator=gen, dtype=torch.float64)  # (B, in_dim)
    y = torch.randint(0, num_classes, (batch_size,), generator=gen)  # (B,)
    with torch.no_grad():
        model.train()
        model(x * 2 + 1)  # sets BatchNorm's running mean/var away from their 0/1 defaults
    model.eval()
    params = [p for p in model.parameters()]

    def f() -> torch.Tensor:
        return nn.functional.cross_entropy(model(x), y)

    model.zero_grad()
    f().backward()
    auto = torch.cat([p.grad.reshape(-1) for p in params])  # (P,)
    fd = torch.cat([g.reshape(-1) for g in central_differences(f, params)])  # (P,)
    return ((auto - fd).norm() / fd.norm()).item()


def autograd(
    x: tuple[float, ...] = (2.0, 3.0),
    w: tuple[float, ...] = (0.5, 0.8),
    b: float = 0.1,
    check_mlp: bool = True,
    seed: int = 0,
) -> dict:
    """y = w.x + b with autograd: dy/dw = x, dy/dx = w, dy/db = 1; plus the MLP finite-difference check."""
    if len(x) != len(w):
        raise SimplevlaError(f"autograd: x has {len(x)} entries but w has {len(w)}; give them equal length")
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)  # (n,)
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)  # (n,)
    bt = torch.tensor(b, dtype=torch.float64, requires_grad=True)  # ()
    y = (wt * xt).sum() + bt  # ()
    y.backward()
    result = {
        "y": y.item(),
        "dy_dw": wt.grad.tolist(),
        "dy_dx": xt.grad.tolist(),
        "dy_db": bt.grad.item(),
    }
    if check_mlp:
        with one_thread():  # ~400 tiny forward passes: threads only add overhead
            result["mlp_fd_relative_error"] = mlp_gradient_check(seed=seed)
    return result
