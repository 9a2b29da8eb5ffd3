"""DDP under torchrun on CPU (gloo, loopback): two processes match one with the same global batch, resume
under DDP is exact, only rank 0 writes, and a rank that dies ends the job instead of hanging it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from training_fakes import TINY_SIMPLE, tiny_cache, tiny_train_config

from simplevla.models import PolicyConfig
from simplevla.train.config import TrainConfig
from simplevla.train.data import make_source
from simplevla.train.loop import train

HERE = Path(__file__).parent
STEPS, SAVE_EVERY, PER_RANK_BATCH = 6, 3, 4
# The `default` preset with the tutorial CNN in place of `convnet`: the ConvNet has parameters whose
# gradient is zero up to round-off (conv biases before a one-channel-per-group GroupNorm, the keypoint
# projection's bias before the spatial softmax), and Adam turns that round-off into lr-sized steps, so
# they differ between any two summation orders (two processes or one, or another thread count). Every
# other part of `default` (wordllama text, chunked multi-mode head, aux and plan input) is here.
POLICY = dict(TINY_SIMPLE, vision="simple", fusion="concat", keypoints=0, chunk_size=3, n_action_steps=2)

SCRIPT = """
import os, sys
sys.path[:0] = [{here!r}, {tests!r}]
from training_fakes import tiny_cache, tiny_train_config
from simplevla.models import PolicyConfig
from simplevla.train.loop import train
from simplevla.train.data import make_source

class DieOnRank1:
    def __init__(self, inner): self.inner = inner
    def __len__(self): return len(self.inner)
    def batch_indices(self, step, batch_size):
        if step == 2 and os.environ["RANK"] == "1":
            os._exit(3)
        return self.inner.batch_indices(step, batch_size)
    def get_batch(self, idx): return self.inner.get_batch(idx)

cfg = tiny_train_config({out!r}, {steps}, {save_every}, batch_size={batch}, resume={resume}, dist_timeout=60)
pcfg = PolicyConfig(**{policy!r})
data = make_source(tiny_cache(), pcfg, val_fraction=0.2, seed=0)
if {die}:
    data.train = DieOnRank1(data.train)
train(cfg, pcfg, data)
"""


def _config(out: Path, batch: int, **kw) -> tuple[TrainConfig, PolicyConfig]:
    cfg = tiny_train_config(out, STEPS, SAVE_EVERY, batch_size=batch, **kw)
    return cfg, PolicyConfig(**POLICY)


def _torchrun(
    out: Path, resume: bool = False, die: bool = False, timeout: float = 120
) -> subprocess.CompletedProcess:
    script = out.parent / f"{out.name}_{'resume' if resume else 'run'}.py"
    script.write_text(
        textwrap.dedent(
            SCRIPT.format(
                here=str(HERE),
                tests=str(HERE.parent),
                out=str(out),
                steps=STEPS,
                save_every=SAVE_EVERY,
                batch=PER_RANK_BATCH,
                resume=resume,
                die=die,
                policy=POLICY,
            )
        )
    )
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    env.update(OMP_NUM_THREADS="1", GLOO_SOCKET_IFNAME="lo", MASTER_ADDR="127.0.0.1")
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        str(script),
    ]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)


def _weights(run: Path, step: int) -> dict[str, torch.Tensor]:
    return load_file(str(run / "checkpoints" / f"{step:06d}" / "model.safetensors"))


@pytest.mark.slow
def test_two_processes_match_one_process_with_the_global_batch_and_resume_exactly(tmp_path):
    ddp = tmp_path / "ddp"
    proc = _torchrun(ddp)
    assert proc.returncode == 0, proc.stderr[-3000:]

    # one process, the same global batch (2 x 4) and so the same samples
    cfg, pcfg = _config(tmp_path / "single", batch=2 * PER_RANK_BATCH)
    single = train(cfg, pcfg, make_source(tiny_cache(), pcfg, val_fraction=0.2, seed=0))
    assert single["world_size"] == 1
    a, b = _weights(ddp, STEPS), _weights(tmp_path / "single", STEPS)
    assert a.keys() == b.keys()
    worst = max((a[k].double() - b[k].double()).abs().max().item() for k in a if a[k].is_floating_point())
    assert worst <= 1e-6, (worst, str(tmp_path))
    changed = max(
        (a[k] - _weights(ddp, SAVE_EVERY)[k]).abs().max().item() for k in a if a[k].is_floating_point()
    )
    assert changed > 1e-4  # the steps moved the weights, so the match above means something

    # rank 0 alone wrote: one directory per save, one log row per step, no temporary leftovers
    names = sorted(p.name for p in (ddp / "checkpoints").iterdir())
    assert names == ["000003", "000006", "last"], names
    steps = [int(r.split(",")[0]) for r in (ddp / "train_log.csv").read_text().splitlines()[1:]]
    assert steps == list(range(1, STEPS + 1))
    rng = load_file(str(ddp / "checkpoints" / "000006" / "training_state" / "rng.safetensors"))
    assert {"torch_cpu_rank0", "torch_cpu_rank1"} <= rng.keys()

    # resume under DDP from the step-3 checkpoint: bit-identical to the uninterrupted DDP run
    resumed = tmp_path / "resumed"
    import shutil

    shutil.copytree(ddp, resumed, symlinks=True)
    shutil.rmtree(resumed / "checkpoints" / "000006")
    os.replace(resumed / "checkpoints" / "last", resumed / "checkpoints" / "last.old")
    (resumed / "checkpoints" / "last.old").unlink()
    proc = _torchrun(resumed, resume=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    again = _weights(resumed, STEPS)
    assert all(torch.equal(again[k], a[k]) for k in a)


@pytest.mark.slow
def test_a_rank_that_dies_ends_the_job(tmp_path):
    proc = _torchrun(tmp_path / "dies", die=True, timeout=150)
    assert proc.returncode != 0
    assert "exitcode" in proc.stderr or "failed" in proc.stderr.lower(), proc.stderr[-3000:]
    assert not (tmp_path / "dies" / "checkpoints" / "000003").exists()  # died before the first save
