"""Hostile checkpoints, instructions and env actions (datasets: tests/data/test_hostile_datasets.py).

Checkpoint config.json cases are refused with a SimplevlaError naming config.json and the field, in bounded
time and memory, without changing the checkpoint directory. Instructions a person types reach `simplevla
try` and `eval --instruction-file` only as one non-empty line of at most 1,000 characters without control
characters; the policy itself reads any non-empty string in bounded time. The env refuses NaN, inf and
wrongly shaped actions with ValueError and leaves its state as it was; it clips finite out-of-range ones.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent / "models"))
import refusal  # noqa: E402
from model_helpers import STATS, TASKS, TINY, make_batch  # noqa: E402

from simplevla import load_policy  # noqa: E402
from simplevla.envs.tabletop.env import TabletopEnv  # noqa: E402
from simplevla.errors import SimplevlaError  # noqa: E402
from simplevla.eval.commands import TryCommand  # noqa: E402
from simplevla.eval.freetext import read_instruction_file  # noqa: E402
from simplevla.models import PolicyConfig, make_policy, save_policy  # noqa: E402
from simplevla.models.config import FORMAT_VERSION  # noqa: E402


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    return save_policy(make_policy(PolicyConfig(**TINY), STATS, TASKS), tmp_path_factory.mktemp("c") / "ckpt")


@pytest.fixture
def ckpt(saved, tmp_path) -> Path:
    import shutil

    return Path(shutil.copytree(saved, tmp_path / "ckpt"))


def _edit(ckpt: Path, fn) -> None:
    meta = json.loads((ckpt / "config.json").read_text())
    fn(meta)
    (ckpt / "config.json").write_text(json.dumps(meta))


def _policy(meta: dict, **kw) -> None:
    meta["policy"].update(kw)


CONFIG_CASES = [
    (
        "format_version_newer",
        lambda m: m.update(format_version=FORMAT_VERSION + 1),
        ["format_version", "newer"],
    ),
    ("format_version_missing", lambda m: m.pop("format_version"), ["format_version"]),
    ("format_version_a_string", lambda m: m.update(format_version="1"), ["format_version"]),
    ("unknown_top_level_key", lambda m: m.update(quantization={"bits": 4}), ["'quantization'"]),
    ("unknown_policy_field", lambda m: _policy(m, hyperdrive=True), ["'hyperdrive'"]),
    ("type_not_vla", lambda m: m.update(type="diffusion_transformer"), ["'type'"]),
    ("policy_a_list", lambda m: m.update(policy=[1, 2]), ["'policy'"]),
    ("policy_missing", lambda m: m.pop("policy"), ["'policy'"]),
    ("field_wrong_type", lambda m: _policy(m, chunk_size="eight"), ["'chunk_size'"]),
    ("field_null", lambda m: _policy(m, head_hidden=None), ["'head_hidden'"]),
    ("field_negative", lambda m: _policy(m, text_dim=-4), ["'text_dim'"]),
    ("width_gigantic", lambda m: _policy(m, head_hidden=10**9), ["'head_hidden'"]),
    ("image_size_gigantic", lambda m: _policy(m, image_size=2**20), ["'image_size'"]),
    ("vision_channels_gigantic", lambda m: _policy(m, vision_channels=[8, 2**24]), ["'vision_channels'"]),
    ("preset_unknown", lambda m: _policy(m, preset="mega"), ["preset"]),
    ("aux_weight_nan", lambda m: _policy(m, aux_weight=float("nan")), ["'aux_weight'"]),
]


def _refused(ckpt: Path, *fragments: str) -> None:
    refusal.assert_refused(ckpt, lambda: load_policy(ckpt), fragments, seconds=10, peak_mb=256)


@pytest.mark.parametrize("case", CONFIG_CASES, ids=[c[0] for c in CONFIG_CASES])
def test_hostile_config_json_is_refused(ckpt, case):
    _, edit, fragments = case
    _edit(ckpt, edit)
    _refused(ckpt, str(ckpt / "config.json"), *fragments)


@pytest.mark.parametrize(
    "content", [b"{not json", b"[1, 2]", b"\xff\xfe\x00", b""], ids=["not_json", "a_list", "binary", "empty"]
)
def test_unreadable_config_json_is_refused(ckpt, content):
    (ckpt / "config.json").write_bytes(content)
    _refused(ckpt, str(ckpt / "config.json"))


def test_config_from_a_newer_release_with_the_same_format_loads(ckpt):
    """simplevla_version is informative: the format_version decides (documented in docs/reliability.md)."""
    _edit(ckpt, lambda m: m.update(simplevla_version="99.0.0"))
    assert load_policy(ckpt).config.image_size == TINY["image_size"]


def test_config_json_symlinked_out_of_the_checkpoint_is_refused(ckpt, tmp_path):
    target = tmp_path / "elsewhere.json"
    (ckpt / "config.json").rename(target)
    (ckpt / "config.json").symlink_to(target)
    _refused(ckpt, str(ckpt / "config.json"), "outside the checkpoint")


# --------------------------------------------------------------------------------------- instructions

LONG = "push the red block left " * 420  # ~10,000 characters, 2,100 words
INSTRUCTIONS = {
    "empty": "",
    "blank": "   \t ",
    "very_long": LONG,
    "non_ascii": "pousse le bloc rouge à gauche 🟥 ブロックを左へ",
    "control_characters": "push\x00 the\x1b[31m red\r block\x07 left",
    "newline": "push the red block\nleft",
    "right_to_left_override": "push the \u202ered block\u202c left",
}
TRY_ACCEPTS = {"non_ascii", "right_to_left_override"}  # printable text of any script is an instruction


@pytest.mark.parametrize("name", list(INSTRUCTIONS))
def test_try_and_instruction_files_check_the_instruction(name, tmp_path):
    text = INSTRUCTIONS[name]
    if name in TRY_ACCEPTS:
        assert TryCommand(policy="unused", instruction=text).instruction == " ".join(text.split())
        return
    with pytest.raises(SimplevlaError, match="--instruction") as e:
        TryCommand(policy="unused", instruction=text)
    assert "empty" in str(e.value) or "control characters" in str(e.value)
    f = tmp_path / "lines.jsonl"
    f.write_text(json.dumps({"family": "reach", "seed": 1, "instruction": text}) + "\n", encoding="utf-8")
    with pytest.raises(SimplevlaError, match=f"{f}:1"):
        read_instruction_file(f)


@pytest.mark.parametrize("text", ["lstm", "wordllama"])
@pytest.mark.parametrize("name", ["very_long", "non_ascii", "control_characters", "right_to_left_override"])
def test_the_policy_reads_any_nonempty_instruction_in_bounded_time(text, name):
    policy = make_policy(PolicyConfig(**TINY, text=text), STATS, TASKS).eval()
    batch = make_batch(policy.config, 1)
    batch["task"] = [INSTRUCTIONS[name]]
    t0 = time.perf_counter()
    action = policy.select_action(batch)
    assert time.perf_counter() - t0 < 10
    assert action.shape == (1, 2) and torch.isfinite(action).all() and action.abs().max() <= 1


def test_the_policy_refuses_an_empty_instruction():
    policy = make_policy(PolicyConfig(**TINY), STATS, TASKS).eval()
    batch = make_batch(policy.config, 2)
    batch["task"] = ["push the red block left", ""]
    with pytest.raises(SimplevlaError, match="empty instruction"):
        policy.select_action(batch)


# -------------------------------------------------------------------------------------------- actions

BAD_ACTIONS = {
    "nan": np.array([np.nan, 0.0], np.float32),
    "inf": np.array([0.0, np.inf], np.float32),
    "minus_inf": np.array([-np.inf, -np.inf]),
    "three_values": np.zeros(3, np.float32),
    "scalar": np.float32(0.5),
    "batched": np.zeros((1, 2), np.float32),
    "strings": np.array(["left", "up"]),
    "none": None,
    "empty": np.zeros(0, np.float32),
}


@pytest.mark.parametrize("name", list(BAD_ACTIONS))
def test_env_refuses_a_bad_action_and_keeps_its_state(name):
    env = TabletopEnv(size=32)
    env.reset(seed=3)
    env.step(np.array([0.3, -0.2], np.float32))
    before = json.dumps(env.get_state(), sort_keys=True)
    with pytest.raises(ValueError, match="action must"):
        env.step(BAD_ACTIONS[name])
    assert json.dumps(env.get_state(), sort_keys=True) == before


@pytest.mark.parametrize("action", [[5.0, -7.0], [1e30, -1e30], [1.0000001, -1.0000001]])
def test_env_clips_finite_out_of_range_actions(action):
    a, b = TabletopEnv(size=32), TabletopEnv(size=32)
    a.reset(seed=5)
    b.reset(seed=5)
    oa = a.step(np.asarray(action, np.float32))[0]
    ob = b.step(np.clip(np.asarray(action, np.float32), -1, 1))[0]
    np.testing.assert_array_equal(oa["agent_pos"], ob["agent_pos"])
    assert os.environ.get("NEVER_SET_X") is None
