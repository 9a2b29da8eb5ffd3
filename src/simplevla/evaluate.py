"""Closed-loop evaluation: batched rollouts in a Gymnasium vector env, success per family (Tabletop) or per
task (Meta-World) with 95% Wilson intervals, `eval_info.json`, captioned rollout videos and a bar chart.

Field names follow LeRobot's `eval_info.json` where they overlap (`per_episode`, `per_group`, `overall`,
`pc_success`, `n_episodes`, `eval_s`, `eval_ep_s`, `video_paths`).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import gymnasium as gym
import numpy as np
import torch
from gymnasium.vector import AsyncVectorEnv, AutoresetMode, SyncVectorEnv, VectorEnv

from simplevla import keys
from simplevla.atomic import atomic_write_json
from simplevla.envs import ENV_IDS, EVAL_SEED_START, FAMILIES, reading, to_batch
from simplevla.envs.language import heldout_parts
from simplevla.errors import SimplevlaError
from simplevla.media import plot_success_bars, write_frame_strip, write_rollout_video

GROUP = {"tabletop": "family", "metaworld": "task"}  # what an env's episodes are grouped by
SEEDS_PER_FAMILY = 100_000  # family j uses seeds [seed + j * SEEDS_PER_FAMILY, ... + episodes)


def wilson_interval(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """95% Wilson score interval for a binomial proportion, in percent."""
    if n == 0:
        return (0.0, 100.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (100 * max(0.0, centre - half), 100 * min(1.0, centre + half))


def _summary(successes: Sequence[bool]) -> dict:
    n, k = len(successes), int(sum(successes))
    return {
        "pc_success": 100.0 * k / n if n else 0.0,
        "n_episodes": n,
        "n_success": k,
        "ci95": wilson_interval(k, n),
    }


def per_part(per_episode: list[dict]) -> dict:
    """Held-out success in parts: instructions whose only novelty is the template, those with an unseen
    word, and per slot that holds an unseen word (`slot.colour`, ...; an episode counts in each of its
    slots). Each part is read off the instruction by `language.heldout_parts`."""
    return {
        name: _summary([e["success"] for e in eps]) for name, eps in episodes_by_part(per_episode).items()
    }


def episodes_by_part(per_episode: list[dict]) -> dict[str, list[dict]]:
    """Held-out episodes grouped by part ("template_only", "unseen_word", "none") and by slot of an unseen
    word ("slot.colour", ...; an episode counts in each of its slots)."""
    parts: dict[str, list[dict]] = {"template_only": [], "unseen_word": []}
    slots: dict[str, list[dict]] = {}
    for ep in per_episode:
        found = heldout_parts(ep["instruction"])
        parts.setdefault(found["part"], []).append(ep)
        for slot in found["slots"]:
            slots.setdefault(f"slot.{slot}", []).append(ep)
    return {**parts, **dict(sorted(slots.items()))}


def add_understanding(info: dict, per_episode: list[dict], group: str) -> None:
    """info["understanding"]: overall, per group and (held-out) per part, when episodes carry readings."""
    overall = understanding(per_episode)
    if overall is None:
        return
    groups = dict.fromkeys(e[group] for e in per_episode)
    result = {"overall": overall}
    result["per_group"] = {g: understanding([e for e in per_episode if e[group] == g]) for g in groups}
    if "per_part" in info:
        parts = episodes_by_part(per_episode)
        result["per_part"] = {p: understanding(eps) for p, eps in parts.items() if eps}
    info["understanding"] = result


def check_compatible(policy: torch.nn.Module, env: gym.Env | VectorEnv) -> None:
    """Raise SimplevlaError before any rollout if the policy expects other observations than `env` (or each
    sub-env of a vector env) gives."""
    space = getattr(env, "single_observation_space", None) or env.observation_space
    h, w, _ = space[keys.ENV_PIXELS].shape
    state_dim = space[keys.ENV_AGENT_POS].shape[0]
    cfg = policy.config
    if (h, w) != (cfg.image_size, cfg.image_size):
        raise SimplevlaError(
            f"the checkpoint expects {cfg.image_size}x{cfg.image_size} images (config.json: image_size) but the "
            f"env renders {h}x{w}; evaluate with --size {cfg.image_size} or retrain at this size"
        )
    if state_dim != cfg.state_dim:
        raise SimplevlaError(
            f"the checkpoint expects observation.state of dimension {cfg.state_dim} (config.json: state_dim) but "
            f"the env's agent_pos has dimension {state_dim}"
        )


def make_vec(
    family: str,
    split: str,
    size: int,
    n: int,
    max_steps: int | None = None,
    env: str = "tabletop",
    vector: str = "sync",
) -> VectorEnv:
    """`n` envs of one Tabletop family, or of one Meta-World task (env="metaworld"), stepped together: in
    this process (`sync`), or one worker process each (`async`)."""
    group = "tasks" if env == "metaworld" else "families"
    kw = {group: (family,), "split": split, "size": size, "max_steps": max_steps}
    fns = [lambda: gym.make(ENV_IDS[env], **kw) for _ in range(n)]
    # NEXT_STEP autoreset: a finished sub-env restarts on its own; its later outputs are ignored by the wave.
    if vector == "async":
        return AsyncVectorEnv(fns, autoreset_mode=AutoresetMode.NEXT_STEP)
    return SyncVectorEnv(fns, autoreset_mode=AutoresetMode.NEXT_STEP)


@torch.inference_mode()
def rollout_wave(
    policy: torch.nn.Module,
    vec: VectorEnv,
    seeds: list[int],
    n_record: int = 0,
    device: str = "cpu",
    instructions: list[str] | None = None,
) -> list[dict]:
    """Run one episode in each sub-env of `vec` (reset with `seeds`, and with `instructions` in place of
    the envs' own wording when given; Tabletop), stepping them together.

    The policy runs once per step on the whole batch. Finished envs get zero actions and are ignored.
    Returns one dict per episode: seed, instruction, success, steps (and `frames` for the first n_record).
    """
    n = vec.num_envs
    if instructions is not None:
        vec.set_attr("next_instruction", list(instructions))
    obs, info = vec.reset(seed=list(seeds))
    tasks = [str(t) for t in info["task"]]
    readings = read_tasks(policy, tasks, vec)
    if instructions is not None:  # what each env drew, and its task, beside the wording that replaced it
        for r, drawn, spec in zip(
            readings, vec.get_attr("sampled_task"), vec.get_attr("task_spec"), strict=True
        ):
            r.update(env_instruction=drawn, task_spec=spec)
    policy.reset()
    done = np.zeros(n, dtype=bool)
    success = np.zeros(n, dtype=bool)
    steps = np.zeros(n, dtype=np.int64)
    frames: list[list[np.ndarray]] = [[obs[keys.ENV_PIXELS][i].copy()] for i in range(n_record)]
    while not done.all():
        batch = to_batch(obs, tasks, device)
        action = policy.select_action(batch).float().cpu().numpy()  # (n, A)
        action[done] = 0.0
        obs, _, terminated, truncated, info = vec.step(action.astype(np.float32))
        active = ~done
        steps[active] += 1
        success |= np.asarray(info["is_success"], dtype=bool) & active
        for i in range(n_record):
            if active[i]:
                frames[i].append(obs[keys.ENV_PIXELS][i].copy())
        done |= np.asarray(terminated, dtype=bool) | np.asarray(truncated, dtype=bool)
    episodes = [
        {"seed": int(s), "instruction": tasks[i], "success": bool(success[i]), "steps": int(steps[i])}
        for i, s in enumerate(seeds)
    ]
    for ep, reading_of in zip(episodes, readings, strict=True):
        ep.update(reading_of)
    for i in range(n_record):
        episodes[i]["frames"] = frames[i]
    return episodes


def read_tasks(policy: torch.nn.Module, tasks: list[str], vec: VectorEnv | gym.Env) -> list[dict]:
    """Per instruction, what the policy's parse head read and whether that names the task in its scene
    ({"reading": "push_direction: red circle -> left", "understood": bool}), for the sub-envs of `vec`
    (or one env) just reset with `tasks`; {} per instruction when the policy has no parse head or the env
    is no Tabletop."""
    read = getattr(policy, "read_instruction", None)
    indices = read(tasks) if read is not None else None
    if indices is None:
        return [{} for _ in tasks]
    try:
        specs = vec.get_attr("task_spec") if isinstance(vec, VectorEnv) else [vec.unwrapped.task_spec]
        objects = vec.get_attr("objects") if isinstance(vec, VectorEnv) else [vec.unwrapped.objects]
    except AttributeError:  # not a Tabletop env: no scene to judge a reading against
        return [{} for _ in tasks]
    out = []
    for idx, spec, objs in zip(indices, specs, objects, strict=True):
        parse = reading.decode(idx)
        ok = reading.understood(parse, spec, [[o.colour, o.shape] for o in objs])
        out.append({"reading": reading.describe(parse), "understood": ok})
    return out


def understanding(per_episode: list[dict]) -> dict | None:
    """How often the instruction was understood, and success among the understood and the misunderstood
    episodes (LIBERO-Para's misreading vs misexecuting); None without readings."""
    if not per_episode or "understood" not in per_episode[0]:
        return None
    yes = [e["success"] for e in per_episode if e["understood"]]
    no = [e["success"] for e in per_episode if not e["understood"]]
    return {
        "understood": _summary([e["understood"] for e in per_episode]),
        "success_if_understood": _summary(yes),
        "success_if_misunderstood": _summary(no),
    }


def evaluate(
    policy: torch.nn.Module,
    out: str | Path,
    families: Sequence[str] = FAMILIES,
    episodes: int = 50,
    split: str = "train",
    envs: int = 16,
    videos: int = 1,
    seed: int = EVAL_SEED_START,
    size: int | None = None,
    device: str = "cpu",
    progress: bool = True,
    max_steps: int | None = None,
    env: str = "tabletop",
    vector: str = "sync",
) -> dict:
    """Evaluate `policy` closed-loop on `episodes` episodes of each family; write eval_info.json,
    the first `videos` rollouts of each family (a video and a PNG strip of its frames each) and
    success.png under `out`. Returns the eval_info dict. With env="metaworld", `families` are Meta-World
    tasks and episodes are grouped by task."""
    from tqdm import tqdm

    out = Path(out)
    size = size or policy.config.image_size
    t0 = time.perf_counter()
    per_episode: list[dict] = []
    video_paths: list[str] = []
    bar = tqdm(total=episodes * len(families), desc=f"eval {split}", unit="ep", disable=not progress)
    for j, family in enumerate(families):
        seeds = [seed + j * SEEDS_PER_FAMILY + i for i in range(episodes)]
        vec = make_vec(family, split, size, min(envs, episodes), max_steps, env, vector)
        check_compatible(policy, vec)
        recorded = 0
        for start in range(0, episodes, vec.num_envs):
            wave = seeds[start : start + vec.num_envs]
            torch.manual_seed(wave[0])  # a sampling head (flow) draws the same noise on every rerun
            if len(wave) < vec.num_envs:
                vec.close()
                vec = make_vec(family, split, size, len(wave), max_steps, env, vector)
            n_record = max(0, min(videos - recorded, len(wave)))
            for ep in rollout_wave(policy, vec, wave, n_record=n_record, device=device):
                frames = ep.pop("frames", None)
                if frames is not None:
                    name = f"{family}_{recorded:02d}_{'ok' if ep['success'] else 'fail'}"
                    path = write_rollout_video(
                        frames, ep["instruction"], ep["success"], out / "videos" / name
                    )
                    write_frame_strip(frames, ep["instruction"], ep["success"], out / "videos" / name)
                    video_paths.append(str(path.relative_to(out)))
                    recorded += 1
                per_episode.append({"episode_ix": len(per_episode), GROUP[env]: family, **ep})
                bar.update(1)
        vec.close()
    bar.close()
    eval_s = time.perf_counter() - t0
    per_group = {f: _summary([e["success"] for e in per_episode if e[GROUP[env]] == f]) for f in families}
    overall = _summary([e["success"] for e in per_episode])
    overall.update(eval_s=eval_s, eval_ep_s=eval_s / max(1, len(per_episode)), video_paths=video_paths)
    info = {"env": ENV_IDS[env], "split": split, "per_episode": per_episode, "per_group": per_group}
    info["overall"] = overall
    if split == "heldout" and env == "tabletop":  # heldout_parts reads Tabletop's vocabulary
        info["per_part"] = per_part(per_episode)
    add_understanding(info, per_episode, GROUP[env])
    atomic_write_json(out / "eval_info.json", info)
    title = f"success per {GROUP[env]} ({split} instructions)"
    plot_success_bars(per_group, out / "success.png", title=title)
    return info


@dataclasses.dataclass
class EvalCommand:
    """Evaluate a checkpoint closed-loop on Tabletop or Meta-World; writes eval_info.json, videos and a bar
    chart."""

    policy: str
    """A checkpoint directory (RUN/checkpoints/<step>), or a run directory (its last checkpoint)."""
    env: Literal["tabletop", "metaworld"] = "tabletop"
    """tabletop, or metaworld (success per Meta-World task; needs the `metaworld` extra)."""
    families: tuple[str, ...] = FAMILIES
    """tabletop: the families to evaluate."""
    tasks: tuple[str, ...] | None = None
    """metaworld: the tasks to evaluate (default: all of MT10)."""
    episodes: int = 50
    """Episodes per family (tabletop) or per task (metaworld)."""
    split: Literal["train", "heldout"] = "train"
    """Which instruction wording to evaluate on."""
    envs: int = 16
    """Environments stepped together; the policy runs once per step on all of them."""
    videos: int = 1
    """Rollout videos to write per family (the first ones)."""
    out: str | None = None
    """Output directory; default outputs/eval/<time>_<split>."""
    seed: int = EVAL_SEED_START
    """First evaluation seed. Recording uses seeds below EVAL_SEED_START, so the two never overlap."""
    size: int | None = None
    """Image side; default: what the checkpoint was trained on."""
    max_steps: int | None = None
    """Episode step limit; default: each family's (or task's) own limit."""
    instruction_file: str | None = None
    """Your own wording instead of a split: one 'family<TAB>seed<TAB>instruction' (or JSON) per line."""
    vector: Literal["sync", "async"] = "sync"
    """async: each of the --envs environments steps in its own worker process (gymnasium's AsyncVectorEnv);
    it pays off when an env step costs more than the inter-process round trip (docs/scaling.md)."""
    backend: Literal["torch", "onnx"] = "torch"
    """onnx: export the policy's network to OUT/policy.onnx and run it in onnxruntime (the `onnx` extra)."""
    json: bool = False

    def __post_init__(self) -> None:
        if self.env == "metaworld":
            from simplevla.envs import mt10

            if self.instruction_file is not None:
                raise SimplevlaError(
                    "--instruction-file runs Tabletop scenes; leave it out with --env metaworld"
                )
            try:
                self.tasks = mt10.check_tasks(self.tasks)
            except ValueError as e:
                raise SimplevlaError(f"--{e}") from None
        elif self.tasks is not None:
            raise SimplevlaError("--tasks selects Meta-World tasks; with --env tabletop use --families")
        unknown = [f for f in self.families if f not in FAMILIES]
        if unknown or not self.families:
            raise SimplevlaError(
                f"--families: unknown {unknown or 'empty list'}; choose from {list(FAMILIES)}"
            )
        if not 1 <= self.episodes <= SEEDS_PER_FAMILY:
            raise SimplevlaError(f"--episodes must be in [1, {SEEDS_PER_FAMILY}], got {self.episodes}")
        if self.envs < 1 or self.videos < 0:
            raise SimplevlaError("--envs must be ≥ 1 and --videos ≥ 0")
        if self.seed < EVAL_SEED_START:
            raise SimplevlaError(
                f"--seed {self.seed} is below EVAL_SEED_START={EVAL_SEED_START}: evaluation seeds would overlap "
                "the recording seeds; use a seed ≥ EVAL_SEED_START"
            )

    def run(self) -> dict:

        if self.instruction_file is not None:
            return self._run_instruction_file()
        out = self.out or f"outputs/eval/{time.strftime('%Y%m%d-%H%M%S')}_{self.split}"
        policy = self._load(out)
        info = evaluate(
            policy,
            out,
            self.tasks if self.env == "metaworld" else self.families,
            self.episodes,
            self.split,
            self.envs,
            self.videos,
            self.seed,
            self.size,
            max_steps=self.max_steps,
            env=self.env,
            vector=self.vector,
        )
        result = {"out": str(out), "env": self.env, "split": self.split, **self._success(info)}
        result["eval_s"] = info["overall"]["eval_s"]
        return result

    def _load(self, out: str | Path):
        """The checkpoint's policy; with `--backend onnx`, its network exported to OUT/policy.onnx and run
        in onnxruntime."""
        from simplevla.models import load_policy

        policy = load_policy(self.policy)
        if self.backend == "onnx":
            from simplevla.export import OnnxPolicy, export_onnx

            policy = OnnxPolicy(policy, export_onnx(policy, Path(out) / "policy.onnx"))
        return policy

    def _success(self, info: dict) -> dict:
        per_family = {f"pc_success.{f}": g["pc_success"] for f, g in info["per_group"].items()}
        return {"backend": self.backend, "pc_success": info["overall"]["pc_success"], **per_family}

    def _run_instruction_file(self) -> dict:
        from simplevla.freetext import evaluate_instructions, read_instruction_file

        rows = read_instruction_file(self.instruction_file)
        out = self.out or f"outputs/eval/{time.strftime('%Y%m%d-%H%M%S')}_instructions"
        info = evaluate_instructions(self._load(out), rows, out, videos=self.videos)
        result = {"out": str(out), "lines": len(rows), **self._success(info)}
        result.update({f"line{e['line']}": "ok" if e["success"] else "fail" for e in info["per_episode"]})
        return result
