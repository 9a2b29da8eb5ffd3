"""One browser tab's state (`Session`: its own env, instruction, episode frames and action queue) and the
table that holds them (`SessionTable`: a size limit that answers "busy", idle expiry).

A session's env is only ever touched from the batcher's worker thread (MuJoCo's GL context belongs to the
thread that made it); the web handlers read a session's plain fields after awaiting the worker.
"""

from __future__ import annotations

import asyncio
import base64
import io
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from PIL import Image

from simplevla import keys
from simplevla.envs import Suite
from simplevla.errors import SimplevlaError
from simplevla.eval.freetext import check_instruction as check_instruction_text
from simplevla.eval.rollout import read_tasks
from simplevla.serve import scenes

REMEMBER_EXPIRED = 1024  # expired ids kept, so that a late request hears "expired" rather than "unknown"


class ServeError(SimplevlaError):
    """A request the server refuses, with the HTTP status it answers and a message for the page."""

    status = 400


class NotFound(ServeError):
    status = 404


class Expired(ServeError):
    status = 410


class Conflict(ServeError):
    status = 409


class Busy(ServeError):
    status = 503


def check_instruction(text: object) -> str:
    """`text` as an instruction (whitespace collapsed), by the rules of instruction files (one line, at
    most MAX_INSTRUCTION_CHARS characters, no control characters, not empty); ServeError otherwise."""
    try:
        return check_instruction_text("instruction", text)
    except SimplevlaError as e:
        raise ServeError(str(e)) from None


def png_base64(frame: np.ndarray) -> str:
    """An (H, W, 3) uint8 frame as base64 PNG bytes (the page scales it up, nearest-neighbour)."""
    buf = io.BytesIO()
    Image.fromarray(frame).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode("ascii")


class Session:
    """One tab: an env of `suite` rendering at the policy's image size, the current instruction and what
    the policy read in it, the episode's frames, and the actions queued from the policy's last chunk."""

    def __init__(self, sid: str, suite: Suite, image_size: int) -> None:
        self.id, self.suite, self.image_size = sid, suite, image_size
        self.group: str | None = None
        self.env: Any = None
        self.seed = 0
        self.instruction = ""
        self.reading: dict = {}
        self.obs: dict = {}
        self.frames: list[np.ndarray] = []
        self.queue: deque[np.ndarray] = deque()  # (A,) actions left of the policy's last chunk
        self.task_xy: list[float] | None = None  # the policy's reading: object, goal[, reference] x, y
        self.success = self.done = False
        self.last_used = time.monotonic()
        self.lock = asyncio.Lock()  # one operation at a time per tab (step, run, reset)
        self.runner: asyncio.Task | None = None  # the live run streaming over the WebSocket, if any

    # ----- worker-thread operations -------------------------------------------------------------
    def reset(self, policy: torch.nn.Module, seed: int, group: str | None, instruction: str | None) -> None:
        """A new episode at `seed` in `group` (None: any), with `instruction` in place of the drawn wording."""
        if self.env is None or group != self.group:
            if self.env is not None:
                self.env.close()
            self.env = self.suite.env(None if group is None else [group], size=self.image_size)
            self.group = group
        self.obs, _ = self.env.reset(seed=seed)  # the scene's own wording first, for the page
        self.seed = seed
        self.instruction = ""
        self.set_instruction(policy, instruction or self.env.unwrapped.sampled_task)
        self.frames = [self.obs[keys.ENV_PIXELS].copy()]
        self.task_xy, self.success, self.done = None, False, False

    def set_instruction(self, policy: torch.nn.Module, text: str) -> None:
        """Condition the policy on `text` from the next step on, and read it with the parse head."""
        if text == self.instruction:
            return
        self.instruction = text
        self.queue.clear()  # the queued actions were planned for the old words
        self.reading = read_tasks(policy, [text], self.env)[0]

    def apply(self, action: np.ndarray) -> None:
        """Step the env with `action` (A,)."""
        self.obs, _, terminated, truncated, info = self.env.step(action.astype(np.float32))
        self.frames.append(self.obs[keys.ENV_PIXELS].copy())
        self.success = bool(info["is_success"])
        self.done = bool(terminated or truncated)
        if self.done:
            self.queue.clear()

    def close(self) -> None:
        if self.env is not None:
            self.env.close()
            self.env = None

    # ----- what the page sees -------------------------------------------------------------------
    @property
    def steps(self) -> int:
        return len(self.frames) - 1

    @property
    def fps(self) -> int:
        """The env's own playback rate (Tabletop: 10 steps a second)."""
        return int(self.env.unwrapped.metadata.get("render_fps", 10))

    @property
    def outcome(self) -> str | None:
        if not self.done:
            return None
        return "success" if self.success else "steps used up"

    def frame(self) -> dict:
        """The latest frame and where the episode stands."""
        return {
            "step": self.steps,
            "max_steps": int(self.env.unwrapped.max_steps),
            "done": self.done,
            "success": self.success,
            "outcome": self.outcome,
            "frame": png_base64(self.frames[-1]),
            "task_xy": self.task_xy,
        }

    def state(self) -> dict:
        """Everything the page shows about this tab's scene."""
        env = self.env.unwrapped
        return {
            "session": self.id,
            "suite": self.suite.name,
            "group": self.group,
            "seed": self.seed,
            "instruction": self.instruction,
            "reading": self.reading,
            "own_wording": env.sampled_task,
            "task": scenes.plain_task(self.suite, env.task_spec),
            "examples": scenes.example_wordings(self.suite, env, self.seed),
            "fps": self.fps,
            **self.frame(),
        }


class SessionTable:
    """Sessions by id: at most `limit` open (one more is `Busy`), each closed after `idle_s` unused."""

    def __init__(
        self,
        limit: int,
        idle_s: float,
        on_expire: Callable[[Session], object] = Session.close,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit, self.idle_s, self.on_expire, self.clock = limit, idle_s, on_expire, clock
        self.sessions: dict[str, Session] = {}
        self.expired: OrderedDict[str, None] = OrderedDict()
        self.opened = 0

    def add(self, make: Callable[[str], Session]) -> Session:
        """A new session built by `make(id)`; `Busy` when `limit` are open."""
        if len(self.sessions) >= self.limit:
            raise Busy(
                f"busy: {self.limit} tabs are open, the server's limit (--max-sessions); close one or "
                "try again when an idle one expires"
            )
        sid = secrets.token_urlsafe(12)
        session = make(sid)
        session.last_used = self.clock()
        self.sessions[sid] = session
        self.opened += 1
        return session

    def get(self, sid: str) -> Session:
        """The session `sid`, marked used now; `Expired` or `NotFound` otherwise."""
        self.expire()
        if sid in self.expired:
            raise Expired(
                f"this tab's session expired after {self.idle_s:g} s unused; press New scene to start again"
            )
        session = self.sessions.get(sid)
        if session is None:
            raise NotFound("unknown session; reload the page to start a new one")
        session.last_used = self.clock()
        return session

    def remove(self, sid: str) -> Session | None:
        return self.sessions.pop(sid, None)

    def expire(self) -> list[Session]:
        """Remove the sessions unused for longer than `idle_s` (a live run keeps one in use), hand each to
        `on_expire` (which closes its env) and return them."""
        now = self.clock()
        old = [
            s
            for s in self.sessions.values()
            if now - s.last_used > self.idle_s and (s.runner is None or s.runner.done())
        ]
        for s in old:
            del self.sessions[s.id]
            self.expired[s.id] = None
            self.on_expire(s)
        while len(self.expired) > REMEMBER_EXPIRED:
            self.expired.popitem(last=False)
        return old
