"""`run`: shared data, the quiet runs, the lanes side by side for the soak's minutes under kills and a disk
that fills and frees, the drain (every lane finishes its round with no more kills), and the final checks."""

from __future__ import annotations

import importlib.util
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from faultkit.commands import argv_for
from faultkit.runner import Runner
from faultkit.state import content_hash, hidden_leftovers, visible_files

from .checks import held_locks
from .disk import Filler, soak_disk
from .lanes import Lane, Plan, dagger_plan, eval_plan, quiet_run, record_plan, train_plan
from .serve_lane import ServeLane

DRAIN_S = 900.0  # every lane must finish its round within this after the soak's end


def plans(base: Path, policy: Path) -> list[Plan]:
    """The lanes: record --resume, dagger, two training runs on the same dataset and cache, eval."""
    return [
        record_plan(),
        dagger_plan(base, policy),
        train_plan("train-a", base),
        train_plan("train-b", base),
        eval_plan(policy),
    ]


def run(
    minutes: float = 30.0,
    seed: int = 0,
    work: Path | None = None,
    kill_rate: float = 0.7,
    fill: bool = True,
    serve: bool = True,
    disk_mib: int = 256,
    fill_period: tuple[float, float] = (15.0, 45.0),
    kill_period: tuple[float, float] = (10.0, 40.0),
    log=sys.stderr,
) -> dict:
    """Soak for `minutes`; returns the result (its "problems" must be empty).

    `kill_rate`: the share of each lane's children SIGKILLed at a random moment; `fill`: fill and free a
    tmpfs the lanes write into (needs root); `serve`: also serve the shared policy to a client, killing the
    server every `kill_period` seconds; `work` keeps everything (default: a temporary directory, removed).
    """
    t_start = time.perf_counter()
    own = work is None
    work = Path(tempfile.mkdtemp(prefix="simplevla-soak-")) if own else Path(work)
    rng = random.Random(seed)
    runner = Runner(False, work / "logs")
    try:
        with soak_disk(work / "disk", disk_mib, fill) as mounted:
            return _soak(
                work, mounted, runner, rng, minutes, kill_rate, serve, fill_period, kill_period, log
            ) | {
                "seed": seed,
                "kill_rate": kill_rate,
                "disk": f"a {disk_mib} MiB tmpfs"
                if mounted
                else "a plain directory: nothing filled (needs root)",
                "wall_s": round(time.perf_counter() - t_start, 1),
            }
    finally:
        if own:
            shutil.rmtree(work, ignore_errors=True)


def _soak(work, mounted, runner, rng, minutes, kill_rate, serve, fill_period, kill_period, log) -> dict:
    disk = work / "disk"
    base, policy = disk / "shared" / "base", disk / "shared" / "policy"
    for argv in (
        argv_for("record", base, episodes=12, workers=1),
        argv_for("train", policy, base=base, steps=4, save_every=4),
    ):
        rc, _, out = runner.run(argv)
        if rc != 0:
            raise RuntimeError(f"preparing the shared data failed ({rc}): {' '.join(argv)}\n{out[-3000:]}")
    lane_plans = plans(base, policy)
    quiet = {}
    for plan in lane_plans:
        target = work / "quiet" / plan.name / "target"
        quiet[plan.name] = quiet_run(plan, target, runner)
        plan.ref = target  # the training lanes' checkpoints are compared with these
    print(f"soak: quiet runs {[(n, [round(w, 1) for w in q.walls]) for n, q in quiet.items()]}", file=log)
    shutil.rmtree(base / ".cache", ignore_errors=True)  # the two training lanes build it again, side by side
    shared_before = content_hash(visible_files(disk / "shared"))

    filler = Filler(disk if mounted else None, rng, fill_period)
    was_full = filler.was_full
    lanes = [
        Lane(p, quiet[p.name], disk / "lanes", runner, random.Random(rng.random()), kill_rate, was_full)
        for p in lane_plans
    ]
    server = None
    if serve and importlib.util.find_spec("fastapi") and importlib.util.find_spec("httpx"):
        server = ServeLane(runner, policy, work, random.Random(rng.random()), kill_period)
    now = time.monotonic()
    deadline, report = now + minutes * 60.0, now + 60.0
    filler.start(now)
    if server:
        server.start(now)
    try:
        while now < deadline:
            filler.tick(now)
            for lane in lanes:
                lane.tick(now)
            if server:
                server.tick(now, draining=False)
            if now >= report:
                report = now + 60.0
                print(f"soak: {(deadline - now) / 60:.1f} min left; {_progress(lanes, filler)}", file=log)
            time.sleep(0.05)
            now = time.monotonic()
        filler.stop(now)
        for lane in lanes:
            lane.draining = True
        drain_end = now + DRAIN_S
        while not all(lane.idle for lane in lanes) and now < drain_end:
            for lane in lanes:
                lane.tick(now)
            if server:
                server.tick(now, draining=True)
            time.sleep(0.05)
            now = time.monotonic()
        served = server.stop() if server else {"skipped": "serve lane off, or fastapi/httpx missing"}
    finally:
        for lane in lanes:
            lane.stop()
    problems = [p for lane in lanes for p in lane.stats.problems] + served.get("problems", [])
    problems += [
        f"{lane.plan.name}: still running {DRAIN_S:.0f} s after the end" for lane in lanes if not lane.idle
    ]
    locks, temps = held_locks(disk), hidden_leftovers(disk, caches=True)
    shared_same = content_hash(visible_files(disk / "shared")) == shared_before
    problems += [f"a lock is still held: {p}" for p in locks] + [f"a temporary was left: {p}" for p in temps]
    if not shared_same:
        problems.append("the shared dataset or policy changed")
    return {
        "minutes": minutes,
        "fills": len(filler.spans),
        "lanes": {lane.plan.name: _lane_row(lane) for lane in lanes},
        "serve": served,
        "held_locks": locks,
        "temporaries": temps,
        "shared_unchanged": shared_same,
        "problems": problems,
    }


def _lane_row(lane: Lane) -> dict:
    s = lane.stats
    return {
        "rounds": s.rounds,
        "steps_per_round": lane.plan.steps,
        "attempts": s.attempts,
        "kills": s.kills,
        "disk_full_refusals": s.disk_full,
        "orphans": s.orphans,
        "problems": len(s.problems),
    }


def _progress(lanes: list[Lane], filler: Filler) -> str:
    rows = ", ".join(
        f"{lane.plan.name} {lane.stats.rounds} rounds {lane.stats.kills} kills" for lane in lanes
    )
    return f"{rows}; disk filled {len(filler.spans)} times"
