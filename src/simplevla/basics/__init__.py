"""The tutorial's lessons as tested code: each lesson is a function returning a JSON-able result dict.

    perceptron()   a 3 -> 1 linear layer on [1, 2, 3]
    activations()  ReLU, Sigmoid, Tanh, GELU on [-2, -1, 0, 1, 2]
    mlp()          the tutorial MLP trained on scikit-learn's 8x8 digits (needs the `basics` extra)
    backprop()     forward / cross-entropy / backward / Adam for a few steps
    autograd()     gradients of y = w.x + b, and an MLP checked against finite differences
    vla_shapes()   the tutorial's SimpleVLA and the shapes of its example batch
    vla_dummy()    the tutorial's training loop on random data, which cannot be learned

The tutorial's VLA parts live in `simplevla.models.tutorial` for reuse by the models area.
"""

from __future__ import annotations

from simplevla.basics.digits_mlp import TutorialMLP, mlp
from simplevla.basics.gradients import autograd, backprop
from simplevla.basics.neurons import activations, perceptron
from simplevla.basics.vla_lessons import vla_dummy, vla_shapes
from simplevla.models.tutorial import ActionDecoder, LanguageEncoder, SimpleVLA, VisionEncoder

__all__ = [
    "ActionDecoder",
    "LanguageEncoder",
    "SimpleVLA",
    "TutorialMLP",
    "VisionEncoder",
    "activations",
    "autograd",
    "backprop",
    "mlp",
    "perceptron",
    "vla_dummy",
    "vla_shapes",
]
