"""Record scripted-expert demonstrations into a LeRobotDataset v3.0 directory, atomically.

The env and its scripted expert come from the suite table (`simplevla.envs.SUITES`): Tabletop with its Expert,
or (`EnvSpec.env = "metaworld"`) Meta-World with its scripted policies.

Each episode e uses env seed S + e. The expert's CLEAN action is stored as the `action` label while the
perturbed one (`expert.perturb(act)`, DART-style) is executed. Failed episodes are dropped and counted.
Work is spread over K processes (spawn- and fork-safe: workers are plain top-level functions); the parent
alone writes. A kill at any moment leaves the previous dataset or nothing (`simplevla.atomic.atomic_dir`);
`--resume` writes a complete new dataset (old episodes + new) beside the old one and swaps it in.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from simplevla import keys
from simplevla.data.format import dataset_features
from simplevla.data.reader import load_dataset
from simplevla.data.writer import Episode, episodes_of, make_episode, write_dataset
from simplevla.envs import RECORD_SEED_START, SUITES
from simplevla.envs.tabletop.env import TabletopEnv
from simplevla.envs.tabletop.expert import Expert
from simplevla.envs.tabletop.starts import place_in_front
from simplevla.errors import SimplevlaError
from simplevla.locking import exit_with_parent, worker_start_method, workers_die_with_me, writer_lock

SAFETY_MAX_STEPS = 1000  # an episode that never ends is cut here and counted as failed


@dataclass(frozen=True)
class EnvSpec:
    """What builds the env and expert in each worker (picklable, recorded in info.json)."""

    env: str = "tabletop"  # "tabletop" or "metaworld" (Meta-World's scripted policies; the `metaworld` extra)
    tasks: tuple[str, ...] | None = None  # metaworld: the tasks (default MT10); episode seed s runs s % len
    families: tuple[str, ...] | None = None
    split: str = "train_rich"
    size: int = 64
    max_steps: int | None = None
    noise: float = 0.1
    front_starts: float = 0.0  # share of pushing episodes that start against the object's target side
    task_xy: bool = False  # also store `aux.task_xy` (task object, goal and reference positions) per frame
    env_options: tuple[
        tuple[str, object], ...
    ] = ()  # further env constructor keywords (Meta-World's goal_marker)


def _maybe_front_start(env, expert, spec: EnvSpec, seed: int) -> bool:
    """With chance spec.front_starts (drawn from the seed), `envs.starts.place_in_front`."""
    if spec.front_starts <= 0 or np.random.default_rng([seed, 1]).random() >= spec.front_starts:
        return False

    return place_in_front(env, expert, np.random.default_rng([seed, 2]))


def episode_arrays(
    pixels: list, state: list, action: list, reward: list, done: list, success: list, task_xy: list | None
) -> dict[str, np.ndarray]:
    """Per-step lists of one recorded episode -> the arrays `make_episode` takes (task_xy: None = absent)."""
    arrays = {
        keys.IMAGE: np.stack(pixels).astype(np.uint8),  # (T, H, W, 3)
        keys.STATE: np.stack(state),  # (T, S)
        keys.ACTION: np.stack(action),  # (T, A)
        keys.REWARD: np.asarray(reward, np.float32),
        keys.DONE: np.asarray(done),
        keys.SUCCESS: np.asarray(success),
    }
    if task_xy is not None:
        arrays[keys.TASK_XY] = np.stack(task_xy)  # (T, 4 or 6)
    return arrays


def run_episode(env, expert_cls, spec: EnvSpec, seed: int) -> Episode | None:
    """Roll out one expert episode; None when the expert fails.

    A plain TabletopEnv with the stock Expert takes `_tabletop_rollout`, a fast path through the env's
    internals that records exactly what this generic loop over the Gymnasium API records.
    """
    if type(env) is TabletopEnv and expert_cls is Expert:
        rolled = _tabletop_rollout(env, spec, seed)
        return None if rolled is None else make_episode(rolled[0], rolled[1], seed=seed)
    obs, info = env.reset(seed=seed)
    expert = expert_cls(env, noise=spec.noise, seed=seed)
    expert.reset()
    if _maybe_front_start(env, expert, spec, seed):
        obs = env.unwrapped._observe()
    task = str(env.unwrapped.task)
    pixels, state, action, reward, done, success, task_xy = [], [], [], [], [], [], []
    for _ in range(SAFETY_MAX_STEPS):
        if spec.task_xy:
            task_xy.append(expert.task_xy())
        clean = np.asarray(expert.act(), np.float32)  # (A,) the label
        pixels.append(obs[keys.ENV_PIXELS])
        state.append(np.asarray(obs[keys.ENV_AGENT_POS], np.float32))
        obs, r, terminated, truncated, info = env.step(expert.perturb(clean))
        action.append(clean)
        reward.append(float(r))
        done.append(bool(terminated or truncated))
        success.append(bool(info.get("is_success", False)))
        if terminated or truncated:
            break
    if not success[-1]:
        return None
    done[-1] = True
    arrays = episode_arrays(pixels, state, action, reward, done, success, task_xy if spec.task_xy else None)
    return make_episode(task, arrays, seed=seed)


def _tabletop_rollout(env, spec: EnvSpec, seed: int) -> tuple[str, dict[str, np.ndarray]] | None:
    """`run_episode`'s loop for TabletopEnv + Expert, without per-step obs/info dicts or copies:
    frames are rendered straight into one buffer, and the final (unrecorded) observation is not drawn."""

    env.reset(seed=seed)
    expert = Expert(env, noise=spec.noise, seed=seed)
    expert.reset()
    _maybe_front_start(env, expert, spec, seed)
    size = env.size
    pixels = np.empty((SAFETY_MAX_STEPS, size, size, 3), np.uint8)  # (T_max, H, W, 3)
    state = np.empty((SAFETY_MAX_STEPS, 2), np.float32)
    action = np.empty((SAFETY_MAX_STEPS, 2), np.float32)
    success = np.zeros(SAFETY_MAX_STEPS, bool)
    done = np.zeros(SAFETY_MAX_STEPS, bool)
    task_xy = (
        np.empty((SAFETY_MAX_STEPS, len(SUITES[spec.env].task_xy_names)), np.float32)
        if spec.task_xy
        else None
    )
    renderer, t = env._renderer, 0
    while t < SAFETY_MAX_STEPS:
        if task_xy is not None:
            task_xy[t] = expert.task_xy()
        clean = expert.act()  # float32 (2,), the label
        renderer.render_into(pixels[t], env._pos, env._pusher_pos)
        state[t] = env._pusher_pos  # cast to float32, like obs["agent_pos"]
        action[t] = clean
        executed = expert.perturb(clean)  # float32 (2,) already in [-1, 1]
        ok, truncated = env._advance(float(executed[0]), float(executed[1]))
        success[t], done[t] = ok, ok or truncated
        t += 1
        if done[t - 1]:
            break
    if not success[t - 1]:
        return None
    done[t - 1] = True
    arrays = {
        keys.IMAGE: pixels[:t],  # (T, H, W, 3)
        keys.STATE: state[:t].copy(),  # (T, 2)
        keys.ACTION: action[:t].copy(),  # (T, 2)
        keys.REWARD: success[:t].astype(np.float32),  # reward = float(success)
        keys.DONE: done[:t].copy(),
        keys.SUCCESS: success[:t].copy(),
    }
    if task_xy is not None:
        arrays[keys.TASK_XY] = task_xy[:t].copy()  # (T, 6)
    return str(env.task), arrays


_WORKER: dict = {}


def _worker_init(spec: EnvSpec) -> None:
    if mp.parent_process() is not None:  # a pool worker: die with the recorder
        exit_with_parent(mp.parent_process().pid)
    suite = SUITES[spec.env]
    env = suite.env(
        getattr(spec, suite.select),
        split=spec.split,
        size=spec.size,
        max_steps=spec.max_steps,
        **dict(spec.env_options),
    )
    _WORKER.update(env=env, expert_cls=suite.expert(), spec=spec)


def features_of(spec: EnvSpec) -> dict:
    """The dataset features a recording of `spec` writes."""
    suite = SUITES[spec.env]
    return dataset_features(
        spec.size,
        task_xy=spec.task_xy,
        state_names=list(suite.state_names),
        action_names=list(suite.action_names),
        task_xy_names=suite.task_xy_names,
    )


def _worker_run(seed: int) -> tuple[int, Episode | None]:
    return seed, run_episode(_WORKER["env"], _WORKER["expert_cls"], _WORKER["spec"], seed)


def expert_episodes(
    spec: EnvSpec, seeds: list[int], workers: int = 1
) -> Iterator[tuple[int, Episode | None]]:
    """(seed, episode or None) in seed order, computed by `workers` processes."""
    if workers <= 1:
        _worker_init(spec)
        for s in seeds:
            yield _worker_run(s)
        return
    chunk = max(1, min(32, len(seeds) // (workers * 8)))
    ctx = mp.get_context(worker_start_method())
    with workers_die_with_me(), ctx.Pool(workers, initializer=_worker_init, initargs=(spec,)) as pool:
        yield from pool.imap(_worker_run, seeds, chunksize=chunk)


def _previous(out: Path, spec: EnvSpec):
    """The dataset to resume from and its simplevla metadata (checked against this run's settings)."""
    ds = load_dataset(out)
    meta = ds.meta.info.get("simplevla", {})
    old_size = ds.meta.features.get(keys.IMAGE, {}).get("shape", [None])[0]
    if old_size != spec.size:
        raise SimplevlaError(
            f"{out / 'meta/info.json'}: field 'features.observation.image.shape' is "
            f"{old_size}x{old_size}; resume with --size {old_size}"
        )
    old_env = meta.get("env", {}).get("id", SUITES["tabletop"].env_id)
    if old_env != SUITES[spec.env].env_id:
        raise SimplevlaError(
            f"{out / 'meta/info.json'}: field 'simplevla.env.id' is {old_env!r}; resume with the same --env"
        )
    has_xy = keys.TASK_XY in ds.meta.features
    if has_xy != spec.task_xy:
        raise SimplevlaError(
            f"{out / 'meta/info.json'}: field 'features.{keys.TASK_XY}' is "
            f"{'present' if has_xy else 'absent'}; resume with {'--task-xy' if has_xy else '--no-task-xy'}"
        )
    names = list(SUITES[spec.env].task_xy_names)
    if has_xy and ds.meta.features[keys.TASK_XY].get("names") != names:
        raise SimplevlaError(
            f"{out / 'meta/info.json'}: field 'features.{keys.TASK_XY}.names' is "
            f"{ds.meta.features[keys.TASK_XY].get('names')}, and this version records {names}; record into a "
            "new --out"
        )
    return ds, meta


def record(
    out: str | Path,
    episodes: int,
    spec: EnvSpec,
    seed: int | None = None,
    workers: int = 1,
    resume: bool = False,
    progress: bool = True,
) -> dict:
    """Record `episodes` expert attempts into `out`; returns a JSON-able summary."""

    out = Path(out)
    if episodes < 1 or workers < 1:
        raise SimplevlaError(f"--episodes and --workers must be >= 1 (got {episodes}, {workers})")
    with writer_lock(out, "record"):  # one writer per dataset; freed when this process ends, even on SIGKILL
        return _record(out, episodes, spec, seed, workers, resume, progress)


def _record(
    out: Path, episodes: int, spec: EnvSpec, seed: int | None, workers: int, resume: bool, progress: bool
) -> dict:
    old, meta, keep = None, {}, []
    if resume and out.exists():
        old, meta = _previous(out, spec)
        keep = episodes_of(old)
    elif out.exists() and not resume:
        raise SimplevlaError(f"{out}: already exists; pass --resume to append, or choose another --out")
    ranges = list(meta.get("seed_ranges", []))
    start = seed if seed is not None else (max((r[1] for r in ranges), default=RECORD_SEED_START))
    if any(a < start + episodes and start < b for a, b in ranges):
        raise SimplevlaError(
            f"{out}: seeds {start}..{start + episodes - 1} overlap seeds already recorded {ranges}"
        )
    seeds = list(range(start, start + episodes))
    failed: list[int] = list(meta.get("failed_seeds", []))
    n_failed = 0
    t0 = time.perf_counter()
    bar = tqdm(total=episodes, desc="record", unit="ep", disable=not progress)

    def successful() -> Iterator[Episode]:
        nonlocal n_failed
        for s, ep in expert_episodes(spec, seeds, workers):
            bar.update(1)
            if ep is None:
                n_failed += 1
                failed.append(s)
                continue
            yield ep

    extra = {
        "env": {"id": SUITES[spec.env].env_id, **asdict(spec)},
        "seed_ranges": [*ranges, [start, start + episodes]],
        "failed_seeds": failed,
        "note": "episode seeds are seed_ranges minus failed_seeds, in order",
    }
    features = features_of(spec)
    info = write_dataset(out, features, successful(), extra, keep)
    bar.close()
    seconds = time.perf_counter() - t0
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file() and ".cache" not in p.parts)
    return {
        "out": str(out),
        "attempted": episodes,
        "recorded": episodes - n_failed,
        "failed": n_failed,
        "total_episodes": info["total_episodes"],
        "total_frames": info["total_frames"],
        "total_tasks": info["total_tasks"],
        "seeds": [start, start + episodes],
        "seconds": round(seconds, 2),
        "episodes_per_s": round(episodes / seconds, 1),
        "size_mb": round(size / 2**20, 3),
    }
