"""Training checkpoints: RUN/checkpoints/<step:06d>/ = policy files + training_state/, and a `last` link.

training_state/ holds optimizer.pt (AdamW state; read back with torch.load(weights_only=True)),
rng.safetensors (torch CPU/CUDA generator states), state.json (step, schedule, python and numpy RNG
states) and, with EMA, raw_model.safetensors (the un-averaged weights the optimizer works on).
Each checkpoint directory is written atomically, so a killed run leaves only complete checkpoints.
"""

from __future__ import annotations

import io
import json
import os
import random
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

from simplevla.atomic import atomic_dir, clean_stale
from simplevla.errors import SimplevlaError
from simplevla.models.io import (
    CONFIG,
    WEIGHTS,
    read_config,
    read_tensors,
    step_dirs,
    write_policy_files,
)
from simplevla.models.policy import VLAPolicy

STATE_DIR = "training_state"


def rng_state() -> tuple[dict, dict[str, torch.Tensor]]:
    """(JSON-able python/numpy states, tensors of torch generator states)."""
    np_state = np.random.get_state(legacy=False)
    np_state["state"]["key"] = np_state["state"]["key"].tolist()
    py = random.getstate()
    tensors = {"torch_cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"torch_cuda_{i}"] = s
    return {"python": [py[0], list(py[1]), py[2]], "numpy": np_state}, tensors


def set_rng_state(js: dict, tensors: dict[str, torch.Tensor]) -> None:
    py = js["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    np_state = dict(js["numpy"])
    np_state["state"] = dict(np_state["state"], key=np.asarray(np_state["state"]["key"], dtype=np.uint32))
    np.random.set_state(np_state)
    torch.set_rng_state(tensors["torch_cpu"])
    if torch.cuda.is_available():
        n = len([k for k in tensors if k.startswith("torch_cuda_")])
        if n == torch.cuda.device_count():
            torch.cuda.set_rng_state_all([tensors[f"torch_cuda_{i}"] for i in range(n)])


def save_checkpoint(
    run: Path,
    step: int,
    policy: VLAPolicy,
    optimizer: torch.optim.Optimizer,
    train_state: dict,
    ema: dict[str, torch.Tensor] | None = None,
    rank_rng: dict[str, torch.Tensor] | None = None,
) -> Path:
    """Write RUN/checkpoints/<step>/ atomically and point `last` at it. Returns the checkpoint dir.
    `rank_rng`: every rank's generator states under torchrun (`distributed.gather_rng`), kept beside
    this process's in rng.safetensors."""
    root = run / "checkpoints"
    path = root / f"{step:06d}"
    with atomic_dir(path) as tmp:
        raw = {k: v.detach().cpu().contiguous() for k, v in policy.state_dict().items()}
        write_policy_files(policy, tmp, state=ema if ema is not None else raw)
        sd = tmp / STATE_DIR
        sd.mkdir()
        buf = io.BytesIO()  # torch.save to a full disk fails with a RuntimeError; a plain write, with ENOSPC
        torch.save(optimizer.state_dict(), buf)
        (sd / "optimizer.pt").write_bytes(buf.getbuffer())
        js, tensors = rng_state()
        save_file({**tensors, **(rank_rng or {})}, str(sd / "rng.safetensors"))
        if ema is not None:
            save_file(raw, str(sd / "raw_model.safetensors"))
        (sd / "state.json").write_text(json.dumps({"step": step, **train_state, "rng": js}) + "\n")
    _point_last(root, path.name)
    return path


def _point_last(root: Path, name: str) -> None:
    """Atomically replace the `last` symlink (relative, so the run dir can be moved)."""
    clean_stale(root, "last")  # a `.last.tmp-PID` link that a killed run left
    tmp = root / f".last.tmp-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(name)
    os.replace(tmp, root / "last")


def latest_checkpoint(run: Path) -> Path | None:
    """The highest-step complete checkpoint (one with training_state/state.json), or None."""
    dirs = [d for d in step_dirs(run / "checkpoints") if (d / STATE_DIR / "state.json").is_file()]
    return dirs[-1] if dirs else None


def load_training_state(
    ckpt: Path, policy: VLAPolicy, optimizer: torch.optim.Optimizer
) -> tuple[dict, dict[str, torch.Tensor] | None, dict[str, torch.Tensor]]:
    """Restore weights, optimizer and RNG states in place. Returns (state.json, EMA weights or None, the
    tensors of rng.safetensors: under torchrun they also hold every rank's states, see `save_checkpoint`)."""
    saved_cfg = read_config(ckpt)
    diff = {
        k: (v, getattr(policy.config, k))
        for k, v in saved_cfg.to_dict().items()
        if policy.config.to_dict()[k] != v
    }
    if diff:
        raise SimplevlaError(
            f"{ckpt / CONFIG}: the run was trained with a different policy config "
            f"(field: saved vs now) {diff}; resume with the same --preset and overrides"
        )
    sd = ckpt / STATE_DIR
    state = json.loads((sd / "state.json").read_text())
    has_ema = (sd / "raw_model.safetensors").is_file()
    weights = read_tensors(ckpt / WEIGHTS)
    policy.load_state_dict(read_tensors(sd / "raw_model.safetensors") if has_ema else weights)
    # the saved param_groups carry the kernel choice of the run that wrote them (fused or not); this
    # machine keeps its own, so a checkpoint moves between CPU, CUDA and other devices
    kernels = [{k: g.get(k) for k in ("fused", "foreach")} for g in optimizer.param_groups]
    optimizer.load_state_dict(torch.load(sd / "optimizer.pt", weights_only=True, map_location="cpu"))
    for group, kernel in zip(optimizer.param_groups, kernels, strict=True):
        group.update(kernel)
    rng = read_tensors(sd / "rng.safetensors")
    set_rng_state(state["rng"], rng)
    return state, (weights if has_ema else None), rng
