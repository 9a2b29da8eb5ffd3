"""Closed-loop evaluation: `episodes` episodes of each group (Tabletop family, Meta-World task) in batched
rollouts, success per group with 95% Wilson intervals, `eval_info.json`, captioned rollout videos and a bar
chart.

Field names follow LeRobot's `eval_info.json` where they overlap (`per_episode`, `per_group`, `overall`,
`pc_success`, `n_episodes`, `eval_s`, `eval_ep_s`, `video_paths`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import torch
from tqdm import tqdm

from simplevla.atomic import atomic_write_json
from simplevla.envs import EVAL_SEED_START, SEEDS_PER_GROUP, SUITES
from simplevla.envs.tabletop.tasks import FAMILIES
from simplevla.eval.metrics import add_understanding, per_part, success_by_group
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
) -> dict:
    """Evaluate `policy` closed-loop on `episodes` episodes of each group of suite `env` (Tabletop groups,
    Meta-World tasks); write eval_info.json, the first `videos` rollouts of each group (a video and a PNG
    strip of its frames each) and success.png under `out`. Returns the eval_info dict."""
    out, suite = Path(out), SUITES[env]
    size = size or policy.config.image_size
    t0 = time.perf_counter()
    per_episode: list[dict] = []
    video_paths: list[str] = []
    bar = tqdm(total=episodes * len(groups), desc=f"eval {split}", unit="ep", disable=not progress)
    for j, group in enumerate(groups):
        seeds = [seed + j * SEEDS_PER_GROUP + i for i in range(episodes)]
        vec = make_vec(group, split, size, min(envs, episodes), max_steps, env, vector)
        check_compatible(policy, vec)
        recorded = 0
        for start in range(0, episodes, vec.num_envs):
            wave = seeds[start : start + vec.num_envs]
            torch.manual_seed(wave[0])  # a sampling head (flow) draws the same noise on every rerun
            if len(wave) < vec.num_envs:
                vec.close()
                vec = make_vec(group, split, size, len(wave), max_steps, env, vector)
            n_record = max(0, min(videos - recorded, len(wave)))
            for ep in rollout_wave(policy, vec, wave, n_record=n_record, device=device):
                frames = ep.pop("frames", None)
                if frames is not None:
                    name = f"{group}_{recorded:02d}_{'ok' if ep['success'] else 'fail'}"
                    path = write_rollout_video(
                        frames, ep["instruction"], ep["success"], out / "videos" / name
                    )
                    write_frame_strip(frames, ep["instruction"], ep["success"], out / "videos" / name)
                    video_paths.append(str(path.relative_to(out)))
                    recorded += 1
                per_episode.append({"episode_ix": len(per_episode), suite.group: group, **ep})
                bar.update(1)
        vec.close()
    bar.close()
    eval_s = time.perf_counter() - t0
    per_group, overall = success_by_group(per_episode, suite.group, groups)
    overall.update(eval_s=eval_s, eval_ep_s=eval_s / max(1, len(per_episode)), video_paths=video_paths)
    info = {"env": suite.env_id, "split": split, "per_episode": per_episode, "per_group": per_group}
    info["overall"] = overall
    if split == "heldout" and suite.tabletop_extras:  # heldout_parts reads Tabletop's vocabulary
        info["per_part"] = per_part(per_episode)
    add_understanding(info, per_episode, suite.group)
    atomic_write_json(out / "eval_info.json", info)
    title = f"success per {suite.group} ({split} instructions)"
    plot_success_bars(per_group, out / "success.png", title=title)
    return info
