"""Crash consistency: SIGKILL `simplevla record`, `record --resume`, `dagger`, `train` and `train --resume`
at random moments, then check that nothing was lost or corrupted and that rerunning finishes the job with
the same bytes as an uninterrupted run; then fill the disk during record, cache build and checkpoint save.

    python benchmarks/faults.py --trials 20 [--seed 0] [--work DIR] [--spawn] [--json out.json]

Each command runs on tiny settings (32x32 images, a few dozen episodes, a 20-step tiny policy). A reference
run of each, uninterrupted, gives the expected bytes and the wall time T; every trial kills the command
after a delay drawn uniformly from [0, T] (a run that ends before its kill is redone with a delay drawn from
[0, the last delay], up to four tries), then checks:

- kills: trials whose command was still running when killed; mid-write: those killed while a hidden
  temporary existed (a dataset or checkpoint half written) or after a new checkpoint was written.
- lost/corrupt: the dataset must still load (every frame) with the content hash it had before the run, or
  be the complete new dataset; every checkpoint left must load and hold the reference run's weights for its
  step, and `last` must point at a complete one. Must be 0.
- stray: a file a reader would pick up (not hidden) that the finished layout does not have. Must be 0.
- orphans: worker processes still alive 5 s after their parent was killed. Must be 0.
- finished bit-identical: rerunning the command (`--resume` for train) ends with a dataset whose visible
  files are byte-identical to the reference, or final weights identical to the reference run's.
- leftovers: hidden temporaries still there after the rerun (a killed writer's, removed by the next one).

By default each command runs in a process forked from this one after `simplevla.cli` is imported (the same
`main(argv)` as the console script, without the ~3 s interpreter and torch start-up, so the kills land in
the work instead of in the imports); `--spawn` starts a fresh interpreter per run instead. The disk-full
cases need root (a small tmpfs is mounted); without it they are reported as skipped.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

CLI = "import sys; from simplevla.cli import main; sys.exit(main(sys.argv[1:]))"
TINY = [
    "--policy.image-size", "32", "--policy.vision-channels", "8", "8", "--policy.keypoints", "4",
    "--policy.text-embed-dim", "8", "--policy.text-dim", "16", "--policy.head-hidden", "32",
    "--policy.vision-dim", "16", "--batch-size", "8", "--threads", "1", "--warmup-steps", "2",
    "--val-every", "0", "--log-every", "1",
]  # fmt: skip
SIZE = ["--size", "32", "--no-progress"]
RECORD_EPISODES, RESUME_EPISODES, DAGGER_EPISODES = 48, 32, 8
STEPS, SAVE_EVERY = 24, 4
COMMANDS = ("record", "record --resume", "dagger", "train", "train --resume")


# ------------------------------------------------------------------------------------------- processes


class Runner:
    """Start `simplevla ARGV` in a child (forked, or a fresh interpreter with --spawn) in its own process
    group; wait for it or SIGKILL it; tell whether anything of its group outlived it."""

    def __init__(self, spawn: bool, logs: Path) -> None:
        self.spawn, self.logs, self.n = spawn, logs, 0
        logs.mkdir(parents=True, exist_ok=True)
        if not spawn:
            import torch

            import simplevla.cli  # noqa: F401  (imported once, before forking)

            torch.set_num_threads(1)

    def start(self, argv: list[str]) -> tuple[int, Path]:
        self.n += 1
        log = self.logs / f"{self.n:04d}.log"
        if self.spawn:
            with open(log, "wb") as f:
                f.write((" ".join(argv) + "\n").encode())
                proc = subprocess.Popen(
                    [sys.executable, "-c", CLI, *argv], stdout=f, stderr=f, start_new_session=True
                )
            self._popen = getattr(self, "_popen", {})
            self._popen[proc.pid] = proc
            return proc.pid, log
        pid = os.fork()
        if pid == 0:  # the child: run the CLI, never return into the harness
            rc = 1
            try:
                os.setpgid(0, 0)
                fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                os.write(fd, (" ".join(argv) + "\n").encode())
                os.dup2(fd, 1)
                os.dup2(fd, 2)
                sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115  (pytest replaced them)
                sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
                from simplevla.cli import main

                rc = main(argv)
            except SystemExit as e:
                rc = e.code if isinstance(e.code, int) else 1
            except BaseException:  # noqa: BLE001
                traceback.print_exc()
            finally:
                with contextlib.suppress(Exception):
                    sys.stdout.flush()
                    sys.stderr.flush()
                os._exit(rc)
        with contextlib.suppress(OSError):
            os.setpgid(pid, pid)
        return pid, log

    def wait(self, pid: int, timeout: float = 600) -> int:
        if self.spawn:
            return self._popen.pop(pid).wait(timeout)
        deadline = time.time() + timeout
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status)
            if time.time() > deadline:
                self.kill(pid)
                raise TimeoutError(f"pid {pid} ran past {timeout} s")
            time.sleep(0.01)

    def running(self, pid: int) -> bool:
        if self.spawn:
            return self._popen[pid].poll() is None
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            self._status = getattr(self, "_status", {})
            self._status[pid] = os.waitstatus_to_exitcode(status)
            return False
        return True

    def kill(self, pid: int) -> bool:
        """SIGKILL the child (not its group: its workers must die by themselves). True if it was running."""
        was = self.running(pid)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        if self.spawn:
            self._popen.pop(pid).wait()
        elif was:
            os.waitpid(pid, 0)
        return was

    @staticmethod
    def orphans(pgid: int, grace: float = 5.0) -> bool:
        """True when some process of the group is still alive `grace` s after its leader died (then killed)."""
        deadline = time.time() + grace
        while time.time() < deadline:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return False
            time.sleep(0.05)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        return True

    def run(self, argv: list[str]) -> tuple[int, float, str]:
        """Run to completion: (exit code, wall seconds, its output)."""
        t0 = time.perf_counter()
        pid, log = self.start(argv)
        rc = self.wait(pid)
        self.orphans(pid, grace=2.0)
        return rc, time.perf_counter() - t0, log.read_text(errors="replace")


# ---------------------------------------------------------------------------------------------- checks


def visible_files(root: Path) -> dict[str, str]:
    """sha256 of every file a reader would see under root (no path part hidden); symlinks by target."""
    out = {}
    if not root.exists():
        return out
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames + [d for d in os.listdir(dirpath) if Path(dirpath, d).is_symlink()]):
            if name.startswith("."):
                continue
            p = Path(dirpath) / name
            rel = p.relative_to(root).as_posix()
            if p.is_symlink():
                out[rel] = "-> " + os.readlink(p)
            elif p.is_file():
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def content_hash(files: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()[:16]


def dataset_state(root: Path) -> tuple[str, str | None]:
    """("absent", None), ("ok", content hash) after loading every frame, or ("corrupt", why)."""
    from simplevla.data import load_dataset

    if not root.exists():
        return "absent", None
    try:
        ds = load_dataset(root)
        for i in range(len(ds)):
            ds[i]
    except Exception as e:  # noqa: BLE001  (anything at all is a corrupt dataset here)
        return "corrupt", f"{type(e).__name__}: {e}"
    return "ok", content_hash(visible_files(root))


def hidden_leftovers(parent: Path) -> list[str]:
    """Hidden temporaries (not lock files, not the dataset's own .cache) anywhere under parent."""
    out = []
    for dirpath, dirnames, filenames in os.walk(parent):
        for name in dirnames + filenames:
            if name.startswith(".") and not name.endswith(".lock") and name != ".cache":
                out.append(str(Path(dirpath, name).relative_to(parent)))
        dirnames[:] = [d for d in dirnames if d != ".cache"]
    return sorted(out)


def checkpoint_dirs(run: Path) -> list[Path]:
    root = run / "checkpoints"
    return [d for d in root.iterdir() if d.name.isdigit()] if root.is_dir() else []


def weights(ckpt: Path) -> dict:
    from simplevla.models.checkpoint import read_tensors

    return read_tensors(ckpt / "model.safetensors")


def same_weights(a: dict, b: dict) -> bool:
    import torch

    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def run_state(run: Path, ref: Path) -> list[str]:
    """Problems of a (possibly killed) run dir: checkpoints that do not load or differ from the reference."""
    from simplevla import load_policy
    from simplevla.training.checkpointing import latest_checkpoint

    problems = []
    root = run / "checkpoints"
    if not root.exists():
        return problems
    for d in sorted(p for p in root.iterdir() if not p.name.startswith(".") and p.name != "last"):
        try:
            load_policy(d)
            if not same_weights(weights(d), weights(ref / "checkpoints" / d.name)):
                problems.append(f"{d.name}: weights differ from the uninterrupted run")
            if not (d / "training_state" / "state.json").is_file():
                problems.append(f"{d.name}: no training_state/state.json")
        except Exception as e:  # noqa: BLE001
            problems.append(f"{d.name}: {type(e).__name__}: {e}")
    last = root / "last"
    if last.is_symlink() and not (last / "config.json").is_file():
        problems.append(f"last -> {os.readlink(last)} is not a complete checkpoint")
    with contextlib.suppress(Exception):
        latest_checkpoint(run)
    return problems


# --------------------------------------------------------------------------------------------- harness


class Harness:
    def __init__(self, work: Path, runner: Runner, rng: random.Random) -> None:
        self.work, self.r, self.rng = work, runner, rng
        self.base, self.policy = work / "ref" / "base", work / "ref" / "policy"
        self.ref: dict[str, dict] = {}

    def argv(self, command: str, target: Path) -> list[str]:
        if command == "record":
            return [
                "record",
                "--out",
                str(target),
                "--episodes",
                str(RECORD_EPISODES),
                "--workers",
                "2",
                *SIZE,
            ]
        if command == "record --resume":
            return ["record", "--out", str(target), "--episodes", str(RESUME_EPISODES), "--workers", "2",
                    "--resume", *SIZE]  # fmt: skip
        if command == "dagger":
            return ["dagger", "--dataset", str(target), "--policy", str(self.policy),
                    "--episodes", str(DAGGER_EPISODES), "--workers", "2", "--envs", "4"]  # fmt: skip
        resume = ["--resume"] if command == "train --resume" else []
        return ["train", "--dataset", str(self.base), "--out", str(target), "--steps", str(STEPS),
                "--save-every", str(SAVE_EVERY), *TINY, *resume]  # fmt: skip

    def _ok(self, argv: list[str]) -> float:
        rc, wall, out = self.r.run(argv)
        if rc != 0:
            raise RuntimeError(f"reference run failed ({rc}): {' '.join(argv)}\n{out[-3000:]}")
        return wall

    def prepare(self) -> None:
        """The base dataset, a tiny policy for dagger, and one uninterrupted run of every command."""
        ref = self.work / "ref"
        self._ok(["record", "--out", str(self.base), "--episodes", "12", "--workers", "1", *SIZE])
        self._ok(
            [
                "train",
                "--dataset",
                str(self.base),
                "--out",
                str(self.policy),
                "--steps",
                "4",
                "--save-every",
                "4",
                *TINY,
            ]
        )  # fmt: skip  (also builds the base dataset's training cache)
        for command in COMMANDS:
            target = ref / command.replace(" --", "_")
            self.fresh_target(command, target)
            wall = self._ok(self.argv(command, target))
            kind = "run" if command.startswith("train") else "dataset"
            self.ref[command] = {"target": target, "wall": wall, "kind": kind}
            if kind == "dataset":
                state, h = dataset_state(target)
                assert state == "ok", h
                self.ref[command].update(hash=h, files=set(visible_files(target)))
            else:
                self.ref[command]["files"] = set(visible_files(target)) - {"train_log.csv", "loss.png"}
        self.base_hash = dataset_state(self.base)[1]

    def fresh_target(self, command: str, target: Path) -> None:
        """The state a trial starts from: nothing, a copy of the base dataset, or a half-trained run."""
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        if command in ("record --resume", "dagger"):
            shutil.copytree(self.base, target, ignore=shutil.ignore_patterns(".*"))
        elif command == "train --resume":
            full = self.ref["train"]["target"] if "train" in self.ref else None
            if full is None:
                raise RuntimeError("the train reference must run before train --resume")
            shutil.copytree(full, target, symlinks=True)
            half = STEPS // 2 // SAVE_EVERY * SAVE_EVERY
            for d in (target / "checkpoints").iterdir():
                if d.name.isdigit() and int(d.name) > half:
                    shutil.rmtree(d)
            (target / "checkpoints" / "last").unlink()
            (target / "checkpoints" / "last").symlink_to(f"{half:06d}")

    def trial(self, command: str, i: int) -> dict:
        ref = self.ref[command]
        target = self.work / "trials" / f"{command.replace(' --', '_')}-{i:03d}" / "target"
        delay, attempts = self.rng.uniform(0, ref["wall"]), 0
        while True:  # a run that ended before its kill is redone with a shorter delay (at most 4 tries)
            attempts += 1
            self.fresh_target(command, target)
            before = dataset_state(target) if ref["kind"] == "dataset" else None
            n_ckpts = len(checkpoint_dirs(target))
            pid, log = self.r.start(self.argv(command, target))
            time.sleep(delay)
            midwrite = bool(hidden_leftovers(target.parent)) or len(checkpoint_dirs(target)) > n_ckpts
            killed = self.r.kill(pid)
            if killed or attempts == 4:
                break
            self.r.orphans(pid)
            delay = self.rng.uniform(0, delay)
        res = {
            "command": command,
            "trial": i,
            "attempts": attempts,
            "delay_s": round(delay, 3),
            "killed": killed,
            "midwrite": midwrite,
        }
        res["orphans"] = self.r.orphans(pid)
        problems: list[str] = []
        stray = sorted(set(visible_files(target)) - ref["files"] - {"train_log.csv", "loss.png"})
        stray += sorted(p.name for p in target.parent.iterdir() if not p.name.startswith(".") and p != target)
        if ref["kind"] == "dataset":
            state, h = dataset_state(target)
            allowed = {before[1], ref["hash"]}
            if (
                state == "corrupt"
                or (state == "ok" and h not in allowed)
                or (state == "absent" and before[0] != "absent")
            ):
                problems.append(f"after the kill: {state} {h}")
        else:
            problems += run_state(target, ref["target"])
        # finish the job: rerun (train: --resume) and compare with the reference
        argv = self.argv(command, target)
        if ref["kind"] == "dataset":
            done = dataset_state(target)[1] == ref["hash"]
            if not done:
                rc, _, out = self.r.run(argv)
                if rc != 0:
                    problems.append(f"rerun failed ({rc}): {out[-500:]}")
            identical = dataset_state(target)[1] == ref["hash"]
        else:
            if "--resume" not in argv:
                argv = [*argv, "--resume"]
            rc, _, out = self.r.run(argv)
            if rc != 0:
                problems.append(f"resume failed ({rc}): {out[-500:]}")
            final = target / "checkpoints" / f"{STEPS:06d}"
            identical = final.is_dir() and same_weights(
                weights(final), weights(ref["target"] / "checkpoints" / final.name)
            )
            problems += run_state(target, ref["target"])
        res.update(
            problems=problems, stray=stray, identical=identical, leftovers=hidden_leftovers(target.parent),
            log=str(log),
        )  # fmt: skip
        return res


# ------------------------------------------------------------------------------------------- disk full


@contextlib.contextmanager
def tmpfs(path: Path, kib: int):
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={kib}k", "tmpfs", str(path)], check=True,
                   capture_output=True)  # fmt: skip
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False, capture_output=True)


