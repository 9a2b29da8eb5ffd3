"""ONNX export: onnxruntime agrees with PyTorch, and the exported policy runs closed loop (the `onnx` extra)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("onnxruntime", reason="the 'onnx' extra is not installed")
pytest.importorskip("onnxscript", reason="the 'onnx' extra is not installed")

sys.path.insert(0, str(Path(__file__).resolve().parent / "models"))
from model_helpers import STATS, TASKS, TINY, make_batch  # noqa: E402

from simplevla.cli import main  # noqa: E402
from simplevla.errors import SimplevlaError  # noqa: E402
from simplevla.eval.closed_loop import evaluate  # noqa: E402
from simplevla.export import OnnxPolicy, export_onnx  # noqa: E402
from simplevla.models import PolicyConfig, make_policy, save_policy  # noqa: E402

EXTRA = [dict(), dict(use_state=False, head="tanh", fusion="concat", aux_weight=0.0, plan_input=False)]


@pytest.mark.slow
@pytest.mark.parametrize("extra", EXTRA, ids=["default", "tanh-no-state"])
def test_onnxruntime_matches_pytorch(tmp_path, extra):
    torch.manual_seed(0)
    policy = make_policy(PolicyConfig(**{**TINY, "image_size": 32}, **extra), STATS, TASKS).eval()
    path = export_onnx(policy, tmp_path / "p.onnx")
    onnx_policy = OnnxPolicy(policy, path)
    batch = make_batch(policy.config, batch_size=5, seed=3)  # another batch size than the export's example
    with torch.no_grad():
        text = policy.text(batch["task"])  # (B, Dt)
    with torch.no_grad():
        want = policy.chunks_from_features(batch["observation.image"], text, batch["observation.state"] if policy.config.use_state else None)  # fmt: skip
    got = onnx_policy.run(
        batch["observation.image"].numpy(), batch["observation.state"].numpy(), text.numpy()
    )
    for a, b in zip(want, got, strict=True):
        np.testing.assert_allclose(a.numpy(), b, atol=1e-4, rtol=0)
    policy.reset()
    for _ in range(3):  # the same actions from the same queue semantics
        torch.testing.assert_close(
            onnx_policy.select_action(batch), policy.select_action(batch), atol=1e-4, rtol=0
        )


def test_flow_head_is_refused(tmp_path):
    policy = make_policy(PolicyConfig(**TINY, head="flow"), STATS, TASKS)
    with pytest.raises(SimplevlaError, match="flow head"):
        export_onnx(policy, tmp_path / "p.onnx")


@pytest.mark.slow
def test_export_cli_and_onnx_backend_closed_loop(tmp_path, capsys):
    torch.manual_seed(0)
    policy = make_policy(PolicyConfig(**{**TINY, "image_size": 32}), STATS, TASKS)
    ckpt = save_policy(policy, tmp_path / "ckpt")
    assert main(["export", "--policy", str(ckpt), "--onnx", str(tmp_path / "x.onnx"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["max_abs_diff_vs_torch"] <= 1e-4 and (tmp_path / "x.onnx").stat().st_size > 0
    kw = dict(groups=("reach", "push_direction"), episodes=3, envs=3, videos=0, max_steps=6, progress=False)
    torch_info = evaluate(policy.eval(), tmp_path / "t", **kw)
    onnx_info = evaluate(OnnxPolicy(policy, tmp_path / "x.onnx"), tmp_path / "o", **kw)
    assert [e["steps"] for e in onnx_info["per_episode"]] == [e["steps"] for e in torch_info["per_episode"]]
    assert [e["success"] for e in onnx_info["per_episode"]] == [
        e["success"] for e in torch_info["per_episode"]
    ]
    argv = ["eval", "--policy", str(ckpt), "--backend", "onnx", "--episodes", "1", "--families", "reach"]
    assert main([*argv, "--max-steps", "3", "--videos", "0", "--out", str(tmp_path / "e"), "--json"]) == 0
    assert (tmp_path / "e" / "policy.onnx").exists()
    lines = tmp_path / "mine.tsv"
    lines.write_text("reach\t7\tgo touch the scarlet ball\n")
    argv = ["eval", "--policy", str(ckpt), "--backend", "onnx", "--instruction-file", str(lines)]
    assert main([*argv, "--out", str(tmp_path / "f"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["backend"] == "onnx" and (tmp_path / "f" / "policy.onnx").exists()
