"""`simplevla quickstart`: the main job. Record expert demonstrations, train the `default` and the tutorial's
`simple` preset on them, evaluate both closed-loop on train-split and held-out instructions, and write
`report.md`. Every stage goes through the same code as its own CLI command.

Layout under OUT: data/ (the dataset), <preset>/checkpoints/..., <preset>/eval/<split>/eval_info.json,
report.md and quickstart.json (the stage timings and all results). Running it again on the same OUT reuses
the dataset and continues each training run from its newest checkpoint (a finished run is kept as it is).
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

from simplevla.atomic import atomic_write_json
from simplevla.collect.commands import RecordCommand
from simplevla.data import load_dataset
from simplevla.errors import SimplevlaError
from simplevla.eval.closed_loop import evaluate
from simplevla.eval.freetext import evaluate_instructions, read_instruction_file
from simplevla.eval.report import write_report
from simplevla.models import PolicyConfig, load_policy
from simplevla.train.config import TrainConfig
from simplevla.train.loop import train

# Sizes for the reference budget (17 minutes on a 2-core laptop-class CPU); other budgets scale them.
REFERENCE_BUDGET_MIN = 17.0
# Measured on this project's 2-core machine (`make demo`, 2026-11-30): recording ~367 episodes/s, `default`
# ~849 samples/s and `simple` ~633 samples/s at batch 64 (docs/results.md). 8k episodes are ~167k frames: against
# 16k, the same 7,000 steps scored as well or better on every split for two training seeds (train wording 96.8 /
# 90.4% against 96.4 / 86.8%, held out 72.8 / 80.0 against 72.0 / 75.6) and record in half the time.
# `default` trains 12,000 steps of batch 32 (384k samples, 2.3 epochs): on a 2-core CPU a step of 32 costs about
# half a step of 64, and against 7,000 x 64 on one host and data it trained in less time and scored higher on
# training wording for each of three seeds (docs/results.md, "Batch 32"). On a CPU with bf16 in hardware the
# convolutions run in bf16 (`--conv-bf16 auto`, 18-26% faster). `simple` learns nothing at any size we tried
# (0% at 300 steps, 2% at 5,000: docs/ladder.md), so it gets a short run and a short evaluation.
PLAN = {
    "episodes": 8000,
    "default_steps": 12000,
    "simple_steps": 150,
    "default_eval_episodes": 50,
    "simple_eval_episodes": 10,  # per family; `simple` scores ~0%, and its failed rollouts run to the step limit
}
BATCH = {"default": 32, "simple": 64}  # per preset; not scaled with the budget
# DART noise on the executed expert action (labels stay clean). 0.4 (closer to the policy's own action
# errors, see experiments/phase_errors.py) trained no better policy than 0.2 (docs/results.md).
RECORD_NOISE = 0.2
TINY = {
    "episodes": 24,
    "default_steps": 6,
    "simple_steps": 4,
    "default_eval_episodes": 2,
    "simple_eval_episodes": 2,
    "eval_max_steps": 8,
}


@dataclasses.dataclass
class QuickstartCommand:
    """Record → train `default` and `simple` → evaluate on train and held-out instructions → report.md."""

    out: Path = Path("runs/quickstart")
    budget_minutes: float = REFERENCE_BUDGET_MIN
    """Wall-time budget; data and training sizes scale with it (the reference plan fits 17 min on 2 cores)."""
    workers: int = 0
    """Recording processes (0: one per CPU core)."""
    eval_envs: int = 25
    """Environments stepped together during evaluation."""
    videos: int = 1
    """Rollout videos per family and split."""
    tiny: bool = False
    """Smoke-test sizes (seconds, not minutes): checks the pipeline, not the success rate."""
    own_wording: Path | None = Path("experiments/own_wording.tsv")
    """Everyday instructions in neither split (family, seed, instruction per line): `default` is also
    evaluated on them, as the report's "own wording" column. Skipped when the file is missing."""
    json: bool = False

    def __post_init__(self) -> None:
        if self.budget_minutes <= 0:
            raise SimplevlaError(f"--budget-minutes must be > 0, got {self.budget_minutes}")

    def plan(self) -> dict[str, int]:
        """Sizes for this run: the reference plan scaled by budget (at least a few of each)."""
        if self.tiny:
            return dict(TINY)
        k = self.budget_minutes / REFERENCE_BUDGET_MIN
        return {
            "episodes": max(50, int(PLAN["episodes"] * k)),
            "default_steps": max(50, int(PLAN["default_steps"] * k)),
            "simple_steps": max(20, int(PLAN["simple_steps"] * k)),
            **{
                key: PLAN[key] if k >= 0.5 else max(5, int(PLAN[key] * k * 2))
                for key in ("default_eval_episodes", "simple_eval_episodes")
            },
        }

    def run(self) -> dict:
        return run_quickstart(self)


