"""DAgger with expert continuations: add the states a trained policy visits, labelled by the expert.

Behaviour cloning only sees the expert's own states; a policy that drifts (bumps an object, overshoots)
reaches states no demonstration shows and does not know how to recover (Ross et al. 2011). A DAgger round
rolls the policy out closed loop and, at every state where it predicts a new action chunk, restores that
state in a scratch env and lets the scripted expert act from there for `chunk_size` steps. Each such
continuation is stored as a short episode, so a chunk label is one consistent expert plan from a state the
*policy* reached (labelling the policy's own next states with per-step expert actions gives chunks that
no expert would execute, and measured worse). The rounds are appended to the dataset atomically and
listed in `meta/info.json` under `simplevla.dagger`.

    simplevla dagger --dataset DIR --policy RUN_OR_CKPT [--episodes 2000] [--workers 0]
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from simplevla import keys
from simplevla.collect.record import episode_arrays
from simplevla.data.format import dataset_features
from simplevla.data.reader import load_dataset
from simplevla.data.writer import Episode, episodes_of, make_episode, write_dataset
from simplevla.envs import DAGGER_SEED_START, EVAL_SEED_START
from simplevla.envs.batch import to_batch
from simplevla.envs.tabletop.env import TabletopEnv
from simplevla.envs.tabletop.expert import Expert
from simplevla.errors import SimplevlaError
from simplevla.locking import exit_with_parent, workers_die_with_me, writer_lock
from simplevla.models.io import load_policy, read_config, resolve_checkpoint


def continuation(
    scratch, expert_state: tuple, obs: dict, task: str, horizon: int, task_xy: int = 0
) -> Episode:
    """The expert's next `horizon` steps from the state `scratch` was just restored to, as an episode.

    expert_state: (phase, separate plan) of the expert that shadowed the policy, so the continuation picks
    up the plan it would have followed; obs: the observation at the restored state; task_xy: how many of
    the expert's `task_xy()` columns the episode stores (the dataset's width; 0: none).
    """
    expert = Expert(scratch)
    expert.phase, expert._separate_choice = expert_state
    pixels, state, action, success, xy = [], [], [], [], []
    for _ in range(horizon):
        xy.append(expert.task_xy()[:task_xy])  # the dataset's columns of it
        a = expert.act()  # float32 (2,) clean
        pixels.append(obs[keys.ENV_PIXELS])
        state.append(np.asarray(obs[keys.ENV_AGENT_POS], np.float32))
        action.append(a)
        obs, _, terminated, _, info = scratch.step(a)
        success.append(bool(info["is_success"]))
        if terminated or success[-1]:
            break
    done = [False] * (len(action) - 1) + [True]
    # reward = success, as in a recording; when the dataset stores aux.task_xy, continuations carry it too
    return make_episode(
        task, episode_arrays(pixels, state, action, success, done, success, xy if task_xy else None)
    )


class _Slot:
    """One env of the rollout batch: its env, the shadowing expert and the queued policy actions."""

    def __init__(self, env, seed: int) -> None:
        self.obs, info = env.reset(seed=seed)
        self.env, self.task = env, str(info["task"])
        self.expert = Expert(env)
        self.expert.reset()
        self.queue: list[np.ndarray] = []


def rollout_continuations(
    policy, seeds: list[int], n_envs: int = 32, size: int = 64, task_xy: int = 0
) -> tuple[list[Episode], dict]:
    """Roll `policy` out on one episode per seed (n_envs at a time, one batched forward per step) and
    return the expert continuations from every state where it predicted a chunk, plus counts."""
    cfg = policy.config
    policy.eval()
    scratch = TabletopEnv(size=size)
    envs = [TabletopEnv(size=size) for _ in range(min(n_envs, len(seeds)))]
    todo = iter(seeds)
    slots: list[_Slot | None] = [_Slot(e, s) for e, s in zip(envs, todo, strict=False)]
    out: list[Episode] = []
    counts = {"episodes": 0, "policy_successes": 0, "continuations": 0, "frames": 0}
    while any(slots):
        live = [s for s in slots if s is not None]
        need = [s for s in live if not s.queue]
        if need:
            obs = {k: np.stack([s.obs[k] for s in need]) for k in (keys.ENV_PIXELS, keys.ENV_AGENT_POS)}
            with torch.inference_mode():
                chunks = policy.predict_action_chunk(to_batch(obs, [s.task for s in need]))  # (n, C, A)
            for s, chunk in zip(need, chunks.numpy(), strict=True):
                s.queue = list(chunk[: cfg.n_action_steps])
        for i, s in enumerate(slots):
            if s is None:
                continue
            s.expert.act()  # keep the shadowing expert's phase in step with this state
            if len(s.queue) == cfg.n_action_steps:  # the policy just planned from this state
                scratch.set_state(s.env.get_state())
                state = (s.expert.phase, s.expert._separate_choice)
                out.append(continuation(scratch, state, s.obs, s.task, cfg.chunk_size, task_xy))
                counts["continuations"] += 1
                counts["frames"] += len(out[-1])
            action = np.clip(s.queue.pop(0), -1.0, 1.0).astype(np.float32)
            s.obs, _, terminated, truncated, info = s.env.step(action)
            if terminated or truncated:
                counts["episodes"] += 1
                counts["policy_successes"] += bool(info["is_success"])
                seed = next(todo, None)
                slots[i] = None if seed is None else _Slot(s.env, seed)
    return out, counts


def _worker(args: tuple[str, list[int], int, int, bool]) -> tuple[list[Episode], dict]:
    path, seeds, n_envs, size, task_xy = args
    if mp.parent_process() is not None:  # a pool worker: die with the dagger process
        exit_with_parent(mp.parent_process().pid)
    torch.set_num_threads(1)
    return rollout_continuations(load_policy(path), seeds, n_envs, size, task_xy)


def _parallel(
    path: str, seeds: list[int], workers: int, n_envs: int, size: int, task_xy: int
) -> Iterator[tuple]:
    if workers <= 1:
        yield _worker((path, seeds, n_envs, size, task_xy))
        return
    parts = [seeds[w::workers] for w in range(workers)]
    with workers_die_with_me(), mp.get_context().Pool(workers) as pool:
        yield from pool.imap(_worker, [(path, p, n_envs, size, task_xy) for p in parts if p])


def dagger(
    dataset: str | Path,
    policy: str | Path,
    episodes: int,
    seed: int | None = None,
    workers: int = 0,
    envs: int = 32,
) -> dict:
    """One DAgger round: roll `policy` out on `episodes` seeds and append the expert continuations."""

    dataset = Path(dataset)
    if episodes < 1 or envs < 1:
        raise SimplevlaError(f"dagger: --episodes and --envs must be >= 1 (got {episodes}, {envs})")
    with writer_lock(dataset, "dagger"):  # the same lock as `record`: one writer per dataset
        return _dagger(dataset, policy, episodes, seed, workers, envs)


def _dagger(
    dataset: Path, policy: str | Path, episodes: int, seed: int | None, workers: int, envs: int
) -> dict:
    ckpt = resolve_checkpoint(policy)
    old = load_dataset(dataset)
    meta = dict(old.meta.info.get("simplevla", {}))
    size = int(old.meta.features[keys.IMAGE]["shape"][0])
    task_xy = int(old.meta.features.get(keys.TASK_XY, {}).get("shape", [0])[0])  # its columns; 0: none
    if read_config(ckpt).image_size != size:  # the config alone: the workers load the weights
        raise SimplevlaError(f"dagger: {ckpt} expects other images than {dataset} holds ({size}x{size})")
    rounds = list(meta.get("dagger", []))
    start = seed if seed is not None else max((r["seeds"][1] for r in rounds), default=DAGGER_SEED_START)
    used = [tuple(r) for r in meta.get("seed_ranges", [])] + [tuple(r["seeds"]) for r in rounds]
    if any(a < start + episodes and start < b for a, b in used) or start + episodes > EVAL_SEED_START:
        raise SimplevlaError(
            f"dagger: seeds {start}..{start + episodes - 1} overlap recorded/DAgger seeds {used} or "
            f"reach the evaluation seeds ({EVAL_SEED_START}+); pass another --seed"
        )
    workers = workers or os.cpu_count() or 1
    t0 = time.perf_counter()
    counts = {"episodes": 0, "policy_successes": 0, "continuations": 0, "frames": 0}

    def new_episodes() -> Iterator[Episode]:
        for eps, c in _parallel(
            str(ckpt), list(range(start, start + episodes)), workers, envs, size, task_xy
        ):
            for k in counts:
                counts[k] += c[k]
            yield from eps

    rounds.append({"policy": str(ckpt), "seeds": [start, start + episodes]})
    meta["dagger"] = rounds
    features = dataset_features(size, task_xy=task_xy > 0, task_xy_names=keys.TASK_XY_NAMES[:task_xy])
    info = write_dataset(dataset, features, new_episodes(), meta, episodes_of(old))
    seconds = time.perf_counter() - t0
    return {
        "dataset": str(dataset),
        "policy": str(ckpt),
        "seeds": [start, start + episodes],
        **counts,
        "policy_success_rate": round(counts["policy_successes"] / max(counts["episodes"], 1), 4),
        "total_episodes": info["total_episodes"],
        "total_frames": info["total_frames"],
        "seconds": round(seconds, 2),
    }


@dataclass
class DaggerCommand:
    """Append one DAgger round to a dataset: the policy's own states with expert continuations."""

    dataset: Path
    """dataset to extend (rewritten atomically with the new episodes after the old ones)"""
    policy: Path
    """checkpoint directory, or a run directory (its last checkpoint)"""
    episodes: int = 2000
    """policy rollouts (each gives one continuation per predicted chunk)"""
    seed: int | None = None
    """first rollout seed (default: DAGGER_SEED_START, or after the dataset's last round)"""
    workers: int = 0
    """rollout processes (0: one per CPU core)"""
    envs: int = 32
    """environments stepped together per process"""
    json: bool = False

    def run(self) -> dict:
        return dagger(self.dataset, self.policy, self.episodes, self.seed, self.workers, self.envs)
