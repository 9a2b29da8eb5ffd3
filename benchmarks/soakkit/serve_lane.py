"""`simplevla serve` under the soak: a client process opens sessions, steps them, downloads their GIFs and
closes them as fast as the server answers, while the server is SIGKILLed at random moments and restarted.

Every answer must be a 2xx, a 4xx (a session the restarted server no longer knows is a 404) or 503 (busy);
a refused connection while the server is down is counted, not a failure. A 5xx other than 503, or a
server that dies by itself, is a problem.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import time
import traceback
from pathlib import Path

from faultkit.runner import Runner

from simplevla.atomic import atomic_write_json

STEPS_PER_SESSION = 5


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServeLane:
    """The server (a `Runner` child) and the client (a forked process writing its counts to `counts`)."""

    def __init__(
        self, runner: Runner, policy: Path, work: Path, rng: random.Random, period: tuple[float, float]
    ) -> None:
        self.r, self.policy, self.rng, self.period = runner, policy, rng, period
        self.port = free_port()
        self.stop_file, self.counts = work / "serve-client.stop", work / "serve-client.json"
        self.server: int | None = None
        self.client: int | None = None
        self.kills = self.restarts = 0
        self.problems: list[str] = []
        self.next_kill = self.restart_at = 0.0

    def start(self, now: float) -> None:
        self.stop_file.unlink(missing_ok=True)
        self._start_server()
        pid = os.fork()
        if pid == 0:
            rc = 1
            try:
                client_loop(f"http://127.0.0.1:{self.port}", self.stop_file, self.counts)
                rc = 0
            except BaseException:  # noqa: BLE001
                traceback.print_exc()
            finally:
                os._exit(rc)
        self.client = pid
        self.next_kill = now + self.rng.uniform(*self.period)

    def _start_server(self) -> None:
        argv = ["serve", "--policy", str(self.policy), "--port", str(self.port), "--threads", "1"]
        self.server, self.log = self.r.start(argv)

    def tick(self, now: float, draining: bool) -> None:
        if self.server is None:
            if now >= self.restart_at:
                self._start_server()
                self.restarts += 1
            return
        done, status = os.waitpid(self.server, os.WNOHANG)
        if done:
            self.problems.append(
                f"the server exited by itself ({os.waitstatus_to_exitcode(status)}): {self.log}"
            )
            self.server, self.restart_at = None, now
            return
        if not draining and now >= self.next_kill:
            os.kill(self.server, signal.SIGKILL)
            os.waitpid(self.server, 0)
            if self.r.orphans(self.server, grace=5.0):
                self.problems.append("a process of the killed server's group outlived it")
            self.kills += 1
            self.server, self.restart_at = None, now + self.rng.uniform(0.5, 3.0)
            self.next_kill = now + self.rng.uniform(*self.period)

    def stop(self) -> dict:
        """Stop the client (it writes its counts), then the server (SIGTERM, as a user's Ctrl-C would);
        the lane's result."""
        self.stop_file.touch()
        if self.client is not None:
            deadline = time.time() + 60
            while time.time() < deadline:
                if os.waitpid(self.client, os.WNOHANG)[0]:
                    break
                time.sleep(0.1)
            else:
                os.kill(self.client, signal.SIGKILL)
                os.waitpid(self.client, 0)
                self.problems.append("the client did not stop within 60 s")
        if self.server is not None:
            os.kill(self.server, signal.SIGTERM)
            try:
                self.r.wait(self.server, timeout=30)
            except TimeoutError:
                self.problems.append("the server did not stop within 30 s of SIGTERM")
        counts = json.loads(self.counts.read_text()) if self.counts.exists() else {}
        if not counts.get("ok"):
            self.problems.append(f"the client got no successful answer: {counts}")
        if counts.get("server_errors"):
            self.problems.append(f"{counts['server_errors']} server errors: {counts.get('error_samples')}")
        return {"kills": self.kills, "restarts": self.restarts, **counts, "problems": self.problems}


def client_loop(url: str, stop_file: Path, out: Path) -> None:
    """Until `stop_file` exists: open a session, step it, download its GIF, close it; count the answers."""
    import httpx

    counts = {"requests": 0, "ok": 0, "client_4xx": 0, "busy_503": 0, "server_errors": 0, "down": 0}
    samples: list[str] = []
    seed, last_write = 1_000_000, 0.0

    def tally(r: httpx.Response) -> httpx.Response:
        counts["requests"] += 1
        code = r.status_code
        if code < 400:
            counts["ok"] += 1
        elif code == 503:
            counts["busy_503"] += 1
        elif code < 500:
            counts["client_4xx"] += 1
        else:
            counts["server_errors"] += 1
            if len(samples) < 5:
                samples.append(f"{r.request.method} {r.request.url.path} -> {code}: {r.text[:200]}")
        return r

    with httpx.Client(base_url=url, timeout=30.0) as c:
        while not stop_file.exists():
            try:
                r = tally(c.post("/api/sessions", json={"seed": seed}))
                seed += 1
                if r.status_code == 201:
                    sid = r.json()["session"]
                    for _ in range(STEPS_PER_SESSION):
                        tally(c.post(f"/api/sessions/{sid}/step"))
                    tally(c.get(f"/api/sessions/{sid}/episode.gif"))
                    tally(c.delete(f"/api/sessions/{sid}"))
            except httpx.TransportError:  # the server is down (killed) or restarting
                counts["down"] += 1
                time.sleep(0.2)
            if time.monotonic() - last_write > 2.0:
                atomic_write_json(out, {**counts, "error_samples": samples})
                last_write = time.monotonic()
    atomic_write_json(out, {**counts, "error_samples": samples})
