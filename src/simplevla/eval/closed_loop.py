"""Closed-loop evaluation: `episodes` episodes of each group (Tabletop family, Meta-World task) in batched
rollouts, success per group with 95% Wilson intervals, `eval_info.json`, captioned rollout videos and a bar
chart.

Field names follow LeRobot's `eval_info.json` where they overlap (`per_episode`, `per_group`, `overall`,
`pc_success`, `n_episodes`, `eval_s`, `eval_ep_s`, `video_paths`).
"""

from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import torch
from tqdm import tqdm

from simplevla.atomic import atomic_write_json
from simplevla.envs import EVAL_SEED_START, SEEDS_PER_GROUP, SUITES
from simplevla.envs.tabletop.tasks import FAMILIES
from simplevla.eval.metrics import add_understanding, per_part, per_subset, success_by_group
from simplevla.eval.rollout import check_compatible, make_vec, rollout_wave
from simplevla.media import plot_success_bars, write_frame_strip, write_rollout_video


def evaluate(
    policy: torch.nn.Module,
    out: str | Path,
    groups: Sequence[str] = FAMILIES,
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
    workers: int = 1,
    env_options: dict | None = None,
) -> dict:
    """Evaluate `policy` closed-loop on `episodes` episodes of each group of suite `env` (Tabletop groups,
    Meta-World tasks); write eval_info.json, the first `videos` rollouts of each group (a video and a PNG
    strip of its frames each) and success.png under `out`. With `workers` > 1, groups are spread over that
    many processes (each one a copy of the policy on one torch thread). Returns the eval_info dict."""
    out, suite = Path(out), SUITES[env]
    size = size or policy.config.image_size
    t0 = time.perf_counter()
    job = _GroupJob(
        out, split, episodes, envs, videos, seed, size, device, max_steps, env, vector, env_options
    )
    bar = tqdm(total=episodes * len(groups), desc=f"eval {split}", unit="ep", disable=not progress)
    results: dict[int, tuple[list[dict], list[str]]] = {}
    indexed = list(enumerate(groups))
    if workers <= 1 or len(groups) <= 1:
        for j, group in indexed:
            results[j] = _eval_group(policy, job, j, group, bar.update)
    else:  # one group at a time to whichever worker is free; each holds its own copy of the policy
        ctx = mp.get_context("spawn")
        with ctx.Pool(min(workers, len(groups)), initializer=_worker_init, initargs=(policy, job)) as pool:
            for j, result in pool.imap_unordered(_worker_run, indexed):
                results[j] = result
                bar.update(episodes)
    bar.close()
    per_episode: list[dict] = []
    video_paths: list[str] = []
    for j in sorted(results):
        for ep in results[j][0]:
            per_episode.append({"episode_ix": len(per_episode), **ep})
        video_paths += results[j][1]
    eval_s = time.perf_counter() - t0
    per_group, overall = success_by_group(per_episode, suite.group, groups)
    overall.update(eval_s=eval_s, eval_ep_s=eval_s / max(1, len(per_episode)), video_paths=video_paths)
    info = {"env": suite.env_id, "split": split, "per_episode": per_episode, "per_group": per_group}
    info["overall"] = overall
    if suite.subsets:  # Meta-World: success per difficulty group, as LeRobot reports MT50
        info["per_subset"] = subsets = per_subset(per_episode, suite.group, suite.subsets)
        # the published MT50 average is the mean of the four groups' rates, not of the fifty tasks'
        overall["mean_of_subsets"] = sum(v["mean_of_groups"] for v in subsets.values()) / len(subsets)
    if split == "heldout" and suite.tabletop_extras:  # heldout_parts reads Tabletop's vocabulary
        info["per_part"] = per_part(per_episode)
    add_understanding(info, per_episode, suite.group)
    atomic_write_json(out / "eval_info.json", info)
    title = f"success per {suite.group} ({split} instructions)"
    plot_success_bars(per_group, out / "success.png", title=title)
    return info


@dataclass(frozen=True)
class _GroupJob:
    """What every group's evaluation shares (sent once to each worker)."""

    out: Path
    split: str
    episodes: int
    envs: int
    videos: int
    seed: int
    size: int
    device: str
    max_steps: int | None
    env: str
    vector: str
    env_options: dict | None = None  # further env keywords (Meta-World's goal_marker)


def _eval_group(
    policy: torch.nn.Module, job: _GroupJob, j: int, group: str, advance: Callable[[int], object]
) -> tuple[list[dict], list[str]]:
    """`job.episodes` episodes of group `group` (the j-th selected): one dict per episode, and the videos
    written. `advance(k)` is called as k more episodes finish."""
    suite = SUITES[job.env]
    seeds = [job.seed + j * SEEDS_PER_GROUP + i for i in range(job.episodes)]
    make = partial(
        make_vec,
        group,
        job.split,
        job.size,
        max_steps=job.max_steps,
        env=job.env,
        vector=job.vector,
        options=job.env_options,
    )
    vec = make(min(job.envs, job.episodes))
    check_compatible(policy, vec)
    episodes: list[dict] = []
    video_paths: list[str] = []
    for start in range(0, job.episodes, vec.num_envs):
        wave = seeds[start : start + vec.num_envs]
        torch.manual_seed(wave[0])  # a sampling head (flow) draws the same noise on every rerun
        if len(wave) < vec.num_envs:
            vec.close()
            vec = make(len(wave))
        n_record = max(0, min(job.videos - len(video_paths), len(wave)))
        for ep in rollout_wave(policy, vec, wave, n_record=n_record, device=job.device):
            frames = ep.pop("frames", None)
            if frames is not None:
                name = f"{group}_{len(video_paths):02d}_{'ok' if ep['success'] else 'fail'}"
                path = write_rollout_video(
                    frames, ep["instruction"], ep["success"], job.out / "videos" / name
                )
                write_frame_strip(frames, ep["instruction"], ep["success"], job.out / "videos" / name)
                video_paths.append(str(path.relative_to(job.out)))
            episodes.append({suite.group: group, **ep})
            advance(1)
    vec.close()
    return episodes, video_paths


_WORKER: dict = {}


def _worker_init(policy: torch.nn.Module, job: _GroupJob) -> None:
    torch.set_num_threads(1)  # the workers share the cores: one thread each
    _WORKER.update(policy=policy, job=job)


def _worker_run(indexed: tuple[int, str]) -> tuple[int, tuple[list[dict], list[str]]]:
    j, group = indexed
    return j, _eval_group(_WORKER["policy"], _WORKER["job"], j, group, lambda _: None)
