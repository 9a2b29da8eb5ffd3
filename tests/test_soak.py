"""The soak of benchmarks/soak.py (`benchmarks/soakkit/`; its full run is `--minutes 30`), for half a
minute: every lane killed and rerun, the disk filled and freed where a tmpfs can be mounted (root), the
server killed under a client. Nothing may be corrupt, locked or left behind, and every lane's rounds must
end as its quiet run did."""

from __future__ import annotations

import importlib.util
import os

import pytest
import soakkit


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "fork"), reason="the soak forks")
def test_half_a_minute_of_soak_loses_nothing(tmp_path):
    serve = importlib.util.find_spec("fastapi") is not None and importlib.util.find_spec("httpx") is not None
    out = soakkit.run(
        minutes=0.5, seed=5, work=tmp_path, fill=os.geteuid() == 0, serve=serve, fill_period=(5.0, 10.0)
    )
    assert not out["problems"], out["problems"]
    assert not out["held_locks"] and not out["temporaries"] and out["shared_unchanged"]
    for name, lane in out["lanes"].items():
        assert lane["rounds"] >= 1 and lane["orphans"] == 0, (name, lane)
    assert sum(lane["kills"] for lane in out["lanes"].values()) > 0
    if os.geteuid() == 0:
        assert out["fills"] >= 1
    if serve:
        assert out["serve"]["ok"] > 0 and out["serve"]["server_errors"] == 0, out["serve"]
