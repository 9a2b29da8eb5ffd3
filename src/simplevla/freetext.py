"""Free text: run a policy on wording you write yourself, judged by the task's own success test.

`simplevla eval --instruction-file FILE` reads one episode per line: a family, a seed and an instruction,
as tab-separated values or as JSON lines (`{"family": ..., "seed": ..., "instruction": ...}`). The env
samples that seed's scene and task for the family, exactly as `simplevla env show --family F --seed N`
shows it; the line's instruction replaces the env's own wording (`reset(options={"instruction": ...})`)
and the task's success test judges the episode. `simplevla try` runs one such episode and writes a
captioned video.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Sequence
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch

from simplevla import keys
from simplevla.atomic import atomic_write_json
from simplevla.envs import ENV_ID, FAMILIES, to_batch
from simplevla.errors import SimplevlaError
from simplevla.evaluate import (
    _summary,
    add_understanding,
    check_compatible,
    make_vec,
    read_tasks,
    rollout_wave,
)
from simplevla.media import plot_success_bars, write_rollout_video

MAX_INSTRUCTION_CHARS = 1000


def _check_line(source: str, family: object, seed: object, instruction: object) -> dict:
    if family not in FAMILIES:
        raise SimplevlaError(f"{source}: family {family!r} is unknown; use one of {', '.join(FAMILIES)}")
    try:
        seed = int(seed)
    except (TypeError, ValueError):
        raise SimplevlaError(f"{source}: seed {seed!r} is not an integer") from None
    if seed < 0:
        raise SimplevlaError(f"{source}: seed {seed} is negative")
    if not isinstance(instruction, str) or not instruction.strip():
        raise SimplevlaError(f"{source}: the instruction is empty")
    if len(instruction) > MAX_INSTRUCTION_CHARS or any(ord(c) < 32 and c != "\t" for c in instruction):
        raise SimplevlaError(
            f"{source}: the instruction must be one line of at most {MAX_INSTRUCTION_CHARS} characters "
            "without control characters"
        )
    return {"family": family, "seed": seed, "instruction": " ".join(instruction.split())}


def read_instruction_file(path: str | Path) -> list[dict]:
    """Lines of `path` as [{"family", "seed", "instruction"}]; blank lines and `#` comments are skipped."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise SimplevlaError(f"{path}: cannot read the instruction file ({e})") from e
    rows = []
    for n, line in enumerate(text.splitlines(), start=1):
        source = f"{path}:{n}"
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.lstrip().startswith("{"):
            try:
                d = json.loads(line)
            except json.JSONDecodeError as e:
                raise SimplevlaError(f"{source}: not a JSON object ({e})") from e
            missing = sorted({"family", "seed", "instruction"} - set(d))
            if missing:
                raise SimplevlaError(f"{source}: missing fields {missing}")
            rows.append(_check_line(source, d["family"], d["seed"], d["instruction"]))
        else:
            parts = line.split("\t")
            if len(parts) != 3:
                raise SimplevlaError(
                    f"{source}: expected 3 tab-separated fields (family, seed, instruction), got {len(parts)}"
                )
            rows.append(_check_line(source, *(p.strip() for p in parts)))
    if not rows:
        raise SimplevlaError(f"{path}: no instructions (one 'family<TAB>seed<TAB>instruction' per line)")
    return rows


@torch.inference_mode()
def run_episode(
    policy: torch.nn.Module, env: gym.Env, seed: int, instruction: str, device: str = "cpu"
) -> dict:
    """One closed-loop episode in `env` at `seed` with `instruction` in place of the env's wording."""
    obs, info = env.reset(seed=seed)
    sampled = info["task"]
    obs, info = env.reset(seed=seed, options={"instruction": instruction})
    read = read_tasks(policy, [instruction], env)
    policy.reset()
    frames, done = [obs[keys.ENV_PIXELS].copy()], False
    while not done:
        action = policy.select_action(to_batch(obs, env.unwrapped.task, device))[0].float().cpu().numpy()
        obs, _, terminated, truncated, info = env.step(action.astype(np.float32))
        frames.append(obs[keys.ENV_PIXELS].copy())
        done = terminated or truncated
    return {
        "seed": seed,
        "instruction": instruction,
        "env_instruction": sampled,
        "task_spec": info["task_spec"],
        "success": bool(info["is_success"]),
        "steps": int(env.unwrapped.steps),
        **read[0],
        "frames": frames,
    }


