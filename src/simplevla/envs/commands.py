"""`simplevla env show | play | expert`: look at scenes, watch the expert, and measure its success rate."""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from typing import Annotated, Union

import numpy as np
import tyro

from simplevla.atomic import atomic_write_bytes
from simplevla.envs.tabletop import language, wording
from simplevla.envs.tabletop.env import TabletopEnv
from simplevla.envs.tabletop.expert import Expert
from simplevla.envs.tabletop.tasks import FAMILIES
from simplevla.errors import SimplevlaError
from simplevla.media import caption_frame


def _check_family(family: str | None) -> None:
    if family is not None and family not in FAMILIES:
        raise SimplevlaError(f"--family: unknown family {family!r}; choose from {', '.join(FAMILIES)}")


@dataclass
class EnvShow:
    """Save a grid of 16 scenes (seeds seed..seed+15), captioned with their instructions; print each task."""

    out: str = "tabletop_grid.png"
    seed: int = 0
    family: str | None = None
    """Only this family's scenes (the same scene `simplevla try --family F --seed N` runs)."""
    split: str = "train"
    """train (the core training wording), heldout, or train_rich (the grammar `record` trains on)"""
    size: int = 64
    json: bool = False

    def run(self) -> dict:
        from PIL import Image

        _check_family(self.family)
        env = TabletopEnv(
            families=None if self.family is None else [self.family], split=self.split, size=self.size
        )
        tiles, scenes = [], {}
        for k in range(16):
            obs, info = env.reset(seed=self.seed + k)
            spec = info["task_spec"]
            scenes[f"seed {self.seed + k}"] = f"[{spec['family']}] {info['task']}  target: {_target(spec)}"
            tiles.append(
                caption_frame(
                    obs["pixels"],
                    f"[{info['task_spec']['family']}] {info['task']}",
                    scale=256 // self.size or 1,
                )
            )
        h, w = tiles[0].shape[:2]
        grid = np.full((4 * h + 12, 4 * w + 12, 3), 200, dtype=np.uint8)
        for k, tile in enumerate(tiles):
            r, c = divmod(k, 4)
            grid[r * (h + 4) : r * (h + 4) + h, c * (w + 4) : c * (w + 4) + w] = tile
        buf = io.BytesIO()
        Image.fromarray(grid).save(buf, format="PNG")
        atomic_write_bytes(self.out, buf.getvalue())
        grammar = {f"wordings.{f}": n for f, n in wording.grammar_size().items()}
        core = language.enumerate_instructions("train")
        return {"out": self.out, "split": self.split, **scenes, "core_train_strings": len(core), **grammar}


def _target(spec: dict) -> str:
    """The task in plain words: which object, and where it should go."""
    objs = [f"{o['colour']} {o['shape']}" for o in spec["objects"]]
    target = spec.get("target", {})
    if spec["family"] == "push_to_place":
        return f"{objs[0]} to {target['place']}"
    if spec["family"] == "push_direction":
        return f"{objs[0]} {target['direction']}"
    return " / ".join(objs)


@dataclass
class EnvPlay:
    """Save a GIF of the scripted expert solving one task."""

    family: str | None = None
    seed: int = 0
    out: str = "tabletop_episode.gif"
    noise: float = 0.0
    split: str = "train"
    size: int = 64
    json: bool = False

    def run(self) -> dict:
        import imageio.v3 as iio

        _check_family(self.family)
        env = TabletopEnv(
            families=None if self.family is None else [self.family], split=self.split, size=self.size
        )
        expert = Expert(env, noise=self.noise, seed=self.seed)
        obs, info = env.reset(seed=self.seed)
        expert.reset()
        scale = max(1, 256 // self.size)
        frames = [caption_frame(obs["pixels"], info["task"], scale)]
        done = False
        while not done:
            obs, _, term, trunc, info = env.step(expert.perturb(expert.act()))
            done = term or trunc
            frames.append(caption_frame(obs["pixels"], f"{info['task']}  [{expert.phase.value}]", scale))
        frames += [frames[-1]] * 5  # linger on the outcome
        buf = io.BytesIO()
        iio.imwrite(buf, np.stack(frames), extension=".gif", duration=100, loop=0)
        atomic_write_bytes(self.out, buf.getvalue())
        return {
            "out": self.out,
            "task": info["task"],
            "family": info["task_spec"]["family"],
            "steps": env.steps,
            "success": info["is_success"],
        }


def expert_success(family: str, seeds: range, noise: float = 0.0, split: str = "train") -> dict:
    """Run the expert (executing perturb(act()), as the recorder does) on each seed; success and lengths."""
    env = TabletopEnv(families=[family], split=split)
    successes, lengths = [], []
    for seed in seeds:
        expert = Expert(env, noise=noise, seed=seed)
        env.reset(seed=seed)
        expert.reset()
        info, done = {}, False
        while not done:
            _, _, term, trunc, info = env.step(expert.perturb(expert.act()))
            done = term or trunc
        successes.append(bool(info["is_success"]))
        lengths.append(env.steps)
    return {
        "success": float(np.mean(successes)),
        "episodes": len(successes),
        "mean_steps": float(np.mean(lengths)),
        "max_steps": int(np.max(lengths)),
        "failed_seeds": [s for s, ok in zip(seeds, successes, strict=True) if not ok],
    }


@dataclass
class EnvExpert:
    """Measure the scripted expert's success per family over seeds [seed_start, seed_start + episodes)."""

    episodes: int = 200
    seed_start: int = 0
    noise: float = 0.0
    family: str | None = None
    json: bool = False

    def run(self) -> dict:
        _check_family(self.family)
        t0 = time.perf_counter()
        families = FAMILIES if self.family is None else (self.family,)
        seeds = range(self.seed_start, self.seed_start + self.episodes)
        result = {f: expert_success(f, seeds, self.noise) for f in families}
        return {"noise": self.noise, "per_family": result, "seconds": round(time.perf_counter() - t0, 1)}


EnvCommand = Union[  # noqa: UP007  (tyro reads this Union as the list of subcommands)
    Annotated[EnvShow, tyro.conf.subcommand("show")],
    Annotated[EnvPlay, tyro.conf.subcommand("play")],
    Annotated[EnvExpert, tyro.conf.subcommand("expert")],
]
