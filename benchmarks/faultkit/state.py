"""What a killed command left on disk: the files a reader would see, whether a dataset loads (every
frame), whether each checkpoint loads and holds the reference run's weights, and hidden temporaries.

Every simplevla import of the checks is here, at the top.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path

import torch

from simplevla import load_policy
from simplevla.data import load_dataset
from simplevla.models.io import read_tensors
from simplevla.train.checkpointing import latest_checkpoint

RUN_LOGS = {"train_log.csv", "loss.png"}  # a run directory's logs, which a rerun rewrites


def visible_files(root: Path) -> dict[str, str]:
    """sha256 of every file a reader would see under root (no path part hidden); symlinks by target."""
    out: dict[str, str] = {}
    if not root.exists():
        return out
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames + [d for d in os.listdir(dirpath) if Path(dirpath, d).is_symlink()]):
            if name.startswith("."):
                continue
            p = Path(dirpath) / name
            rel = p.relative_to(root).as_posix()
            if p.is_symlink():
                out[rel] = "-> " + os.readlink(p)
            elif p.is_file():
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def content_hash(files: dict[str, str]) -> str:
    """One short hash of `visible_files`' answer."""
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()[:16]


def dataset_state(root: Path) -> tuple[str, str | None]:
    """("absent", None), ("ok", content hash) after loading every frame, or ("corrupt", why)."""
    if not root.exists():
        return "absent", None
    try:
        ds = load_dataset(root)
        for i in range(len(ds)):
            ds[i]
    except Exception as e:  # noqa: BLE001  (anything at all is a corrupt dataset here)
        return "corrupt", f"{type(e).__name__}: {e}"
    return "ok", content_hash(visible_files(root))


def hidden_leftovers(parent: Path, caches: bool = False) -> list[str]:
    """Hidden temporaries (not lock files, not the dataset's own .cache) anywhere under parent; with
    `caches`, also inside the .cache directories (a killed cache build's temporaries)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(parent):
        for name in dirnames + filenames:
            if name.startswith(".") and not name.endswith(".lock") and name != ".cache":
                out.append(str(Path(dirpath, name).relative_to(parent)))
        if not caches:
            dirnames[:] = [d for d in dirnames if d != ".cache"]
    return sorted(out)


def checkpoint_dirs(run: Path) -> list[Path]:
    """The step directories (`000004`, ...) under run/checkpoints."""
    root = run / "checkpoints"
    return [d for d in root.iterdir() if d.name.isdigit()] if root.is_dir() else []


def weights(ckpt: Path) -> dict[str, torch.Tensor]:
    """A checkpoint's model tensors."""
    return read_tensors(ckpt / "model.safetensors")


def same_weights(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    """Same names, and every tensor equal."""
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def same_final_weights(run: Path, ref: Path, step: int) -> bool:
    """Whether run holds checkpoint `step` with the weights of the reference run's."""
    final = run / "checkpoints" / f"{step:06d}"
    return final.is_dir() and same_weights(weights(final), weights(ref / "checkpoints" / final.name))


def run_state(run: Path, ref: Path) -> list[str]:
    """Problems of a (possibly killed) run dir: checkpoints that do not load or differ from the reference."""
    problems: list[str] = []
    root = run / "checkpoints"
    if not root.exists():
        return problems
    for d in sorted(p for p in root.iterdir() if not p.name.startswith(".") and p.name != "last"):
        try:
            load_policy(d)
            if not same_weights(weights(d), weights(ref / "checkpoints" / d.name)):
                problems.append(f"{d.name}: weights differ from the uninterrupted run")
            if not (d / "training_state" / "state.json").is_file():
                problems.append(f"{d.name}: no training_state/state.json")
        except Exception as e:  # noqa: BLE001
            problems.append(f"{d.name}: {type(e).__name__}: {e}")
    last = root / "last"
    if last.is_symlink() and not (last / "config.json").is_file():
        problems.append(f"last -> {os.readlink(last)} is not a complete checkpoint")
    with contextlib.suppress(Exception):  # resolving `last` must not hang or crash the process
        latest_checkpoint(run)
    return problems
