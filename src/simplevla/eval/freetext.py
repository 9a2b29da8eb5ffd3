"""Free text: run a policy on wording you write yourself, judged by the task's own success test.

`simplevla eval --instruction-file FILE` reads one episode per line: a family, a seed and an instruction,
as tab-separated values or as JSON lines (`{"family": ..., "seed": ..., "instruction": ...}`). The env
samples that seed's scene and task for the family, exactly as `simplevla env show --family F --seed N`
shows it; the line's instruction replaces the env's own wording (`reset(options={"instruction": ...})`)
and the task's success test judges the episode. `simplevla try` runs one such episode and writes a
captioned video.
"""

from __future__ import annotations

import json
import os
import stat
import time
from collections.abc import Sequence
from pathlib import Path

import torch

from simplevla.atomic import atomic_write_json
from simplevla.envs.tabletop.tasks import FAMILIES
from simplevla.errors import SimplevlaError
from simplevla.eval.metrics import add_understanding, success_by_group
from simplevla.eval.rollout import check_compatible, make_vec, rollout_wave
from simplevla.media import plot_success_bars, write_rollout_video

MAX_INSTRUCTION_CHARS = 1000
MAX_FILE_BYTES = 16 * 1024 * 1024  # an instruction file is a few hundred lines; this is far past any real one


def check_line(source: str, family: object, seed: object, instruction: object) -> dict:
    """One instruction line as {"family", "seed", "instruction"} (whitespace collapsed); a SimplevlaError
    names `source` and what is wrong."""
    if family not in FAMILIES:
        raise SimplevlaError(f"{source}: family {family!r} is unknown; use one of {', '.join(FAMILIES)}")
    if isinstance(seed, bool) or (isinstance(seed, float) and not seed.is_integer()):
        raise SimplevlaError(f"{source}: seed {seed!r} is not an integer")
    try:
        seed = int(seed)
    except (TypeError, ValueError, OverflowError):  # OverflowError: a JSON seed of 1e999 reads as inf
        raise SimplevlaError(f"{source}: seed {seed!r} is not an integer") from None
    if seed < 0:
        raise SimplevlaError(f"{source}: seed {seed} is negative")
    return {"family": family, "seed": seed, "instruction": check_instruction(source, instruction)}


def check_instruction(source: str, instruction: object) -> str:
    """`instruction` with its whitespace collapsed; a SimplevlaError naming `source` when it is empty, longer
    than MAX_INSTRUCTION_CHARS, or holds control characters (more than one line)."""
    if not isinstance(instruction, str) or not instruction.strip():
        raise SimplevlaError(f"{source}: the instruction is empty")
    if len(instruction) > MAX_INSTRUCTION_CHARS or any(ord(c) < 32 and c != "\t" for c in instruction):
        raise SimplevlaError(
            f"{source}: the instruction must be one line of at most {MAX_INSTRUCTION_CHARS} characters "
            "without control characters"
        )
    return " ".join(instruction.split())


def _read_text(path: Path) -> str:
    """The UTF-8 text of `path`, a regular file of at most MAX_FILE_BYTES. Opened without blocking and
    checked before reading, so a FIFO or a device is refused instead of blocking for ever."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except (OSError, ValueError) as e:  # ValueError: a path with a NUL byte
        raise SimplevlaError(f"{path}: cannot read the instruction file ({e})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SimplevlaError(f"{path}: the instruction file is not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise SimplevlaError(
                f"{path}: the instruction file has {info.st_size} bytes; at most {MAX_FILE_BYTES} are read"
            )
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read(MAX_FILE_BYTES + 1).decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise SimplevlaError(f"{path}: cannot read the instruction file ({e})") from None
    finally:
        os.close(fd)


def read_instruction_file(path: str | Path) -> list[dict]:
    """Lines of `path` as [{"family", "seed", "instruction"}]; blank lines and `#` comments are skipped."""
    path = Path(path)
    text = _read_text(path)
    rows = []
    for n, line in enumerate(text.splitlines(), start=1):
        source = f"{path}:{n}"
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.lstrip().startswith("{"):
            try:
                d = json.loads(line)
            except (json.JSONDecodeError, RecursionError) as e:  # RecursionError: nested ~1,000 deep
                raise SimplevlaError(f"{source}: not a JSON object ({type(e).__name__}: {e})") from None
            if not isinstance(d, dict):
                raise SimplevlaError(f"{source}: not a JSON object (a {type(d).__name__})")
            missing = sorted({"family", "seed", "instruction"} - set(d))
            if missing:
                raise SimplevlaError(f"{source}: missing fields {missing}")
            rows.append(check_line(source, d["family"], d["seed"], d["instruction"]))
        else:
            parts = line.split("\t")
            if len(parts) != 3:
                raise SimplevlaError(
                    f"{source}: expected 3 tab-separated fields (family, seed, instruction), got {len(parts)}"
                )
            rows.append(check_line(source, *(p.strip() for p in parts)))
    if not rows:
        raise SimplevlaError(f"{path}: no instructions (one 'family<TAB>seed<TAB>instruction' per line)")
    return rows


def evaluate_instructions(
    policy: torch.nn.Module,
    rows: Sequence[dict],
    out: str | Path,
    videos: int = 0,
    device: str = "cpu",
    envs: int = 25,
) -> dict:
    """Run every line once (`envs` lines of a family stepped together); write eval_info.json (per line,
    per family, overall, and what the policy understood where it has a parse head) and the first `videos`
    lines' videos."""
    out, t0 = Path(out), time.perf_counter()
    by_line: dict[int, dict] = {}
    video_paths = []
    for family in dict.fromkeys(r["family"] for r in rows):
        lines = [i for i, r in enumerate(rows) if r["family"] == family]
        for start in range(0, len(lines), envs):
            wave = lines[start : start + envs]
            vec = make_vec(family, "train", policy.config.image_size, len(wave))
            check_compatible(policy, vec)
            torch.manual_seed(rows[wave[0]]["seed"])  # a sampling head draws the same noise on every rerun
            n_record = sum(i < videos for i in wave)  # lines ascend, so those with a video come first
            eps = rollout_wave(
                policy,
                vec,
                [rows[i]["seed"] for i in wave],
                n_record=n_record,
                device=device,
                instructions=[rows[i]["instruction"] for i in wave],
            )
            vec.close()
            for i, ep in zip(wave, eps, strict=True):
                frames = ep.pop("frames", None)
                if frames is not None:
                    name = f"line{i + 1:03d}_{family}_{'ok' if ep['success'] else 'fail'}"
                    path = write_rollout_video(
                        frames, ep["instruction"], ep["success"], out / "videos" / name
                    )
                    video_paths.append(str(path.relative_to(out)))
                by_line[i] = {"episode_ix": i, "line": i + 1, "family": family, **ep}
    per_episode = [by_line[i] for i in range(len(rows))]
    families = list(dict.fromkeys(r["family"] for r in rows))
    per_group, overall = success_by_group(per_episode, "family", families)
    overall.update(eval_s=time.perf_counter() - t0, video_paths=sorted(video_paths))
    info = {
        "split": "instruction_file",
        "per_episode": per_episode,
        "per_group": per_group,
        "overall": overall,
    }
    add_understanding(info, per_episode, "family")
    atomic_write_json(out / "eval_info.json", info)
    plot_success_bars(per_group, out / "success.png", title="success per family (instruction file)")
    return info
