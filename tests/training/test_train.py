"""The training loop: exact resume, kill-and-resume, NaN stop, feature checks, logs."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from training_fakes import TINY, tiny_cache, tiny_train_config

from simplevla import keys, load_policy
from simplevla.errors import SimplevlaError
from simplevla.models import PolicyConfig
from simplevla.train.checkpointing import latest_checkpoint
from simplevla.train.config import TrainConfig
from simplevla.train.data import make_source
from simplevla.train.loop import train

HERE = Path(__file__).parent


def _cfgs(out: Path, steps: int, save_every: int, **kw) -> tuple[TrainConfig, PolicyConfig]:
    return tiny_train_config(out, steps, save_every, **kw), PolicyConfig(
        **TINY, chunk_size=3, n_action_steps=2
    )


def _run(out: Path, steps: int, save_every: int, data_wrap=None, **kw) -> dict:
    cfg, pcfg = _cfgs(out, steps, save_every, **kw)
    data = make_source(tiny_cache(), pcfg, val_fraction=0.2, seed=cfg.seed)
    if data_wrap is not None:
        data.train = data_wrap(data.train)
    return train(cfg, pcfg, data)


def _weights(ckpt: Path) -> dict[str, torch.Tensor]:
    return load_file(str(ckpt / "model.safetensors"))


def _assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


@pytest.mark.slow
@pytest.mark.parametrize(
    "extra",
    [{}, {"ema_decay": 0.9}, {"random_shift": 2, "conv_bf16": "on"}],
    ids=["plain", "ema", "shift-bf16"],
)
def test_resume_is_exact(tmp_path, extra):
    full = _run(tmp_path / "full", 8, 4, **extra)
    _run(tmp_path / "split", 8, 4, **extra)
    split_ckpts = tmp_path / "split" / "checkpoints"
    _assert_same(_weights(split_ckpts / "000004"), _weights(tmp_path / "full" / "checkpoints" / "000004"))
    import shutil

    shutil.rmtree(split_ckpts / "000008")  # stop after the step-4 checkpoint
    resumed = _run(tmp_path / "split", 8, 4, resume=True, **extra)
    assert resumed["resumed_from"] == 4 and full["resumed_from"] == 0
    _assert_same(_weights(split_ckpts / "000008"), _weights(tmp_path / "full" / "checkpoints" / "000008"))
    assert os.readlink(split_ckpts / "last") == "000008"
    steps = [
        int(r.split(",")[0]) for r in (tmp_path / "split" / "train_log.csv").read_text().splitlines()[1:]
    ]
    assert steps == list(range(1, 9))  # the log was cut back to step 4, then continued
    assert (tmp_path / "split" / "loss.png").stat().st_size > 1000


def test_run_dir_with_checkpoints_needs_resume(tmp_path):
    _run(tmp_path, 2, 2)
    with pytest.raises(SimplevlaError, match="--resume"):
        _run(tmp_path, 4, 2)


class _Poisoned:
    """Wraps a sampler: from `at_step` on, actions are NaN."""

    def __init__(self, inner, at_step: int) -> None:
        self.inner, self.at_step, self.step = inner, at_step, 0

    def __len__(self) -> int:
        return len(self.inner)

    def batch_indices(self, step: int, batch_size: int) -> np.ndarray:
        self.step = step
        return self.inner.batch_indices(step, batch_size)

    def get_batch(self, idx):
        batch = self.inner.get_batch(idx)
        if self.step >= self.at_step:
            batch[keys.ACTION] = torch.full_like(batch[keys.ACTION], float("nan"))
        return batch


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tmp_path):
    with pytest.raises(SimplevlaError, match=r"step 7: the loss is nan.*000005"):
        _run(tmp_path, 20, 5, data_wrap=lambda s: _Poisoned(s, 7))
    assert latest_checkpoint(tmp_path).name == "000005"
    assert load_policy(tmp_path).config.chunk_size == 3


def test_dataset_features_must_match_policy():
    with pytest.raises(SimplevlaError, match=r"16x16.*expects 32x32.*--policy.image-size 16"):
        make_source(tiny_cache(), PolicyConfig(**dict(TINY, image_size=32)), 0.2, 0, name="ds")
    with pytest.raises(SimplevlaError, match="observation.state' has 2 values, the policy expects 3"):
        make_source(tiny_cache(), PolicyConfig(**TINY, state_dim=3), 0.2, 0)
    plain = dataclasses.replace(tiny_cache(), task_xy=None)  # a dataset recorded with --no-task-xy
    with pytest.raises(
        SimplevlaError, match=r"aux.task_xy' is missing.*--task-xy.*--policy.plan-input False"
    ):
        make_source(plain, PolicyConfig(**TINY), 0.2, 0)  # the default preset reads task_xy
    make_source(
        plain, PolicyConfig(**TINY, aux_weight=0.0, plan_input=False, parse_weight=0.0), 0.2, 0
    )  # ... unless told not to


KILL_SCRIPT = """
import sys
sys.path[:0] = [{here!r}, {tests!r}]  # training_fakes, and the tiny_policy it imports
from training_fakes import TINY, SlowSampler, tiny_cache, tiny_train_config
from simplevla.models import PolicyConfig
from simplevla.train.loop import train
from simplevla.train.data import make_source

