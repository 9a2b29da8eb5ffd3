"""`simplevla train`: one plain loop (setup, step, log, validate, checkpoint, resume).

    simplevla train --dataset DIR --preset default --steps 2000 --out runs/x [--save-every K] [--resume]
                    [--debug] [--policy.vision convnet ...] [--batch-size 64 --lr 1e-3 ...]

Resume is exact: the data order is a pure function of the step (`sampler.batch_indices`), the learning
rate a pure function of (step, configured total), and checkpoints carry weights, optimizer and RNG states.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import torch
import tyro
from tqdm import tqdm

from simplevla.errors import SimplevlaError
from simplevla.locking import writer_lock
from simplevla.models import PolicyConfig, VLAPolicy, make_policy, num_params
from simplevla.models.checkpoint import TOKENIZER
from simplevla.models.tokenizer import WordTokenizer
from simplevla.training.checkpointing import latest_checkpoint, load_training_state, save_checkpoint
from simplevla.training.config import TrainConfig
from simplevla.training.data import DataSource, load_source
from simplevla.training.logs import TrainLog, plot_loss
from simplevla.training.schedule import lr_at


def pick_device(name: str) -> torch.device:
    if name != "auto":
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


@torch.no_grad()
def validate(policy: VLAPolicy, data: DataSource, cfg: TrainConfig) -> float | None:
    """Mean loss over a fixed slice of the val split (the same samples every time); None without val."""
    if data.val is None or len(data.val) == 0:
        return None
    policy.eval()
    n = min(len(data.val), cfg.val_batches * cfg.batch_size)
    losses = []
    for start in range(0, n, cfg.batch_size):
        idx = torch.arange(start, min(n, start + cfg.batch_size)).numpy()
        loss, _ = policy(data.val.get_batch(idx))
        losses.append(loss.item() * len(idx))
    policy.train()
    return sum(losses) / n


def _ema_init(policy: VLAPolicy) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in policy.state_dict().items()}


@torch.no_grad()
def _ema_update(ema: dict[str, torch.Tensor], policy: VLAPolicy, decay: float) -> None:
    for k, v in policy.state_dict().items():
        if v.dtype.is_floating_point:
            ema[k].lerp_(v, 1.0 - decay)
        else:
            ema[k].copy_(v)


def _setup(cfg: TrainConfig, policy_cfg: PolicyConfig, data: DataSource | None, run: Path):
    torch.set_num_threads(cfg.threads or os.cpu_count() or 1)
    torch.manual_seed(cfg.seed)
    if data is None:
        if cfg.dataset is None:
            raise SimplevlaError("train: --dataset is required")
        data = load_source(cfg.dataset, cfg.cache_dir, policy_cfg, cfg.val_fraction, cfg.seed, cfg.debug)
    device = pick_device(cfg.device)
    ckpt = latest_checkpoint(run) if cfg.resume else None
    tokenizer = None  # on resume, the vocabulary comes from the checkpoint, even if the dataset has grown
    if ckpt is not None and (ckpt / TOKENIZER).is_file():
        tokenizer = WordTokenizer.from_json(json.loads((ckpt / TOKENIZER).read_text()), str(ckpt / TOKENIZER))
    policy = make_policy(policy_cfg, data.stats, data.tasks, tokenizer=tokenizer).to(device).train()
    decay, no_decay = [], []
    for name, p in policy.named_parameters():
        if p.requires_grad:
            (no_decay if p.ndim < 2 or "norm" in name else decay).append(p)
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg.lr,
    )
    return data, device, policy, optimizer


def _restore(
    cfg: TrainConfig, run: Path, policy: VLAPolicy, optimizer: torch.optim.Optimizer, device: torch.device
) -> tuple[int, Path | None, dict[str, torch.Tensor] | None]:
    """(start step, checkpoint resumed from, EMA weights) after restoring the newest checkpoint if any."""
    ckpt = latest_checkpoint(run)
    if ckpt is None:
        return 0, None, _ema_init(policy) if cfg.ema_decay > 0 else None
    if not cfg.resume:
        raise SimplevlaError(
            f"{run}: already holds checkpoints (newest {ckpt.name}); pass --resume to continue it, or choose a new --out"
        )
    state, saved_ema = load_training_state(ckpt, policy, optimizer)
    ema = None
    if cfg.ema_decay > 0:  # the saved EMA, or (if the run had none) one started from the restored weights
        ema = {k: v.to(device) for k, v in saved_ema.items()} if saved_ema is not None else _ema_init(policy)
    return int(state["step"]), ckpt, ema


def _step(
    policy: VLAPolicy,
    optimizer: torch.optim.Optimizer,
    batch: dict,
    step: int,
    lr: float,
    cfg: TrainConfig,
    autocast,
    last_ckpt: Path | None,
) -> tuple[float, float]:
    """One optimizer step; returns (loss, grad norm). Stops on a non-finite loss before updating."""
    with autocast:
        loss, _ = policy(batch)
    loss_value = loss.item()
    if not torch.isfinite(loss):
        raise SimplevlaError(
            f"step {step}: the loss is {loss_value} (not finite); training stopped. The last good "
            f"checkpoint is {last_ckpt or 'none (no checkpoint was written yet)'}; try a lower --lr"
        )
    for group in optimizer.param_groups:
        group["lr"] = lr
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    grad_norm = float("nan")
    if cfg.grad_clip > 0:
        grad_norm = torch.nn.utils.clip_grad_norm_(policy.parameters(), cfg.grad_clip).item()
    optimizer.step()
    return loss_value, grad_norm


def train(cfg: TrainConfig, policy_cfg: PolicyConfig, data: DataSource | None = None) -> dict:
    """Train (or resume) a run; returns a JSON-able summary. `data` defaults to `cfg.dataset`'s cache."""
    if cfg.out is None:
        raise SimplevlaError("train: --out (the run directory) is required")
    with writer_lock(Path(cfg.out), "train"):  # one writer per run directory (simplevla.locking)
        return _train_locked(cfg, policy_cfg, data)


