"""`TrainConfig`: everything about a training run except the policy (that is `PolicyConfig`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Literal

import tyro

from simplevla.errors import SimplevlaError


@dataclasses.dataclass
class TrainConfig:
    """One training run. The CLI shows these fields without a prefix (`--steps`, `--batch-size`, ...)."""

    # LeRobotDataset v3.0 directories (required for the CLI); `--dataset A --dataset B` trains on both together
    dataset: tyro.conf.UseAppendAction[tuple[Path, ...]] = ()
    out: Path | None = None  # the run directory: checkpoints/, train_log.csv, loss.png
    steps: int = 2000  # total optimizer steps; the lr schedule is defined over these
    save_every: int = 1000  # checkpoint every K steps (and always at the last step)
    resume: bool = False  # continue from the newest complete checkpoint in OUT/checkpoints
    debug: bool = False  # smoke test: at most 5 steps, batch 8, a 64-sample slice of the data
    batch_size: int = 64  # per process: under torchrun the global batch is batch_size x world size
    lr: float = 1e-3
    weight_decay: float = 1e-4
    warmup_steps: int = 100  # linear warmup, then cosine decay to min_lr_ratio * lr at `steps`
    min_lr_ratio: float = 0.05
    grad_clip: float = 1.0  # max global grad norm (0 disables)
    random_shift: int = 0  # move each training image by up to K pixels (pad with edge pixels, crop); 0 = off
    ema_decay: float = 0.0  # > 0 keeps an EMA of the weights; checkpoints then act with the EMA weights
    val_every: int = 500  # validation loss every K steps (and at the end); 0 disables
    val_batches: int = 4  # validation batches (a fixed slice of the val split)
    val_fraction: float = 0.1  # episodes held out for validation
    log_every: int = 20  # CSV / progress-bar rows every K steps
    seed: int = 0  # model init, data order and split
    device: Literal["auto", "cpu", "cuda", "mps"] = "auto"
    bf16: bool = False  # bf16 autocast (CUDA only)
    # the vision convolutions in bf16 (weights, GroupNorm and the rest fp32): `auto` = on a CPU with native
    # bf16 (AVX512-BF16 or AMX), where they train faster (docs/training.md); `on` anywhere, `off` never
    conv_bf16: Literal["auto", "on", "off"] = "auto"
    # where training batches are built: `device` copies the cache to the training device once (a GPU:
    # no frames cross from the host per step); `auto` does so on CUDA when it takes <= half the free memory
    data_device: Literal["auto", "host", "device"] = "auto"
    threads: int = 0  # CPU threads for torch; 0 = all cores
    cache_dir: Path | None = None  # where the dataset's training cache lives (default: next to the dataset)
    tensorboard: bool = False  # also log to OUT/tensorboard (needs the `tensorboard` extra)
    dist_timeout: float = 300.0  # under torchrun: seconds a rank waits on the others before failing

    def __post_init__(self) -> None:
        given = self.dataset
        if given is None:
            self.dataset = ()
        elif isinstance(given, (str, Path)):
            self.dataset = (Path(given),)
        else:
            self.dataset = tuple(Path(d) for d in given)
        if len(set(self.dataset)) != len(self.dataset):
            raise SimplevlaError(
                f"train config: --dataset names a directory twice: {[str(d) for d in self.dataset]}"
            )
        positive = ("steps", "save_every", "batch_size", "log_every", "val_batches")
        for name in positive:
            if int(getattr(self, name)) < 1:
                raise SimplevlaError(
                    f"train config: --{name.replace('_', '-')} must be >= 1, got {getattr(self, name)}"
                )
        # written as `not x > 0`: a NaN fails every comparison, so `x <= 0` would let it through
        if not self.lr > 0 or self.warmup_steps < 0 or self.val_every < 0 or not self.grad_clip >= 0:
            raise SimplevlaError(
                "train config: --lr must be > 0 and --warmup-steps, --val-every, --grad-clip >= 0 "
                f"(got --lr {self.lr}, --grad-clip {self.grad_clip})"
            )
        if not 0 <= self.random_shift <= 16:
            raise SimplevlaError(
                f"train config: --random-shift must be in [0, 16] pixels, got {self.random_shift}"
            )
        if not self.weight_decay >= 0:
            raise SimplevlaError(f"train config: --weight-decay must be >= 0, got {self.weight_decay}")
        if not 0.0 <= self.val_fraction < 1.0:
            raise SimplevlaError(f"train config: --val-fraction must be in [0, 1), got {self.val_fraction}")
        if not self.dist_timeout > 0:
            raise SimplevlaError(f"train config: --dist-timeout must be > 0 seconds, got {self.dist_timeout}")
        if not 0.0 <= self.ema_decay < 1.0:
            raise SimplevlaError(f"train config: --ema-decay must be in [0, 1), got {self.ema_decay}")
        if not 0.0 <= self.min_lr_ratio <= 1.0:
            raise SimplevlaError(f"train config: --min-lr-ratio must be in [0, 1], got {self.min_lr_ratio}")
        if self.debug:
            self.steps = min(self.steps, 5)
            self.batch_size = min(self.batch_size, 8)
            self.save_every = min(self.save_every, self.steps)
            self.val_every, self.val_batches, self.log_every = 1, 1, 1
            self.warmup_steps = min(self.warmup_steps, 1)

    def to_dict(self) -> dict[str, Any]:
        out = {k: (str(v) if isinstance(v, Path) else v) for k, v in dataclasses.asdict(self).items()}
        out["dataset"] = [str(d) for d in self.dataset]
        return out
