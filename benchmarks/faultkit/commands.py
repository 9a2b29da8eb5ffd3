"""The commands under test, on tiny settings, and `argv_for`: the one place a `simplevla` argv is built."""

from __future__ import annotations

from pathlib import Path

COMMANDS = ("record", "record --resume", "dagger", "train", "train --resume")
RECORD_EPISODES, RESUME_EPISODES, DAGGER_EPISODES = 48, 32, 8
EPISODES = {"record": RECORD_EPISODES, "record --resume": RESUME_EPISODES, "dagger": DAGGER_EPISODES}
STEPS, SAVE_EVERY = 24, 4
SIZE = ["--size", "32", "--no-progress"]
TINY = (
    "--policy.image-size 32 --policy.vision-channels 8 8 --policy.keypoints 4 --policy.text-embed-dim 8"
    " --policy.text-dim 16 --policy.head-hidden 32 --policy.vision-dim 16 --batch-size 8 --threads 1"
    " --warmup-steps 2 --val-every 0 --log-every 1"
).split()


def slug(command: str) -> str:
    """A directory name for the command: "record --resume" -> "record_resume"."""
    return command.replace(" --", "_")


def argv_for(
    command: str,
    target: Path,
    *,
    base: Path | None = None,
    policy: Path | None = None,
    episodes: int | None = None,
    workers: int = 2,
    steps: int = STEPS,
    save_every: int | None = SAVE_EVERY,
    cache_dir: Path | None = None,
) -> list[str]:
    """The `simplevla` argv (without the program name) that runs `command` on `target`.

    `command` is one of COMMANDS. record writes the dataset `target` (`episodes` defaults to the command's
    size above); dagger adds episodes to the dataset `target` with the policy `policy`; train trains on the
    dataset `base` into the run directory `target` (`save_every=None` leaves the flag out, `cache_dir` puts
    the training cache elsewhere). The reference and full-disk runs change the sizes through the keywords.
    """
    if command not in COMMANDS:
        raise ValueError(f"unknown command {command!r}; one of {COMMANDS}")
    name, _, flag = command.partition(" ")
    resume = [flag] if flag else []
    if name == "train":
        cache = ["--cache-dir", str(cache_dir)] if cache_dir is not None else []
        save = ["--save-every", str(save_every)] if save_every is not None else []
        out = ["--out", str(target), "--steps", str(steps), *save]
        return ["train", "--dataset", str(base), *cache, *out, *TINY, *resume]
    n = EPISODES[command] if episodes is None else episodes
    count = ["--episodes", str(n), "--workers", str(workers)]
    if name == "dagger":
        return ["dagger", "--dataset", str(target), "--policy", str(policy), *count, "--envs", "4"]
    return ["record", "--out", str(target), *count, *resume, *SIZE]
