"""MetaWorldEnv: Meta-World tasks (default MT10) behind Tabletop's observation contract, as a Gymnasium env.

obs = {"pixels": uint8 (H, W, 3) from the `corner2` camera, "agent_pos": float32 (4,) hand x, y, z and
gripper opening}; action float32 (4,) in [-1, 1] (hand dx, dy, dz, gripper effort); info has `task` (the
instruction), `task_spec` and `is_success`. An episode terminates on success and truncates at the task's
step limit. Needs the `metaworld` extra (`make install-metaworld`).

Seeding: Meta-World 3.1.1 ignores `reset(seed=...)` and, once a task is set, replays one frozen layout.
Here every reset seeds the task's env from this env's generator and draws a fresh layout with it
(`seeded_rand_vec`), so a seed gives the same layout every time and different seeds give different ones.
With a seed, episode seed s runs task `tasks[s % len(tasks)]`, so consecutive seeds cycle through the tasks.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from simplevla.envs.common import check_action, check_options, goal_marker_problem, instruction_override
from simplevla.envs.metaworld import tasks as mt10
from simplevla.envs.metaworld.render import CAMERAS, SceneRenderer, scale_goal_marker, select_gl

select_gl()

META_WORLD_MAX_STEPS = 500  # Meta-World's own episode limit (max_path_length)


class MetaWorldEnv(gym.Env):
    """Language-conditioned Meta-World. obs = {"pixels": uint8 (H, W, 3), "agent_pos": float32 (4,)}."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 80}

    def __init__(
        self,
        tasks: tuple[str, ...] | list[str] | str | None = None,
        split: str = "train",
        size: int = 64,
        camera: str = "corner2",
        max_steps: int | None = None,
        render_mode: str | None = "rgb_array",
        goal_marker: float = 1.0,
    ) -> None:
        self.tasks = mt10.check_tasks(tasks)
        check_options(split, mt10.SPLITS, size, max_steps, render_mode, META_WORLD_MAX_STEPS)
        if camera not in CAMERAS:
            raise ValueError(f"camera must be one of {CAMERAS}, got {camera!r}")
        problem = goal_marker_problem(goal_marker)
        if problem:
            raise ValueError(f"goal_marker {problem}")
        self.goal_marker = float(goal_marker)
        self.split, self.size, self.camera = split, int(size), camera
        self.max_steps_override = max_steps
        self.render_mode = render_mode
        self.observation_space = spaces.Dict(
            {
                "pixels": spaces.Box(0, 255, (self.size, self.size, 3), dtype=np.uint8),
                "agent_pos": spaces.Box(-np.inf, np.inf, (4,), dtype=np.float32),
            }
        )
        self.action_space = spaces.Box(-1.0, 1.0, (4,), dtype=np.float32)
        self._sims: dict[str, tuple[object, SceneRenderer]] = {}  # task -> (Meta-World env, renderer)
        self.task_name = ""
        self.task = self.sampled_task = ""
        self.next_instruction: str | None = None  # replaces the drawn wording at the next reset only
        self.task_spec: dict = {}
        self.max_steps = 0
        self.steps = 0
        self._state = np.zeros(39)  # Meta-World's full (goal-observable) state vector
        self._frame: np.ndarray | None = None

    # ----- Meta-World plumbing ------------------------------------------------------------------
    def _sim(self, task: str) -> tuple[object, SceneRenderer]:
        """The task's Meta-World env (goal observable, seedable) and renderer, built on first use."""
        if task not in self._sims:
            from metaworld.env_dict import ALL_V3_ENVIRONMENTS

            env = ALL_V3_ENVIRONMENTS[f"{task}-{mt10.VERSION}"]()
            env._partially_observable = False  # the scripted policies read the goal from the state
            if "sawyer_observation_space" in vars(env):
                del env.sawyer_observation_space  # a cached property that depends on the line above
            env._set_task_called = True
            env._freeze_rand_vec, env.seeded_rand_vec = False, True  # layouts drawn from env.np_random
            scale_goal_marker(env.model, self.goal_marker)
            self._sims[task] = (env, SceneRenderer(env.model, self.size, self.camera))
        return self._sims[task]

    @property
    def state_obs(self) -> np.ndarray:
        """Meta-World's 39-d state (hand, gripper, objects, previous frame, goal): privileged, for experts."""
        return self._state.copy()

    @property
    def sim(self):
        """The current task's underlying Meta-World env."""
        return self._sim(self.task_name)[0]

    # ----- Gymnasium API ------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[dict, dict]:
        super().reset(seed=seed)
        rng = self.np_random
        if seed is not None:
            self.task_name = self.tasks[int(seed) % len(self.tasks)]
        else:
            self.task_name = self.tasks[int(rng.integers(len(self.tasks)))]
        layout_seed = int(rng.integers(2**31 - 1))
        env, _ = self._sim(self.task_name)
        env.seed(layout_seed)
        self._state, _ = env.reset()
        self.task = mt10.make_instruction(rng, self.task_name, self.split)
        self.sampled_task = self.task  # the wording the env drew, before any override
        override = instruction_override(options, self.next_instruction)
        self.next_instruction = None
        if override is not None:
            self.task = override
        self.task_spec = {
            "task": self.task_name,
            "env_name": f"{self.task_name}-{mt10.VERSION}",
            "layout_seed": layout_seed,
        }
        self.max_steps = self.max_steps_override or mt10.MAX_STEPS[self.task_name]
        self.steps = 0
        return self._observe(), self._info(False)

    def step(self, action: np.ndarray) -> tuple[dict, float, bool, bool, dict]:
        success = self._advance(self._check_action(action))
        truncated = self.steps >= self.max_steps and not success
        return self._observe(), float(success), success, truncated, self._info(success)

    def _advance(self, action: np.ndarray) -> bool:
        """One Meta-World step with a checked action (4,); returns success."""
        self._state, _, _, _, info = self.sim.step(action)
        self.steps += 1
        return bool(info["success"])

    def render(self) -> np.ndarray | None:
        if self.render_mode is None:
            return None
        if self._frame is None:
            self._frame = self._sim(self.task_name)[1].render(self.sim.data)
        return self._frame

    def close(self) -> None:
        for env, renderer in self._sims.values():
            renderer.close()
            env.close()
        self._sims = {}
        super().close()

    # ----- helpers ------------------------------------------------------------------------------
    @staticmethod
    def _check_action(action: np.ndarray) -> np.ndarray:
        """Validate an action (`actions.check_action`); returns it as float32 (4,) clipped to [-1, 1]."""
        return np.clip(check_action(action, 4), -1.0, 1.0).astype(np.float32)

    def _observe(self) -> dict:
        self._frame = None
        frame = self._sim(self.task_name)[1].render(self.sim.data)
        self._frame = frame if self.render_mode else None
        return {"pixels": frame, "agent_pos": self._state[:4].astype(np.float32)}

    def _info(self, success: bool) -> dict:
        return {"task": self.task, "task_spec": dict(self.task_spec), "is_success": bool(success)}
