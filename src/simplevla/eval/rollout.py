"""Closed-loop rollouts: envs of one group stepped together in a Gymnasium vector env with the policy run once
per step on the whole batch, one env's episode under your own wording, the check that a policy fits an env,
and what the policy's parse head read in each instruction."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import torch
from gymnasium.vector import AsyncVectorEnv, AutoresetMode, SyncVectorEnv, VectorEnv

from simplevla import keys
from simplevla.envs import SUITES
from simplevla.envs.batch import to_batch
from simplevla.envs.tabletop import reading
from simplevla.errors import SimplevlaError


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
    group: str,
    split: str,
    size: int,
    n: int,
    max_steps: int | None = None,
    env: str = "tabletop",
    vector: str = "sync",
    options: dict | None = None,
) -> VectorEnv:
    """`n` envs of one group of suite `env` (a Tabletop family, a Meta-World task) stepped together: in this
    process (`sync`), or one worker process each (`async`). `options` are further env keywords."""
    suite = SUITES[env]
    kw = {suite.select: (group,), "split": split, "size": size, "max_steps": max_steps, **(options or {})}
    fns = [lambda: gym.make(suite.env_id, **kw) for _ in range(n)]
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
        active = ~done
        obs, terminated, truncated, succeeded = step_active(vec, obs, action.astype(np.float32), active)
        steps[active] += 1
        success |= succeeded & active
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


def step_active(
    vec: VectorEnv, obs: dict, action: np.ndarray, active: np.ndarray
) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray]:
    """Step the sub-envs of `vec` where `active` (n,) is set with their rows of `action` (n, A); returns the
    batched observation (finished envs keep their last one), terminated, truncated and is_success (n,).

    In-process (`SyncVectorEnv`) only the active sub-envs step: a finished one costs nothing while the
    others run on (a Meta-World failure runs 500 steps). Worker processes (`AsyncVectorEnv`) step all, the
    finished ones with zero actions after their automatic reset; their outputs are ignored."""
    n = vec.num_envs
    if not isinstance(vec, SyncVectorEnv):
        action = action.copy()
        action[~active] = 0.0
        obs, _, terminated, truncated, info = vec.step(action)
        return (
            obs,
            np.asarray(terminated, bool),
            np.asarray(truncated, bool),
            np.asarray(info["is_success"], bool),
        )
    obs = {k: v.copy() for k, v in obs.items()}
    terminated, truncated, succeeded = np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool)
    for i in np.flatnonzero(active):
        o, _, terminated[i], truncated[i], info = vec.envs[i].step(action[i])
        succeeded[i] = bool(info["is_success"])
        for k, v in o.items():
            obs[k][i] = v
    return obs, terminated, truncated, succeeded


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
