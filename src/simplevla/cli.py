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

from simplevla.basics.commands import BasicsCommand
from simplevla.data.commands import DataCommand, RecordCommand
from simplevla.data.dagger import DaggerCommand
from simplevla.envs.commands import EnvCommand
from simplevla.errors import SimplevlaError
from simplevla.evaluate import EvalCommand
from simplevla.freetext import TryCommand
from simplevla.quickstart import QuickstartCommand
from simplevla.train import TrainCommand

Command = Union[  # noqa: UP007  (tyro reads this Union as the list of subcommands)
    Annotated[BasicsCommand, tyro.conf.subcommand("basics")],
    Annotated[RecordCommand, tyro.conf.subcommand("record")],
    Annotated[DataCommand, tyro.conf.subcommand("data")],
    Annotated[TrainCommand, tyro.conf.subcommand("train")],
    Annotated[DaggerCommand, tyro.conf.subcommand("dagger")],
    Annotated[EnvCommand, tyro.conf.subcommand("env")],
    Annotated[EvalCommand, tyro.conf.subcommand("eval")],
    Annotated[TryCommand, tyro.conf.subcommand("try")],
    Annotated[QuickstartCommand, tyro.conf.subcommand("quickstart")],
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
    result = _jsonable(result or {})
    if getattr(cmd, "json", False):
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