cfg = tiny_train_config({out!r}, steps=40, save_every=5)
pcfg = PolicyConfig(**TINY, chunk_size=3, n_action_steps=2)
data = make_source(tiny_cache(), pcfg, val_fraction=0.2, seed=0)
data.train = SlowSampler(data.train)
train(cfg, pcfg, data)
"""


@pytest.mark.slow
def test_sigkill_then_resume_matches_uninterrupted(tmp_path):
    run = tmp_path / "killed"
    script = textwrap.dedent(KILL_SCRIPT.format(here=str(HERE), tests=str(HERE.parent), out=str(run)))
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.time() + 60
    while not (run / "checkpoints" / "000010").exists():
        assert proc.poll() is None and time.time() < deadline, "the training subprocess ended early"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    last = latest_checkpoint(run)
    assert last is not None and 10 <= int(last.name) < 40
    resumed = _run(run, 40, 5, resume=True)
    assert resumed["resumed_from"] == int(last.name)
    full = _run(tmp_path / "full", 40, 5)
    assert full["steps"] == 40
    _assert_same(
        _weights(run / "checkpoints" / "000040"), _weights(tmp_path / "full" / "checkpoints" / "000040")
    )


def test_resume_with_a_different_policy_config_is_refused(tmp_path):
    _run(tmp_path, 2, 2)
    cfg, _ = _cfgs(tmp_path, 4, 2, resume=True)
    pcfg = PolicyConfig(**TINY, chunk_size=4, n_action_steps=2)
    with pytest.raises(SimplevlaError, match="chunk_size"):
        train(cfg, pcfg, make_source(tiny_cache(), pcfg, 0.2, 0))


def test_tensorboard_flag_needs_its_extra_or_writes_events(tmp_path):
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        with pytest.raises(SimplevlaError, match=r"simplevla\[tensorboard\]"):
            _run(tmp_path, 2, 2, tensorboard=True)
    else:
        _run(tmp_path, 2, 2, tensorboard=True)
        assert any((tmp_path / "tensorboard").iterdir())


@pytest.mark.slow
def test_resume_keeps_the_checkpoint_vocabulary_when_the_dataset_grew(tmp_path):
    _run(tmp_path, 2, 2)
    cfg, pcfg = _cfgs(tmp_path, 4, 2, resume=True)
    cache = tiny_cache()
    cache.tasks = [*cache.tasks[:-1], "wiggle a brand new zebra"]  # new words: a larger fresh vocabulary
    out = train(cfg, pcfg, make_source(cache, pcfg, 0.2, 0))
    assert out["resumed_from"] == 2
    assert "zebra" not in load_policy(tmp_path).tokenizer.ids


@pytest.mark.parametrize("device", ["cpu", "meta"], ids=["into-fused", "into-per-tensor"])
def test_optimizer_state_loads_across_kernels(tmp_path, device):
    """A CPU run saves a fused AdamW's state; the optimizer of a run elsewhere (fused, or the per-tensor
    loop that `make_optimizer` picks on other devices) reads the same moments and keeps its own kernel."""
    from simplevla.train.checkpointing import load_training_state
    from simplevla.train.loop import make_optimizer

    _run(tmp_path, 2, 2)
    ckpt = latest_checkpoint(tmp_path)
    saved = torch.load(ckpt / "training_state" / "optimizer.pt", weights_only=True)
    assert all(g["fused"] for g in saved["param_groups"])  # training on CPU uses the fused kernel
    policy = load_policy(tmp_path).train()
    opt = make_optimizer(policy, _cfgs(tmp_path, 2, 2)[0], torch.device(device))
    kernel = opt.param_groups[0]["fused"]
    assert kernel == (True if device == "cpu" else None)
    load_training_state(ckpt, policy, opt)
    assert all(g["fused"] == kernel for g in opt.param_groups)
    params = [p for g in opt.param_groups for p in g["params"]]  # the order the state's ids follow
    for i, p in enumerate(params):
        torch.testing.assert_close(opt.state[p]["exp_avg"], saved["state"][i]["exp_avg"], rtol=0, atol=0)


def test_fused_adamw_takes_the_per_tensor_step():
    """The fused kernel `make_optimizer` picks on CPU computes the per-tensor loop's AdamW update (rounding aside)."""
    from simplevla.train.loop import make_optimizer

    torch.manual_seed(0)
    fused = tiny_policy_for_optimizer()
    loop = tiny_policy_for_optimizer()
    loop.load_state_dict(fused.state_dict())
    cfg = _cfgs(Path("unused"), 2, 2)[0]
    opts = [make_optimizer(m, cfg, torch.device("cpu")) for m in (fused, loop)]
    for g in opts[1].param_groups:
        g["fused"] = None
    assert all(g["fused"] for g in opts[0].param_groups)
    for _ in range(3):
        grads = [torch.randn_like(p) for p in fused.parameters()]
        for model, opt in zip((fused, loop), opts, strict=True):
            for p, g in zip(model.parameters(), grads, strict=True):
                p.grad = g.clone()
            opt.step()
    for a, b in zip(fused.parameters(), loop.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)


def tiny_policy_for_optimizer() -> torch.nn.Module:
    """Matrices (weight decay) and vectors (none), as a policy has."""
    return torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.LayerNorm(5), torch.nn.Linear(5, 2))
