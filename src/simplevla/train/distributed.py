"""Multi-process training with torchrun: who this process is, and the few collectives the loop needs.

    torchrun --nproc_per_node 2 -m simplevla train --dataset DIR --out RUN ...

torchrun sets WORLD_SIZE, RANK and LOCAL_RANK; without them (a plain `simplevla train`) everything here
is a no-op with world size 1. Backend: gloo on CPU, NCCL on CUDA (one GPU per process, cuda:LOCAL_RANK).
Batch semantics: `--batch-size` is per process, so the global batch is batch_size x world size. Each step
draws the global batch from the sampler (a pure function of seed and step, as in one process) and process
r takes the r-th slice: ranks see disjoint samples, and N processes see what one process with a batch N
times larger would see. The learning rate is not rescaled: `--lr` is what the optimizer uses.
"""

from __future__ import annotations

import dataclasses
import datetime
import os

import numpy as np
import torch
import torch.distributed as dist

from simplevla.errors import SimplevlaError


@dataclasses.dataclass(frozen=True)
class Dist:
    """This process's place in the job. `rank == 0` logs, draws the progress bar and writes checkpoints."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world > 1


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SimplevlaError(
            f"environment variable {name}={raw!r} is not an integer (set by torchrun)"
        ) from None


def from_env() -> Dist:
    """The job layout torchrun put in the environment (world size 1 without torchrun)."""
    world = _env_int("WORLD_SIZE", 1)
    rank, local = _env_int("RANK", 0), _env_int("LOCAL_RANK", 0)
    if world < 1 or not 0 <= rank < world:
        raise SimplevlaError(f"RANK={rank} and WORLD_SIZE={world}: need 0 <= RANK < WORLD_SIZE")
    return Dist(rank=rank, world=world, local_rank=local)


def init(d: Dist, device: torch.device, timeout_s: float) -> torch.device:
    """Join the process group (when world > 1) and return this process's device.

    A rank that dies makes the others fail their next collective within `timeout_s` instead of hanging."""
    if not d.enabled:
        return device
    if device.type == "cuda":
        device = torch.device("cuda", d.local_rank)
        torch.cuda.set_device(device)
    elif device.type != "cpu":
        raise SimplevlaError(f"train: multi-process training runs on cpu or cuda, not {device.type}")
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend, timeout=datetime.timedelta(seconds=timeout_s))
    return device


def shutdown(d: Dist) -> None:
    if d.enabled and dist.is_initialized():
        dist.destroy_process_group()


def rank_seed(seed: int, d: Dist, step: int = 0) -> int:
    """The torch seed of rank d.rank's random draws (rank 0 keeps `seed`), optionally offset by a step."""
    return seed + 1_000_003 * d.rank + step


def shard(idx: np.ndarray, d: Dist) -> np.ndarray:
    """This rank's slice of the global batch's sample positions `idx` (world * B,) -> (B,)."""
    if not d.enabled:
        return idx
    per = len(idx) // d.world
    return idx[d.rank * per : (d.rank + 1) * per]


def mean(x: torch.Tensor, d: Dist) -> torch.Tensor:
    """The mean of a scalar tensor over ranks (a copy; no gradient)."""
    x = x.detach().clone()
    if d.enabled:
        dist.all_reduce(x)
        x /= d.world
    return x


def gather_rng(d: Dist, device: torch.device) -> dict[str, torch.Tensor]:
    """Every rank's torch generator states (CPU, and CUDA for this rank's device), for rank 0 to save.
    Keys: torch_cpu_rank{r} (and torch_cuda_rank{r}); empty in one process, whose states rng_state() saves."""
    if not d.enabled:
        return {}
    states = {"torch_cpu": torch.get_rng_state()}
    if device.type == "cuda":
        states["torch_cuda"] = torch.cuda.get_rng_state(device)
    out = {}
    for name, state in states.items():
        local = state.to(device)
        parts = [torch.empty_like(local) for _ in range(d.world)]
        dist.all_gather(parts, local)
        out.update({f"{name}_rank{r}": p.cpu() for r, p in enumerate(parts)})
    return out


def restore_rng(d: Dist, tensors: dict[str, torch.Tensor], device: torch.device) -> bool:
    """Set this rank's generator states from `gather_rng`'s tensors (read back from a checkpoint).
    False when the checkpoint holds none for this rank (it was saved by fewer processes)."""
    if not d.enabled:
        return True
    key = f"torch_cpu_rank{d.rank}"
    if key not in tensors:
        return False
    torch.set_rng_state(tensors[key])
    if device.type == "cuda" and f"torch_cuda_rank{d.rank}" in tensors:
        torch.cuda.set_rng_state(tensors[f"torch_cuda_rank{d.rank}"], device)
    return True
