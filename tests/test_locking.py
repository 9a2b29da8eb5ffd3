"""One writer per dataset or run directory: a second `record`, `dagger` or `train` is refused with a clear
error, and the lock of a SIGKILLed owner is free again at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import simplevla
from simplevla.cli import main
from simplevla.errors import SimplevlaError
from simplevla.locking import lock_path, writer_lock

SRC = str(Path(simplevla.__file__).resolve().parents[1])
HERE = Path(__file__).parent


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([SRC, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def spawn_cli(*argv: str) -> subprocess.Popen:
    """`simplevla ARGV` in a child process (the working tree's simplevla), its output discarded."""
    code = "import sys; from simplevla.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.Popen(
        [sys.executable, "-c", code, *argv],
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the test can see whether its workers outlive it
    )


def group_gone(pgid: int, timeout: float = 10) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    os.killpg(pgid, signal.SIGKILL)
    return False


def wait_for_owner(target: Path, proc: subprocess.Popen, timeout: float = 60) -> None:
    """Until the lock file of `target` names `proc` as its owner."""
    deadline = time.time() + timeout
    path = lock_path(target)
    while not (path.is_file() and f"pid {proc.pid})" in path.read_text()):
        assert proc.poll() is None, f"the child exited early with {proc.returncode}"
        assert time.time() < deadline, "the child never took the lock"
        time.sleep(0.05)


def kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def test_a_second_lock_in_one_process_is_refused_and_freed_after(tmp_path):
    with writer_lock(tmp_path / "ds", "record"):
        with pytest.raises(SimplevlaError, match="already writing it"):
            with writer_lock(tmp_path / "ds", "train"):
                pass
        with writer_lock(tmp_path / "other", "record"):  # another directory: its own lock
            pass
    with writer_lock(tmp_path / "ds", "record"):  # released on exit
        pass
    assert lock_path(tmp_path / "ds") == tmp_path / ".ds.lock"


def test_the_lock_holds_on_a_full_disk(tmp_path, monkeypatch):
    """Writing the owner's name into a new lock file fails on a full disk; the lock still holds (found by
    benchmarks/soak.py: `dagger` ended with a disk-full error that named no file)."""
    import errno

    import simplevla.locking as locking

    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(locking.os, "pwrite", full)
    with writer_lock(tmp_path / "ds", "record"):
        with pytest.raises(SimplevlaError, match="already writing it"):
            with writer_lock(tmp_path / "ds", "dagger"):
                pass


def test_a_killed_owner_frees_the_lock(tmp_path):
    script = textwrap.dedent(f"""
        import time
        from simplevla.locking import writer_lock
        with writer_lock({str(tmp_path / "ds")!r}, "record"):
            time.sleep(600)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], env=_env())
    try:
        wait_for_owner(tmp_path / "ds", proc)
        with pytest.raises(SimplevlaError, match=rf"simplevla record \(pid {proc.pid}\) is writing it"):
            with writer_lock(tmp_path / "ds", "dagger"):
                pass
    finally:
        kill(proc)
    with writer_lock(tmp_path / "ds", "record"):  # the kernel dropped the dead owner's lock
        pass


@pytest.mark.slow
def test_two_recordings_into_one_directory(tmp_path, capsys):
    out = tmp_path / "rec"
    common = ["--out", str(out), "--size", "32", "--no-progress", "--workers", "2"]
    first = spawn_cli("record", "--episodes", "100000", *common)
    try:
        wait_for_owner(out, first)
        assert main(["record", "--episodes", "2", *common]) == 2
        err = capsys.readouterr().err
        assert f"{out}: simplevla record (pid {first.pid}) is writing it" in err and "\n" == err[-1]
    finally:
        kill(first)
    assert group_gone(first.pid), "the recorder's worker processes outlived it"
    assert not out.exists()  # the killed recording left nothing (and no lock)
    assert main(["record", "--episodes", "2", *common, "--json"]) == 0
    assert simplevla.data.load_dataset(out).meta.total_episodes >= 1


def test_dagger_is_refused_while_a_recording_writes_the_dataset(tmp_path):
    from simplevla.collect.dagger import dagger

    with writer_lock(tmp_path / "ds", "record"):
        with pytest.raises(SimplevlaError, match="already writing it"):
            dagger(tmp_path / "ds", tmp_path / "no-policy", episodes=1)


TRAIN_SCRIPT = """
import sys
sys.path[:0] = [{training!r}, {tests!r}]
from training_fakes import TINY, SlowSampler, tiny_cache
from simplevla.models import PolicyConfig
from simplevla.train.loop import train
from simplevla.train.config import TrainConfig
from simplevla.train.data import make_source

cfg = TrainConfig(out={out!r}, steps=100000, save_every=5, batch_size=8, threads=1, warmup_steps=2, val_every=0)
pcfg = PolicyConfig(**TINY, chunk_size=3, n_action_steps=2)
data = make_source(tiny_cache(), pcfg, val_fraction=0.2, seed=0)
data.train = SlowSampler(data.train)
train(cfg, pcfg, data)
"""


@pytest.mark.slow
def test_a_second_train_on_one_run_directory(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(HERE / "training"))
    from training_fakes import TINY, tiny_cache

    from simplevla.models import PolicyConfig
    from simplevla.train.config import TrainConfig
    from simplevla.train.data import make_source
    from simplevla.train.loop import train

    run = tmp_path / "run"
    script = TRAIN_SCRIPT.format(training=str(HERE / "training"), tests=str(HERE), out=str(run))
    first = subprocess.Popen([sys.executable, "-c", script], env=_env())
    pcfg = PolicyConfig(**TINY, chunk_size=3, n_action_steps=2)
    data = make_source(tiny_cache(), pcfg, val_fraction=0.2, seed=0)
    cfg = TrainConfig(out=run, steps=10, save_every=5, batch_size=8, threads=1, warmup_steps=2, resume=True)
    try:
        wait_for_owner(run, first)
        deadline = time.time() + 60
        while not (run / "checkpoints" / "000005").exists():
            assert first.poll() is None and time.time() < deadline
            time.sleep(0.05)
        with pytest.raises(SimplevlaError, match=rf"simplevla train \(pid {first.pid}\) is writing it"):
            train(cfg, pcfg, data)
    finally:
        kill(first)
    out = train(cfg, pcfg, data)  # the killed run's lock is gone: --resume continues it
    assert out["resumed_from"] >= 5


def _report_death_signal(q) -> None:
    import ctypes

    sig = ctypes.c_int(0)
    ctypes.CDLL(None, use_errno=True).prctl(2, ctypes.byref(sig), 0, 0, 0)  # PR_GET_PDEATHSIG
    q.put(sig.value)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
def test_children_forked_inside_workers_die_with_me_get_the_death_signal():
    import multiprocessing as mp
    import signal

    from simplevla.locking import workers_die_with_me

    ctx = mp.get_context("fork")
    q = ctx.Queue()
    with workers_die_with_me():
        inside = ctx.Process(target=_report_death_signal, args=(q,))
        inside.start()
        got_inside = q.get(timeout=30)
        inside.join(30)
    outside = ctx.Process(target=_report_death_signal, args=(q,))
    outside.start()
    got_outside = q.get(timeout=30)
    outside.join(30)
    assert got_inside == int(signal.SIGKILL)  # set from the fork hook, before the child's own code ran
    assert got_outside == 0
