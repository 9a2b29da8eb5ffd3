"""`simplevla serve`: a local web page where you type an instruction and watch a policy act on it."""

from __future__ import annotations

import dataclasses
import ipaddress
import sys

import torch

from simplevla.errors import SimplevlaError
from simplevla.models import load_policy
from simplevla.serve.app import make_app


def host_warning(host: str) -> str | None:
    """A warning for a host other than a loopback address: the page has no login."""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if loopback:
        return None
    return (
        f"warning: --host {host} serves this page (and its policy and CPU) to every machine that can reach "
        "this one, with no login; use --host 127.0.0.1 (the default) unless you mean it"
    )


@dataclasses.dataclass
class ServeCommand:
    """Serve a local web page: type an instruction, press Run, watch the policy act on it live."""

    policy: str
    """A checkpoint directory (RUN/checkpoints/<step>), or a run directory (its last checkpoint)."""
    host: str = "127.0.0.1"
    """The address to listen on; anything but a loopback address prints a warning."""
    port: int = 8000
    max_sessions: int = 16
    """Open tabs served at once; one more is answered 'busy' (HTTP 503) rather than slowing everyone."""
    idle_timeout: float = 600.0
    """Seconds a tab may stay unused before its session (and env) is closed."""
    fps: float | None = None
    """Live playback rate in steps per second; default: the env's own (Tabletop: 10)."""
    threads: int | None = None
    """Torch threads of the model worker; default: torch's own choice."""
    device: str = "cpu"
    json: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.port <= 65535:
            raise SimplevlaError(f"--port must be in [1, 65535], got {self.port}")
        if self.max_sessions < 1:
            raise SimplevlaError(f"--max-sessions must be at least 1, got {self.max_sessions}")
        if not self.idle_timeout > 0:
            raise SimplevlaError(
                f"--idle-timeout must be a positive number of seconds, got {self.idle_timeout}"
            )
        if self.fps is not None and not self.fps > 0:
            raise SimplevlaError(f"--fps must be positive (or left out for the env's rate), got {self.fps}")
        if self.threads is not None and self.threads < 1:
            raise SimplevlaError(f"--threads must be at least 1, got {self.threads}")

    def run(self) -> dict:
        try:
            import uvicorn
        except ImportError:
            raise SimplevlaError("simplevla serve needs its extra: pip install 'simplevla[serve]'") from None
        if self.threads is not None:
            torch.set_num_threads(self.threads)
        app = make_app(
            load_policy(self.policy, self.device), self.max_sessions, self.idle_timeout, self.fps, self.device
        )
        warning = host_warning(self.host)
        if warning:
            print(warning, file=sys.stderr)
        url = f"http://{self.host}:{self.port}/"
        print(f"serving {self.policy} on {url} (Ctrl-C stops)", file=sys.stderr, flush=True)
        uvicorn.run(app, host=self.host, port=self.port, log_level="warning")
        server = app.state.server
        return {"url": url, "policy": self.policy, "sessions_opened": server.table.opened}
