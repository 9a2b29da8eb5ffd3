"""MetaWorldExpert: Meta-World's own scripted policy for the current task, behind the Tabletop `Expert` API.

`act()` is the scripted action clipped to [-1, 1] (float32 (4,)), read off the privileged state;
`perturb(a)` adds Gaussian noise of std `noise` and clips again (DART-style recording executes
`perturb(act())` and stores `act()`). `task_xy()` is the training-only auxiliary target: where the task's
object and its goal are, as Tabletop's expert gives it.
"""

from __future__ import annotations

import warnings

import numpy as np

from simplevla.envs.metaworld import tasks as mt10


class MetaWorldExpert:
    def __init__(self, env, noise: float = 0.0, seed: int | None = None) -> None:
        self.env = env.unwrapped
        self.noise = float(noise)
        self.rng = np.random.default_rng(seed)
        self.policy = None

    def reset(self) -> None:
        """Pick the scripted policy of the env's current task (call after env.reset)."""
        from metaworld.policies import ENV_POLICY_MAP

        self.policy = ENV_POLICY_MAP[f"{self.env.task_name}-{mt10.VERSION}"]()

    def act(self) -> np.ndarray:
        """The clean scripted action, float32 (4,) in [-1, 1]."""
        if self.policy is None:
            self.reset()
        with warnings.catch_warnings():  # Meta-World warns on every large gain; the clip below is the point
            warnings.filterwarnings("ignore", message="Constant", category=UserWarning)
            raw = self.policy.get_action(self.env.state_obs)
        return np.clip(raw, -1.0, 1.0).astype(np.float32)

    def task_xy(self) -> np.ndarray:
        """float32 (4,): the task object's x, y and the goal's x, y in world metres, from Meta-World's
        goal-observable state (object position at [4:7], goal at [36:39]; heights are left out)."""
        state = self.env.state_obs
        return np.array([state[4], state[5], state[36], state[37]], np.float32)

    def perturb(self, action: np.ndarray) -> np.ndarray:
        """`action` plus Gaussian noise (std `noise`), clipped to [-1, 1]; float32 (4,)."""
        if self.noise <= 0:
            return np.asarray(action, np.float32)
        noisy = np.asarray(action, np.float64) + self.rng.normal(0.0, self.noise, 4)
        return np.clip(noisy, -1.0, 1.0).astype(np.float32)