def disk_full(h: Harness) -> list[dict]:
    """Fill a small tmpfs during record, record --resume, cache build and checkpoint save."""
    rows = []
    root = h.work / "full"
    try:
        with tmpfs(root / "probe", 64):
            pass
    except (subprocess.CalledProcessError, FileNotFoundError) as e:
        return [{"case": "all", "skipped": f"cannot mount a tmpfs ({e}); run as root"}]

    def case(name: str, kib: int, setup, argv_of, check) -> None:
        with tmpfs(root / name, kib) as mnt:
            target = setup(mnt)
            before = dataset_state(target) if target and target.name == "ds" else None
            rc, _, out = h.r.run(argv_of(mnt))
            last = out.strip().splitlines()[-1] if out.strip() else ""
            row = {
                "case": name, "tmpfs_kib": kib, "rc": rc,
                "clean_error": rc == 2 and last.startswith("error: ") and "Traceback" not in out,
                "message": last[:300],
            }  # fmt: skip
            row.update(check(mnt, before))
            row["leftovers"] = hidden_leftovers(mnt)
            rows.append(row)

    def no_dataset(mnt, before):
        return {"intact": not (mnt / "ds").exists()}

    def same_dataset(mnt, before):
        return {"intact": dataset_state(mnt / "ds") == before}

    case(
        "record",
        1024,
        lambda m: m / "ds",
        lambda m: ["record", "--out", str(m / "ds"), "--episodes", "400", "--workers", "2", *SIZE],
        no_dataset,
    )

    def copy_base(m):
        shutil.copytree(h.base, m / "ds", ignore=shutil.ignore_patterns(".*"))
        return m / "ds"

    case(
        "record --resume",
        1024,
        copy_base,
        lambda m: [
            "record",
            "--out",
            str(m / "ds"),
            "--episodes",
            "400",
            "--workers",
            "2",
            "--resume",
            *SIZE,
        ],
        same_dataset,
    )
    case(
        "cache build",
        1024,
        lambda m: None,
        lambda m: [
            "train",
            "--dataset",
            str(h.base),
            "--cache-dir",
            str(m / "cache"),
            "--out",
            str(root / "cache-run"),
            "--steps",
            "2",
            *TINY,
        ],  # fmt: skip
        lambda m, b: {"intact": not any((m / "cache").rglob("*.npy")) if (m / "cache").exists() else True},
    )
    ckpt_kib = sum(p.stat().st_size for p in (h.ref["train"]["target"] / "checkpoints" / f"{SAVE_EVERY:06d}").rglob("*")
                   if p.is_file()) // 1024  # fmt: skip

    def checkpoints_ok(mnt, before):
        problems = run_state(mnt / "run", h.ref["train"]["target"])
        n = len([d for d in (mnt / "run" / "checkpoints").iterdir() if d.name.isdigit()])
        # finish on a disk with room: copy the run out and resume it
        moved = root / "ckpt-resumed"
        shutil.rmtree(moved, ignore_errors=True)
        shutil.copytree(mnt / "run", moved, symlinks=True)
        rc, _, out = h.r.run(h.argv("train", moved) + ["--resume"])
        final = moved / "checkpoints" / f"{STEPS:06d}"
        ident = rc == 0 and same_weights(
            weights(final), weights(h.ref["train"]["target"] / "checkpoints" / final.name)
        )
        return {
            "intact": not problems,
            "checkpoints_kept": n,
            "problems": problems,
            "resumed_identical": ident,
        }

    case(
        "checkpoint save",
        int(ckpt_kib * 2.6) + 64,
        lambda m: None,
        lambda m: h.argv("train", m / "run"),
        checkpoints_ok,
    )
    return rows


