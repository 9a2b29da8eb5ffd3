"""`simplevla basics <lesson>`: one tyro subcommand per lesson, plus `all` for `make demo`.

Each command is a dataclass whose fields are the lesson's options and whose `run()` returns the lesson's
result dict (the CLI prints it, or with `--json` prints it as one JSON line at the end of stdout).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Annotated, Union

import tyro

from simplevla.basics.digits_mlp import DEFAULT_OUT_DIR, mlp
from simplevla.basics.gradients import autograd, backprop
from simplevla.basics.neurons import activations, perceptron
from simplevla.basics.vla_lessons import vla_dummy, vla_shapes
from simplevla.errors import SimplevlaError
from simplevla.ladder import MEASURED, run_ladder, table


@dataclasses.dataclass
class PerceptronCommand:
    """A 3 -> 1 linear layer applied to [1, 2, 3]: y = W x + b."""

    seed: int = 0
    json: bool = False

    def run(self) -> dict:
        return perceptron(seed=self.seed)


@dataclasses.dataclass
class ActivationsCommand:
    """ReLU, Sigmoid, Tanh and GELU on [-2, -1, 0, 1, 2]."""

    json: bool = False

    def run(self) -> dict:
        return activations()


@dataclasses.dataclass
class MlpCommand:
    """Train the tutorial MLP on scikit-learn's 8x8 digits; save curves; report test accuracy."""

    epochs: int = 40
    batch_size: int = 64
    lr: float = 1e-3
    hidden_dims: tuple[int, ...] = (256, 128)
    dropout: float = 0.2
    seed: int = 0
    split_seed: int = 0
    test_fraction: float = 0.2
    out_dir: str = DEFAULT_OUT_DIR
    """Folder for mlp_curves.png."""
    progress: bool = True
    """Show a tqdm progress bar on stderr."""
    json: bool = False

    def run(self) -> dict:
        return mlp(
            epochs=self.epochs,
            batch_size=self.batch_size,
            lr=self.lr,
            hidden_dims=self.hidden_dims,
            dropout=self.dropout,
            seed=self.seed,
            split_seed=self.split_seed,
            test_fraction=self.test_fraction,
            out_dir=self.out_dir,
            progress=self.progress,
        )


@dataclasses.dataclass
class BackpropCommand:
    """Forward, cross-entropy, backward and Adam, for a few steps on one batch."""

    steps: int = 5
    lr: float = 1e-2
    seed: int = 0
    json: bool = False

    def run(self) -> dict:
        return backprop(steps=self.steps, lr=self.lr, seed=self.seed)


@dataclasses.dataclass
class AutogradCommand:
    """Gradients of y = w.x + b, and the MLP's gradients checked by finite differences."""

    x: tuple[float, ...] = (2.0, 3.0)
    w: tuple[float, ...] = (0.5, 0.8)
    b: float = 0.1
    check_mlp: bool = True
    seed: int = 0
    json: bool = False

    def run(self) -> dict:
        return autograd(x=self.x, w=self.w, b=self.b, check_mlp=self.check_mlp, seed=self.seed)


@dataclasses.dataclass
class VlaShapesCommand:
    """The tutorial's SimpleVLA on 2 images 3x224x224 and 16 token ids: every tensor's shape."""

    batch_size: int = 2
    image_size: int = 224
    seq_len: int = 16
    vocab_size: int = 1000
    seed: int = 0
    json: bool = False

    def run(self) -> dict:
        return vla_shapes(
            batch_size=self.batch_size,
            image_size=self.image_size,
            seq_len=self.seq_len,
            vocab_size=self.vocab_size,
            seed=self.seed,
        )


@dataclasses.dataclass
class VlaDummyCommand:
    """The tutorial's training loop on random data: loss per epoch, and the loss on fresh random data."""

    epochs: int = 5
    n_train: int = 320
    n_fresh: int = 512
    batch_size: int = 32
    lr: float = 1e-3
    seed: int = 0
    json: bool = False

    def run(self) -> dict:
        return vla_dummy(
            epochs=self.epochs,
            n_train=self.n_train,
            n_fresh=self.n_fresh,
            batch_size=self.batch_size,
            lr=self.lr,
            seed=self.seed,
        )


def _headline(name: str, r: dict) -> dict:
    """The one or two numbers of each lesson worth a summary line."""
    picks = {
        "perceptron": ("output",),
        "activations": ("gelu",),
        "mlp": ("test_accuracy", "plot"),
        "backprop": ("losses", "first_layer_weight_change"),
        "autograd": ("dy_dw", "dy_dx", "dy_db", "mlp_fd_relative_error"),
        "vla-shapes": ("actions",),
        "vla-dummy": ("epoch_losses", "fresh_loss", "fresh_target_variance"),
    }[name]
    return {k: r[k] for k in picks}


@dataclasses.dataclass
class LadderCommand:
    """From the tutorial's SimpleVLA to the `default` policy, one measured change per rung (docs/ladder.md)."""

    measure: bool = False
    """Measure the quick ladder here (fewer episodes and steps than the shipped one; tens of minutes on two
    cores) instead of printing the full-size measurement that ships with simplevla."""
    out: str = "runs/ladder"
    """Output folder for --measure."""
    json: bool = False

    def run(self) -> dict:
        if not self.measure and not MEASURED.is_file():
            raise SimplevlaError(
                f"{MEASURED}: no measured ladder ships with this install; measure one with --measure"
            )
        ladder = run_ladder(self.out, "quick") if self.measure else json.loads(MEASURED.read_text())
        if not self.json:
            print(table(ladder), flush=True)
        head = {"size": ladder["size"], "date": ladder["date"], "steps": ladder["budget"]["steps"]}
        return {
            **head,
            **{f"{r['rung']}_{r['name']}": r["success"]["heldout"]["pc"] for r in ladder["rungs"]},
        }


@dataclasses.dataclass
class AllCommand:
    """Run every lesson with its default settings and print each one's results (used by `make demo`)."""

    out_dir: str = DEFAULT_OUT_DIR
    """Folder for the mlp lesson's curves."""
    json: bool = False

    def run(self) -> dict:
        lessons = {
            "perceptron": PerceptronCommand(),
            "activations": ActivationsCommand(),
            "mlp": MlpCommand(out_dir=self.out_dir),
            "backprop": BackpropCommand(),
            "autograd": AutogradCommand(),
            "vla-shapes": VlaShapesCommand(),
            "vla-dummy": VlaDummyCommand(),
        }
        summary = {}
        for name, cmd in lessons.items():
            result = cmd.run()
            if not self.json:
                print(f"== {name} ==", flush=True)
                for k, v in result.items():
                    if k != "history":
                        print(f"  {k}: {v}", flush=True)
            summary[name] = _headline(name, result)
        if not self.json:
            print("== summary ==", flush=True)
        return summary


BasicsCommand = Union[  # noqa: UP007  (tyro reads this Union as the list of subcommands)
    Annotated[PerceptronCommand, tyro.conf.subcommand("perceptron")],
    Annotated[ActivationsCommand, tyro.conf.subcommand("activations")],
    Annotated[MlpCommand, tyro.conf.subcommand("mlp")],
    Annotated[BackpropCommand, tyro.conf.subcommand("backprop")],
    Annotated[AutogradCommand, tyro.conf.subcommand("autograd")],
    Annotated[VlaShapesCommand, tyro.conf.subcommand("vla-shapes")],
    Annotated[VlaDummyCommand, tyro.conf.subcommand("vla-dummy")],
    Annotated[LadderCommand, tyro.conf.subcommand("ladder")],
    Annotated[AllCommand, tyro.conf.subcommand("all")],
]
