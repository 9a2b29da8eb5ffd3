"""Checkpoints a stranger wrote: each bad file is refused with an error naming it, and nothing is unpickled."""

from __future__ import annotations

import json
import pickle
import struct

import pytest
import torch
from model_helpers import STATS, TASKS, TINY
from safetensors.torch import save_file

from simplevla import load_policy
from simplevla.cli import main
from simplevla.errors import SimplevlaError
from simplevla.models import PolicyConfig, make_policy, save_policy

RAN = []


class Payload:
    """Unpickling this would call RAN.append: the test fails if it ever runs."""

    def __reduce__(self):
        return (RAN.append, ("unpickled",))


@pytest.fixture()
def ckpt(tmp_path):
    return save_policy(make_policy(PolicyConfig(**TINY), STATS, TASKS), tmp_path / "ckpt")


def _refused(ckpt, needle: str) -> None:
    with pytest.raises(SimplevlaError, match=needle):
        load_policy(ckpt)


def test_pickle_in_place_of_weights_is_refused_unrun(ckpt, capsys):
    (ckpt / "model.safetensors").write_bytes(pickle.dumps(Payload()))
    _refused(ckpt, r"model\.safetensors: not a readable safetensors file")
    assert main(["eval", "--policy", str(ckpt), "--episodes", "1"]) == 2  # a clean message, no traceback
    assert "model.safetensors" in capsys.readouterr().err
    assert RAN == []


def test_header_claiming_gigabytes_is_refused(ckpt):
    (ckpt / "model.safetensors").write_bytes(struct.pack("<Q", 50 * 2**30) + b"{}")
    _refused(ckpt, r"model\.safetensors: not a readable safetensors file")


def test_truncated_and_missing_weights_are_refused(ckpt):
    data = (ckpt / "model.safetensors").read_bytes()
    (ckpt / "model.safetensors").write_bytes(data[: len(data) // 2])
    _refused(ckpt, r"model\.safetensors")
    (ckpt / "model.safetensors").unlink()
    _refused(ckpt, r"model\.safetensors")


def test_tensor_of_the_wrong_shape_is_refused(ckpt):
    from safetensors.torch import load_file

    state = load_file(str(ckpt / "model.safetensors"))
    name = next(k for k, v in state.items() if v.ndim == 2)
    state[name] = torch.zeros(state[name].shape[0] + 1, state[name].shape[1])
    save_file(state, str(ckpt / "model.safetensors"))
    _refused(ckpt, r"model\.safetensors: weights do not match config\.json")


def test_unknown_config_keys_and_bad_json_are_refused(ckpt):
    meta = json.loads((ckpt / "config.json").read_text())
    meta["policy"]["hyperdrive"] = True
    (ckpt / "config.json").write_text(json.dumps(meta))
    _refused(ckpt, r"unknown policy fields \['hyperdrive'\]")
    (ckpt / "stats.json").write_text("{not json")
    meta["policy"].pop("hyperdrive")
    (ckpt / "config.json").write_text(json.dumps(meta))
    _refused(ckpt, r"stats\.json: cannot read")
    (ckpt / "stats.json").write_text("[1, 2]")
    _refused(ckpt, r"stats\.json: expected a JSON object")
