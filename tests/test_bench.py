"""`simplevla bench` at tiny sizes: every documented key is there and is a positive number (no speed asserted)."""

from __future__ import annotations

import json

import pytest

from simplevla.bench import speed as bench
from simplevla.cli import main
from simplevla.train.precision import native_cpu_bf16


@pytest.mark.slow
def test_bench_reports_every_key(monkeypatch, capsys):
    tiny = {"env_steps": 50, "vec_steps": 5, "record_episodes": 4, "loader_batches": 2, "train_steps": 1}
    monkeypatch.setattr(bench, "SIZES", {k: (v, v) for k, v in {**tiny, "inference_repeats": 3}.items()})
    monkeypatch.setattr(bench, "PRESETS", ("default",))
    assert main(["bench", "--quick", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    for key in ("env_steps_per_s", "vec_env_steps_per_s", "record_episodes_per_s", "loader_samples_per_s"):
        assert result[key] > 0, key
    assert result["matmul_peak_gflops"] > 0
    train = result["train"]["default"]
    assert train["samples_per_s"] > 0 and 0 < train["flops_utilization"] and train["gflops_per_step"] > 0
    # on a CPU with bf16 in hardware, also the speed `simplevla train --conv-bf16 auto` trains at
    assert ("default_conv_bf16" in result["train"]) == native_cpu_bf16()
    inference = result["inference"]["default"]
    assert 0 < inference["p50_ms"] <= inference["p99_ms"]
    # the test extra installs onnx and onnxruntime, so the export must work: a failure leaves a note, not a time
    assert "onnx_note" not in inference, inference.get("onnx_note")
    assert 0 < inference["onnx_p50_ms"] <= inference["onnx_p99_ms"]
    assert result["memory"]["peak_rss_mb"] > 0 and result["memory"]["rss_mb_1x"] > 0
    assert result["memory"]["rss_mb_10x"] > 0
