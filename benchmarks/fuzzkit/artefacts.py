"""The valid artefacts every suite mutates, written once per process by the project's own writers.

- `dataset`: `simplevla record` (the recorder's API): 2 Tabletop episodes at 32x32 with `aux.task_xy`.
- `video_dataset`: LeRobot's own 4-episode video fixture (simplevla writes no mp4 datasets), when
  `shared/fixtures/` sits beside the clone.
- `ckpt_default`, `ckpt_simple`: fresh tiny policies of both presets (32x32, the dataset's stats and tasks)
  saved with `simplevla.models.save_policy`.
- `instructions.txt`: an instruction file for `eval --instruction-file` (tab-separated lines, JSON lines,
  a comment and a blank line).
- `outside/`: the canary directory beside the inputs (a data file, a PNG, JSON, weights, text), which no
  reader may open; mutations point paths and symlinks at it.

`Workspace.fresh(name)` copies one artefact to `WORK/input/...` for one example and returns its path.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from functools import cached_property
from pathlib import Path

from .guard import Guard

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures"  # beside the clone, as tests/data's
TINY = dict(  # tests/tiny_policy.py's TINY at 32 pixels (the envs render at least 32)
    image_size=32,
    vision_channels=(8, 8),
    keypoints=4,
    word_dropout=0.0,
    vision_dim=16,
    text_embed_dim=8,
    text_dim=16,
    head_hidden=32,
)
TINY_SIMPLE = dict(TINY, preset="simple", vision_channels=(8, 8, 8, 8))

INSTRUCTIONS = (
    "# family\tseed\tinstruction  (a comment)\n"
    "reach\t5000000\tgo ahead and make contact with the yellow circle\n"
    "\n"
    "push_to_place\t5000001\tpush the red block to the top left corner\n"
    '{"family": "separate", "seed": 5000002, "instruction": "separate the two blocks"}\n'
    '{"family": "push_direction", "seed": 0, "instruction": "pousse le bloc bleu à gauche"}\n'
)


class Workspace:
    """A temporary directory with the base artefacts, the canary directory and the guard."""

    def __init__(self, work: Path | None = None, **guard_kw) -> None:
        self.own = work is None
        self.work = Path(tempfile.mkdtemp(prefix="simplevla-fuzz-")) if work is None else Path(work)
        self.work.mkdir(parents=True, exist_ok=True)
        if self.own:
            atexit.register(shutil.rmtree, self.work, True)
        self.base = self.work / "base"
        self.input = self.work / "input"
        self.out = self.work / "out"
        self.guard = Guard(self.work, **guard_kw)
        self.outside = self.guard.outside

    # ------------------------------------------------------------------------------------------ base

    @cached_property
    def dataset(self) -> Path:
        from simplevla.collect.record import EnvSpec, record

        path = self.base / "dataset"
        if not path.exists():
            record(path, 2, EnvSpec(size=32, task_xy=True), seed=0, progress=False)
        return path

    @cached_property
    def video_dataset(self) -> Path:
        """LeRobot's own video fixture (shared/fixtures/lerobot_v3_video beside the clone; simplevla writes
        no videos), or a SimplevlaError-free skip: FileNotFoundError when it is not there."""
        src = FIXTURES / "lerobot_v3_video"
        if not src.is_dir():
            raise FileNotFoundError(f"{src}: the LeRobot-written video fixture is not there")
        path = self.base / "video_dataset"
        if not path.exists():
            shutil.copytree(src, path)
        return path

    def _ckpt(self, name: str, overrides: dict) -> Path:
        import torch

        from simplevla.data import load_dataset
        from simplevla.models import PolicyConfig, make_policy, save_policy

        path = self.base / name
        if not path.exists():
            meta = load_dataset(self.dataset).meta
            torch.manual_seed(0)
            save_policy(make_policy(PolicyConfig(**overrides), meta.stats, meta.tasks), path)
        return path

    @cached_property
    def ckpt_default(self) -> Path:
        return self._ckpt("ckpt_default", TINY)

    @cached_property
    def ckpt_simple(self) -> Path:
        return self._ckpt("ckpt_simple", TINY_SIMPLE)

    @cached_property
    def instructions(self) -> Path:
        path = self.base / "instructions.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(INSTRUCTIONS, encoding="utf-8")
        return path

    @cached_property
    def canary(self) -> dict[str, Path]:
        """The canary files (written once; the guard watches the directory from then on)."""
        files = {
            "parquet": self.outside / "secret.parquet",
            "png": self.outside / "secret.png",
            "json": self.outside / "secret.json",
            "safetensors": self.outside / "secret.safetensors",
            "txt": self.outside / "secret.txt",
        }
        import numpy as np

        from simplevla.data.png import encode_png

        shutil.copy(next((self.dataset / "data").rglob("*.parquet")), files["parquet"])
        files["png"].write_bytes(encode_png(np.zeros((32, 32, 3), np.uint8)))
        files["json"].write_text(json.dumps({"secret": True}))
        shutil.copy(self.ckpt_default / "model.safetensors", files["safetensors"])
        files["txt"].write_text("reach\t5000000\tthe secret line\n")
        self.guard.watch_outside()
        return files

    def outside_strings(self) -> list[str]:
        """Path strings that lead from an input to the canary directory (relative and absolute)."""
        out = []
        for p in self.canary.values():
            out += [f"../outside/{p.name}", f"../../outside/{p.name}", str(p)]
        return out + ["../outside", str(self.outside), "../" * 12 + "etc/hostname", "/etc/hostname"]

    # ------------------------------------------------------------------------------------- per case

    def fresh(self, name: str) -> Path:
        """A fresh copy of base artefact `name` under WORK/input (the previous one removed)."""
        src = getattr(self, name)
        self.canary  # noqa: B018  (the canary exists before any example runs)
        if self.input.exists() or self.input.is_symlink():
            shutil.rmtree(self.input, ignore_errors=True)
        self.input.mkdir(parents=True)
        dst = self.input / src.name
        if src.is_dir():
            shutil.copytree(src, dst, symlinks=True)
        else:
            shutil.copy(src, dst)
        return dst

    def fresh_out(self) -> Path:
        """An empty output directory beside the input (where commands may write)."""
        if self.out.exists():
            shutil.rmtree(self.out, ignore_errors=True)
        self.out.mkdir(parents=True)
        return self.out
