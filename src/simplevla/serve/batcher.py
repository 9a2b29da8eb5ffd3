"""One worker thread that runs every session's env and every policy call, batching inference across tabs.

Each tick the worker takes every request that is waiting (a step or a look per session, or a function to
call, such as a reset), stacks the observations of the sessions that need a new action chunk into ONE
batch and runs the policy once on it. Each session keeps the rest of its own chunk in its own queue
(`Session.queue`, the first `n_action_steps` actions, as `select_action` would), so sessions at different
points of their chunks share the model without sharing a queue. Then every stepping session's env takes
its next action. One thread owns all envs and the model: no locks around torch, and MuJoCo's GL context
stays in the thread that made it.

A session's request that arrives while its previous one waits in the same tick is served in the next.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np
import torch

from simplevla import keys
from simplevla.envs.batch import to_batch
from simplevla.serve.sessions import Conflict, Session


@torch.no_grad()
def act(policy: torch.nn.Module, batch: dict) -> tuple[torch.Tensor, torch.Tensor | None]:
    """One forward pass: the action chunk (B, chunk, A) in env units and the policy's task_xy reading
    (B, aux_dim: object, goal[, reference]) in table units (None without one); a policy with only the
    four-method contract gives no reading."""
    if hasattr(policy, "predict_with_reading"):
        return policy.predict_with_reading(batch)
    return policy.predict_action_chunk(batch), None


@dataclass
class _Request:
    kind: str  # "step": one env step; "look": a new chunk and reading, no step; "call": run `fn`
    future: Future
    session: Session | None = None
    fn: Callable[[], object] | None = None


@dataclass
class Stats:
    """Counters since start: ticks, forward passes, rows in them, env steps."""

    ticks: int = 0
    forwards: int = 0
    rows: int = 0
    steps: int = 0
    busy_s: float = 0.0
    started: float = field(default_factory=time.monotonic)

    def as_dict(self) -> dict:
        return {
            "ticks": self.ticks,
            "forwards": self.forwards,
            "mean_batch": round(self.rows / self.forwards, 2) if self.forwards else None,
            "env_steps": self.steps,
            "worker_busy": round(self.busy_s / max(time.monotonic() - self.started, 1e-9), 3),
        }


class Batcher:
    """The model worker: `submit` a session's step (or look, or a call) and get a Future of its result."""

    def __init__(self, policy: torch.nn.Module, device: str = "cpu") -> None:
        self.policy, self.device = policy, device
        self.n_action_steps = int(policy.config.n_action_steps)
        self.stats = Stats()
        self._requests: queue.SimpleQueue[_Request | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="simplevla-serve-model", daemon=True)
        self._stopped = False

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped = True
        if self._thread.is_alive():
            self._requests.put(None)
            self._thread.join(timeout=10)

    def step(self, session: Session) -> Future:
        """Future of `session.frame()` after one env step with the session's next action."""
        return self._put(_Request("step", Future(), session))

    def look(self, session: Session) -> Future:
        """Future of `session.frame()` after a fresh chunk and task_xy reading for the current frame."""
        return self._put(_Request("look", Future(), session))

    def call(self, fn: Callable[[], object]) -> Future:
        """Future of `fn()`, run in the worker thread between ticks (resets, closing envs)."""
        return self._put(_Request("call", Future(), fn=fn))

    def _put(self, request: _Request) -> Future:
        if self._stopped:  # requests wait for `start`, but none is taken after `stop`
            request.future.set_exception(RuntimeError("the model worker has stopped"))
        else:
            self._requests.put(request)
        return request.future

    # ----- the worker thread ----------------------------------------------------------------------
    def _loop(self) -> None:
        later: list[_Request] = []
        while True:
            waiting = later or [self._requests.get()]  # block only when nothing was left from the last tick
            while True:
                try:
                    waiting.append(self._requests.get_nowait())
                except queue.Empty:
                    break
            if any(r is None for r in waiting):
                for r in waiting:
                    if r is not None and r.future.set_running_or_notify_cancel():
                        r.future.set_exception(RuntimeError("the server is shutting down"))
                return
            t0 = time.perf_counter()
            later = self._tick(waiting)
            self.stats.busy_s += time.perf_counter() - t0

    def _tick(self, waiting: list[_Request]) -> list[_Request]:
        """Serve `waiting`; returns the requests of sessions that already had one in this tick."""
        self.stats.ticks += 1
        now, later, seen = [], [], set()
        for r in waiting:
            if r.session is not None and r.session.id in seen:
                later.append(r)  # still pending: not yet marked running, so it may still be cancelled
            elif not r.future.set_running_or_notify_cancel():
                continue  # its request was given up (a paused run)
            elif r.kind == "call":
                _settle(r.future, r.fn)
            else:
                seen.add(r.session.id)
                now.append(r)
        now = [r for r in now if _check_steppable(r)]
        need = [r for r in now if r.kind == "look" or not r.session.queue]
        if need:
            try:
                self._forward([r.session for r in need])
            except Exception as e:  # the page hears what went wrong; the worker lives on
                for r in need:
                    r.future.set_exception(e)
                now = [r for r in now if r not in need]
        for r in now:
            if r.kind == "step":
                self.stats.steps += 1
                _settle(r.future, lambda s=r.session: (s.apply(s.queue.popleft()), s.frame())[1])
            else:
                _settle(r.future, r.session.frame)
        return later

    def _forward(self, sessions: list[Session]) -> None:
        """One policy call for `sessions`: refill each one's queue and task_xy reading."""
        obs = {k: np.stack([s.obs[k] for s in sessions]) for k in (keys.ENV_PIXELS, keys.ENV_AGENT_POS)}
        batch = to_batch(obs, [s.instruction for s in sessions], self.device)
        chunk, task_xy = act(self.policy, batch)  # (B, chunk, A), (B, aux_dim) or None
        chunk = chunk[:, : self.n_action_steps].float().cpu().numpy()  # (B, n, A)
        self.stats.forwards += 1
        self.stats.rows += len(sessions)
        for i, s in enumerate(sessions):
            s.queue.clear()
            s.queue.extend(chunk[i])
            s.task_xy = None if task_xy is None else [round(float(v), 4) for v in task_xy[i]]


def _check_steppable(r: _Request) -> bool:
    """False (and the request's Future failed) when its session's episode is over or was never started."""
    if r.session.env is None:
        r.future.set_exception(Conflict("this tab has no scene yet; press New scene"))
        return False
    if r.kind == "step" and r.session.done:
        r.future.set_exception(
            Conflict(f"the episode is over ({r.session.outcome}); press Reset or New scene")
        )
        return False
    return True


def _settle(future: Future, fn: Callable[[], object]) -> None:
    try:
        future.set_result(fn())
    except Exception as e:  # handed to the waiting request, which answers with it
        future.set_exception(e)
