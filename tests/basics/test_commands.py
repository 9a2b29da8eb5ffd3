"""`simplevla basics <lesson>` parses with tyro, runs, and with --json ends stdout with the result."""

from __future__ import annotations

import json
import typing

import pytest
import tyro

from simplevla import cli
from simplevla.basics.commands import BasicsCommand, MlpCommand


def test_every_lesson_is_a_subcommand() -> None:
    names = {typing.get_args(a)[1].name for a in typing.get_args(BasicsCommand)}
    assert names == {
        "perceptron",
        "activations",
        "mlp",
        "backprop",
        "autograd",
        "vla-shapes",
        "vla-dummy",
        "ladder",
        "all",
    }


def test_parse_mlp_options() -> None:
    cmd = tyro.cli(BasicsCommand, args=["mlp", "--epochs", "3", "--hidden-dims", "32", "16", "--json"])
    assert isinstance(cmd, MlpCommand)
    assert (cmd.epochs, cmd.hidden_dims, cmd.json) == (3, (32, 16), True)


@pytest.mark.slow
def test_cli_json_is_the_last_stdout_line(capsys, tmp_path) -> None:
    rc = cli.main(["basics", "mlp", "--epochs", "2", "--out-dir", str(tmp_path), "--no-progress", "--json"])
    out = capsys.readouterr()
    assert rc == 0
    result = json.loads(out.out.strip().splitlines()[-1])
    assert 0.0 <= result["test_accuracy"] <= 1.0
    assert (tmp_path / "mlp_curves.png").exists()


@pytest.mark.slow
def test_mlp_command_shows_progress_on_stderr(capsys, tmp_path) -> None:
    MlpCommand(epochs=1, out_dir=str(tmp_path)).run()
    out = capsys.readouterr()
    assert "mlp" in out.err and "mlp" not in out.out


def test_cli_error_is_clean(capsys) -> None:
    rc = cli.main(["basics", "mlp", "--epochs", "0"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "--epochs" in err and "Traceback" not in err