def _train_locked(cfg: TrainConfig, policy_cfg: PolicyConfig, data: DataSource | None) -> dict:
    run = Path(cfg.out)
    data, device, policy, optimizer = _setup(cfg, policy_cfg, data, run)
    start, last_ckpt, ema = _restore(cfg, run, policy, optimizer, device)
    run.mkdir(parents=True, exist_ok=True)
    log = TrainLog(run, resume_step=start, tensorboard=cfg.tensorboard)
    bf16 = cfg.bf16 and device.type == "cuda"
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if bf16 else nullcontext()
    schedule = dict(
        base_lr=cfg.lr, total_steps=cfg.steps, warmup_steps=cfg.warmup_steps, min_lr_ratio=cfg.min_lr_ratio
    )
    bar = tqdm(
        total=cfg.steps,
        initial=start,
        desc=f"train {policy_cfg.preset}",
        file=sys.stderr,
        dynamic_ncols=True,
        mininterval=1.0,
    )
    t0 = window_t = time.perf_counter()
    window_n, loss_value, val_loss = 0, float("nan"), None
    try:
        for step in range(start, cfg.steps):
            batch = data.train.get_batch(data.train.batch_indices(step, cfg.batch_size))
            lr = lr_at(step, **schedule)
            loss_value, grad_norm = _step(policy, optimizer, batch, step, lr, cfg, autocast, last_ckpt)
            if ema is not None:
                _ema_update(ema, policy, cfg.ema_decay)
            done, window_n = step + 1, window_n + cfg.batch_size
            is_last = done == cfg.steps
            val_loss = (
                validate(policy, data, cfg)
                if cfg.val_every and (done % cfg.val_every == 0 or is_last)
                else None
            )
            if done % cfg.log_every == 0 or is_last or val_loss is not None:
                sps = window_n / max(time.perf_counter() - window_t, 1e-9)
                log.write(
                    dict(
                        step=done,
                        loss=loss_value,
                        val_loss=val_loss,
                        lr=lr,
                        grad_norm=grad_norm,
                        samples_per_s=round(sps, 1),
                        wall_s=round(time.perf_counter() - t0, 2),
                    )
                )
                bar.set_postfix(loss=f"{loss_value:.4f}", lr=f"{lr:.2e}", sps=f"{sps:.0f}", refresh=False)
                window_t, window_n = time.perf_counter(), 0
            bar.update(1)
            if done % cfg.save_every == 0 or is_last:
                train_state = {"schedule": schedule, "train_config": cfg.to_dict()}
                last_ckpt = save_checkpoint(run, done, policy, optimizer, train_state, ema)
    finally:
        bar.close()
        log.close()
        plot_loss(log.path, run / "loss.png", title=f"{policy_cfg.preset} preset")
    wall, trained = time.perf_counter() - t0, cfg.steps - start
    return {
        "run": str(run),
        "checkpoint": str(last_ckpt) if last_ckpt else None,
        "preset": policy_cfg.preset,
        "steps": cfg.steps,
        "resumed_from": start,
        "loss": loss_value,
        "val_loss": val_loss,
        "params": num_params(policy),
        "device": str(device),
        "wall_s": round(wall, 2),
        "samples_per_s": round(trained * cfg.batch_size / wall, 1) if trained else None,
    }


@dataclasses.dataclass
class TrainCommand:
    """Train a policy on a recorded dataset, with checkpoints, exact resume and logs."""

    policy: PolicyConfig
    train: Annotated[TrainConfig, tyro.conf.OmitArgPrefixes]
    json: bool = False  # print the result summary as one JSON object

    def run(self) -> dict:
        if self.train.dataset is None or self.train.out is None:
            raise SimplevlaError("train: --dataset DIR and --out RUN are required")
        return train(self.train, self.policy)