# ------------------------------------------------------------------------------------------------ main


def summarize(results: list[dict]) -> list[dict]:
    rows = []
    for command in COMMANDS:
        rs = [r for r in results if r["command"] == command]
        rows.append(
            {
                "command": command,
                "trials": len(rs),
                "kills": sum(r["killed"] for r in rs),
                "mid-write": sum(r["midwrite"] and r["killed"] for r in rs),
                "lost/corrupt": sum(bool(r["problems"]) for r in rs),
                "stray": sum(bool(r["stray"]) for r in rs),
                "orphans": sum(r["orphans"] for r in rs),
                "bit-identical": sum(r["identical"] for r in rs),
                "leftovers": sum(bool(r["leftovers"]) for r in rs),
            }
        )
    return rows


def table(rows: list[dict]) -> str:
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(r[k]) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


def run(trials: int = 20, seed: int = 0, work: Path | None = None, spawn: bool = False,
        commands: tuple[str, ...] = COMMANDS, full_disk: bool = True) -> dict:  # fmt: skip
    """Run the whole suite; returns {"summary", "disk_full", "trials", "wall_s", ...}."""
    t0 = time.perf_counter()
    own = work is None
    work = Path(tempfile.mkdtemp(prefix="simplevla-faults-")) if own else Path(work)
    work.mkdir(parents=True, exist_ok=True)
    try:
        h = Harness(work, Runner(spawn, work / "logs"), random.Random(seed))
        h.prepare()
        results = []
        for command in commands:
            for i in range(trials):
                results.append(h.trial(command, i))
        disk = disk_full(h) if full_disk else []
        summary = [r for r in summarize(results) if r["command"] in commands]
        return {
            "summary": summary,
            "disk_full": disk,
            "reference_wall_s": {c: round(h.ref[c]["wall"], 2) for c in COMMANDS},
            "trials": results,
            "failures": [
                r for r in results if r["problems"] or r["stray"] or r["orphans"] or not r["identical"]
            ],
            "mode": "spawn" if spawn else "fork",
            "wall_s": round(time.perf_counter() - t0, 1),
        }
    finally:
        if own:
            shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=20, help="kills per command")
    ap.add_argument("--seed", type=int, default=0, help="seeds the kill moments")
    ap.add_argument(
        "--work", type=Path, default=None, help="keep the runs here (default: a temp dir, removed)"
    )
    ap.add_argument("--spawn", action="store_true", help="a fresh interpreter per run instead of a fork")
    ap.add_argument("--commands", nargs="+", default=list(COMMANDS), choices=COMMANDS)
    ap.add_argument("--no-disk-full", action="store_true")
    ap.add_argument("--json", type=Path, default=None, help="write every trial's result here")
    args = ap.parse_args()
    out = run(args.trials, args.seed, args.work, args.spawn, tuple(args.commands), not args.no_disk_full)
    print(table(out["summary"]))
    if out["disk_full"]:
        print()
        keys = ("case", "tmpfs_kib", "rc", "clean_error", "intact", "leftovers")
        print(table([{k: (len(r[k]) if k == "leftovers" else r.get(k, "-")) for k in keys} if "skipped" not in r else
                     {k: r.get(k, r["skipped"] if k == "rc" else "-") for k in keys} for r in out["disk_full"]]))  # fmt: skip
        for r in out["disk_full"]:
            print(f"  {r['case']}: {r.get('message', r.get('skipped'))}"
                  + (f" (checkpoints kept {r['checkpoints_kept']}, resumed bit-identical {r['resumed_identical']})"
                     if "checkpoints_kept" in r else ""))  # fmt: skip
    print(f"\n{out['mode']} mode, reference runs {out['reference_wall_s']} s; wall {out['wall_s']} s")
    for f in out["failures"]:
        print("FAILURE", json.dumps({k: f[k] for k in ("command", "trial", "delay_s", "problems", "stray", "orphans", "identical", "log")}))  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, default=str))
    bad = out["failures"] or any(
        not r.get("clean_error", True) or not r.get("intact", True) for r in out["disk_full"]
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
