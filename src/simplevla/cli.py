"""The `simplevla` command line, built from dataclass commands by tyro.

Every command is a dataclass with a `json: bool` field and a `run() -> dict` method. The returned dict is
the command's result summary; with `--json` it is printed as one JSON object on the last line of stdout.
Add a command by importing its dataclass (or Union of dataclasses) and adding one line to `Command`.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Annotated, Any, Union

import numpy as np
import tyro

from simplevla.atomic import is_disk_full
from simplevla.basics.commands import BasicsCommand
from simplevla.bench.speed import BenchCommand
from simplevla.collect.commands import RecordCommand
from simplevla.collect.dagger import DaggerCommand
from simplevla.data.commands import DataCommand
from simplevla.envs.commands import EnvCommand
from simplevla.errors import SimplevlaError
from simplevla.eval.commands import EvalCommand, TryCommand
from simplevla.export import ExportCommand
from simplevla.quickstart import QuickstartCommand
from simplevla.serve.command import ServeCommand
from simplevla.train.loop import TrainCommand

# One line per command: the same words as the README's command table (tests/test_docs.py checks both).
COMMANDS: dict[str, str] = {
    "quickstart": "record, train `default` and `simple`, evaluate both splits, write report.md",
    "record": "record scripted-expert demonstrations as a LeRobotDataset v3.0",
    "data": "inspect, view, validate and merge datasets",
    "train": "train a policy on a dataset, with checkpoints and exact resume",
    "dagger": "collect expert corrections on a policy's own rollouts (DAgger)",
    "eval": "evaluate a policy closed loop: success per family, videos, eval_info.json",
    "try": "run a policy once on your own instruction and write a captioned video",
    "export": "export a policy's network to ONNX for inference",
    "bench": "measure this machine's speed: env, recording, loader, training, inference",
    "env": "look at Tabletop scenes, watch the expert, measure its success",
    "basics": "the tutorial's lessons: perceptron, activations, MLP, backprop, autograd",
    "serve": "a local web page: type an instruction, watch the policy act on it live",
}


def _sub(name: str):
    return tyro.conf.subcommand(name, description=COMMANDS[name])


Command = Union[  # noqa: UP007  (tyro reads this Union as the list of subcommands)
    Annotated[QuickstartCommand, _sub("quickstart")],
    Annotated[RecordCommand, _sub("record")],
    Annotated[DataCommand, _sub("data")],
    Annotated[TrainCommand, _sub("train")],
    Annotated[DaggerCommand, _sub("dagger")],
    Annotated[EvalCommand, _sub("eval")],
    Annotated[TryCommand, _sub("try")],
    Annotated[ExportCommand, _sub("export")],
    Annotated[BenchCommand, _sub("bench")],
    Annotated[EnvCommand, _sub("env")],
    Annotated[BasicsCommand, _sub("basics")],
    Annotated[ServeCommand, _sub("serve")],
]


def _jsonable(obj: Any) -> Any:
    """Turn numpy scalars/arrays, paths and non-finite floats into plain JSON values."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return _jsonable(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    return str(obj)


def main(argv: list[str] | None = None) -> int:
    """Parse `argv`, run the command, print its summary. Returns the process exit code."""
    try:
        cmd = tyro.cli(Command, args=argv, prog="simplevla")  # configs validate in __post_init__
        result = cmd.run()
    except SimplevlaError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        if not is_disk_full(e):
            raise
        print(
            f"error: the disk is full ({e}); free some space and rerun (--resume continues)", file=sys.stderr
        )
        return 2
    if result is None:  # nothing to print (e.g. `train` on a torchrun rank other than 0)
        return 0
    result = _jsonable(result)
    if getattr(cmd, "json", False):
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