def evaluate_instructions(
    policy: torch.nn.Module,
    rows: Sequence[dict],
    out: str | Path,
    videos: int = 0,
    device: str = "cpu",
    envs: int = 25,
) -> dict:
    """Run every line once (`envs` lines of a family stepped together); write eval_info.json (per line,
    per family, overall, and what the policy understood where it has a parse head) and the first `videos`
    lines' videos."""
    out, t0 = Path(out), time.perf_counter()
    by_line: dict[int, dict] = {}
    video_paths = []
    for family in dict.fromkeys(r["family"] for r in rows):
        lines = [i for i, r in enumerate(rows) if r["family"] == family]
        for start in range(0, len(lines), envs):
            wave = lines[start : start + envs]
            vec = make_vec(family, "train", policy.config.image_size, len(wave))
            check_compatible(policy, vec)
            torch.manual_seed(rows[wave[0]]["seed"])  # a sampling head draws the same noise on every rerun
            n_record = sum(i < videos for i in wave)  # lines ascend, so those with a video come first
            eps = rollout_wave(
                policy,
                vec,
                [rows[i]["seed"] for i in wave],
                n_record=n_record,
                device=device,
                instructions=[rows[i]["instruction"] for i in wave],
            )
            vec.close()
            for i, ep in zip(wave, eps, strict=True):
                frames = ep.pop("frames", None)
                if frames is not None:
                    name = f"line{i + 1:03d}_{family}_{'ok' if ep['success'] else 'fail'}"
                    path = write_rollout_video(
                        frames, ep["instruction"], ep["success"], out / "videos" / name
                    )
                    video_paths.append(str(path.relative_to(out)))
                by_line[i] = {"episode_ix": i, "line": i + 1, "family": family, **ep}
    per_episode = [by_line[i] for i in range(len(rows))]
    families = list(dict.fromkeys(r["family"] for r in rows))
    per_group = {f: _summary([e["success"] for e in per_episode if e["family"] == f]) for f in families}
    overall = _summary([e["success"] for e in per_episode])
    overall.update(eval_s=time.perf_counter() - t0, video_paths=sorted(video_paths))
    info = {
        "split": "instruction_file",
        "per_episode": per_episode,
        "per_group": per_group,
        "overall": overall,
    }
    add_understanding(info, per_episode, "family")
    atomic_write_json(out / "eval_info.json", info)
    plot_success_bars(per_group, out / "success.png", title="success per family (instruction file)")
    return info


@dataclasses.dataclass
class TryCommand:
    """Run a policy once on your own instruction; writes a captioned video and prints the outcome."""

    policy: str
    """A checkpoint directory, or a run directory (its last checkpoint)."""
    instruction: str
    """What to ask for, e.g. "push the red circle to the left"; `simplevla env show` prints each scene's task."""
    seed: int = 1_000_000
    """The scene: the same seed and family show the same scene in `simplevla env show`."""
    family: str | None = None
    """Task family of the scene (default: any, drawn from the seed, as `env show` without --family)."""
    out: str = "try"
    """Output folder for the video."""
    json: bool = False

    def __post_init__(self) -> None:
        row = _check_line("--instruction", self.family or FAMILIES[0], self.seed, self.instruction)
        self.instruction = row["instruction"]

    def run(self) -> dict:
        from simplevla.models import load_policy

        policy = load_policy(self.policy)
        families = FAMILIES if self.family is None else (self.family,)
        env = gym.make(ENV_ID, families=families, size=policy.config.image_size)
        check_compatible(policy, env)
        torch.manual_seed(self.seed)
        ep = run_episode(policy, env, self.seed, self.instruction)
        env.close()
        name = f"seed{self.seed}_{'ok' if ep['success'] else 'fail'}"
        video = write_rollout_video(ep.pop("frames"), self.instruction, ep["success"], Path(self.out) / name)
        spec = ep["task_spec"]
        return {
            "success": ep["success"],
            "steps": ep["steps"],
            "family": spec["family"],
            "task": ep["env_instruction"],
            "target": spec.get("target"),
            **({"understood": ep["understood"], "read_as": ep["reading"]} if "reading" in ep else {}),
            "video": str(video),
        }