def _stage(timings: dict[str, float], name: str, fn):
    t0 = time.perf_counter()
    print(f"== {name}", flush=True)
    result = fn()
    timings[name] = round(time.perf_counter() - t0, 1)
    print(f"== {name}: {timings[name]:.0f} s", flush=True)
    return result


def record_or_reuse(record: RecordCommand) -> dict:
    """Record the dataset, or reuse the one a previous quickstart left at the same place (validated)."""
    if not (record.out / "meta" / "info.json").exists():
        return record.run()
    info = load_dataset(record.out).meta.info
    print(f"reusing the dataset at {record.out} (delete it to record anew)", flush=True)
    return {
        "out": str(record.out),
        "reused": True,
        "total_episodes": info["total_episodes"],
        "total_frames": info["total_frames"],
    }


def record_command(data: Path, episodes: int, workers: int) -> RecordCommand:
    """The quickstart's recording: the rich training grammar (envs/tabletop/wording.py), many words per
    concept; evaluation keeps the core `train` wording and the `heldout` one, so their figures compare with
    every earlier run."""
    return RecordCommand(out=data, episodes=episodes, workers=workers, noise=RECORD_NOISE, split="train_rich")


def train_config(data: Path, run_dir: Path, steps: int, batch_size: int = 64) -> TrainConfig:
    """The quickstart's training run of `steps` steps of `batch_size` (one checkpoint at the end, four
    validations). It resumes: a re-run (or a run killed mid-training) continues from the newest checkpoint."""
    return TrainConfig(
        dataset=data,
        out=run_dir,
        steps=steps,
        batch_size=batch_size,
        save_every=steps,
        val_every=max(1, steps // 4),
        warmup_steps=min(100, steps // 10),
        log_every=max(1, min(20, steps // 10)),
        resume=True,
    )


def _eval_summary(info: dict) -> dict:
    """The parts of an eval_info dict that quickstart.json and the report keep."""
    keep = ("pc_success", "n_episodes", "ci95", "eval_s", "video_paths")
    summary = {"overall": {k: info["overall"][k] for k in keep}, "per_group": info["per_group"]}
    for key in ("per_part", "understanding"):
        if key in info:
            summary[key] = info[key]
    return summary


def run_quickstart(cfg: QuickstartCommand) -> dict:
    """Run every stage and write report.md; returns a summary (success per preset and split, timings)."""
    out = cfg.out
    plan = cfg.plan()
    workers = cfg.workers or os.cpu_count() or 1
    timings: dict[str, float] = {}
    t_start = time.perf_counter()
    data = out / "data"
    record = record_command(data, plan["episodes"], workers)
    results: dict = {"plan": plan, "record": _stage(timings, "record", lambda: record_or_reuse(record))}
    results["train"], results["eval"] = {}, {}
    for preset in ("default", "simple"):
        run_dir = out / preset
        tcfg = train_config(data, run_dir, plan[f"{preset}_steps"], BATCH[preset])
        results["train"][preset] = _stage(
            timings,
            f"train {preset}",
            lambda tcfg=tcfg, preset=preset: train(tcfg, PolicyConfig(preset=preset)),
        )
        policy = load_policy(run_dir)
        for split in ("train", "heldout"):
            info = _stage(
                timings,
                f"eval {preset} {split}",
                lambda split=split, policy=policy, run_dir=run_dir, preset=preset: evaluate(
                    policy,
                    run_dir / "eval" / split,
                    episodes=plan[f"{preset}_eval_episodes"],
                    split=split,
                    envs=cfg.eval_envs,
                    videos=cfg.videos,
                    max_steps=plan.get("eval_max_steps"),
                ),
            )
            results["eval"][f"{preset}/{split}"] = _eval_summary(info)
        own = cfg.own_wording
        if preset == "default" and own is not None and Path(own).is_file() and not cfg.tiny:
            rows = read_instruction_file(own)
            info = _stage(
                timings,
                "eval default own",
                lambda rows=rows, policy=policy, run_dir=run_dir: evaluate_instructions(
                    policy, rows, run_dir / "eval" / "own", videos=cfg.videos, envs=cfg.eval_envs
                ),
            )
            results["eval"]["default/own"] = _eval_summary(info)
    timings["total"] = round(time.perf_counter() - t_start, 1)
    results["timings_s"] = timings
    atomic_write_json(out / "quickstart.json", results)
    report = write_report(out, results)
    summary = {"report": str(report), "total_s": timings["total"]}
    for key, ev in results["eval"].items():
        summary[f"pc_success.{key}"] = round(ev["overall"]["pc_success"], 1)
    return summary
