"""`simplevla eval` (closed-loop success on a split of a suite, or on your own instruction file) and
`simplevla try` (one episode on your own instruction, with a captioned video)."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Literal

import gymnasium as gym
import torch

from simplevla.envs import ENV_ID, EVAL_SEED_START, SEEDS_PER_GROUP, SUITES
from simplevla.envs.common import goal_marker_problem
from simplevla.envs.tabletop.tasks import FAMILIES
from simplevla.errors import SimplevlaError
from simplevla.eval.closed_loop import evaluate
from simplevla.eval.freetext import check_line, evaluate_instructions, read_instruction_file
from simplevla.eval.rollout import check_compatible, run_episode
from simplevla.export import OnnxPolicy, export_onnx
from simplevla.media import write_rollout_video
from simplevla.models import load_policy


@dataclasses.dataclass
class EvalCommand:
    """Evaluate a checkpoint closed-loop on Tabletop or Meta-World; writes eval_info.json, videos and a bar
    chart."""

    policy: str
    """A checkpoint directory (RUN/checkpoints/<step>), or a run directory (its last checkpoint)."""
    env: Literal["tabletop", "metaworld"] = "tabletop"
    """tabletop, or metaworld (success per Meta-World task; needs the `metaworld` extra)."""
    families: tuple[str, ...] = FAMILIES
    """tabletop: the families to evaluate."""
    tasks: tuple[str, ...] | None = None
    """metaworld: the tasks to evaluate, or sets of them: mt10 (the default), mt50, easy, medium, hard,
    very_hard (LeRobot's difficulty groups)."""
    episodes: int = 50
    """Episodes per family (tabletop) or per task (metaworld)."""
    split: Literal["train", "heldout"] = "train"
    """Which instruction wording to evaluate on."""
    envs: int = 16
    """Environments stepped together; the policy runs once per step on all of them."""
    videos: int = 1
    """Rollout videos to write per family (the first ones)."""
    out: str | None = None
    """Output directory; default outputs/eval/<time>_<split>."""
    seed: int = EVAL_SEED_START
    """First evaluation seed. Recording uses seeds below EVAL_SEED_START, so the two never overlap."""
    size: int | None = None
    """Image side; default: what the checkpoint was trained on."""
    max_steps: int | None = None
    """Episode step limit; default: each family's (or task's) own limit."""
    instruction_file: str | None = None
    """Your own wording instead of a split: one 'family<TAB>seed<TAB>instruction' (or JSON) per line."""
    vector: Literal["sync", "async"] = "sync"
    """async: each of the --envs environments steps in its own worker process (gymnasium's AsyncVectorEnv);
    it pays off when an env step costs more than the inter-process round trip (docs/scaling.md)."""
    goal_marker: float = 1.0
    """metaworld: the goal marker's rendered size, times Meta-World's (as the policy was trained on)."""
    workers: int = 1
    """Processes that evaluate groups side by side (a family or task each at a time), each with its own copy
    of the policy on one torch thread; 2 on a 2-core machine halves a Meta-World evaluation."""
    backend: Literal["torch", "onnx"] = "torch"
    """onnx: export the policy's network to OUT/policy.onnx and run it in onnxruntime (the `onnx` extra)."""
    json: bool = False

    def __post_init__(self) -> None:
        suite = SUITES[self.env]
        if self.instruction_file is not None and not suite.tabletop_extras:
            raise SimplevlaError(
                f"--instruction-file runs Tabletop scenes; leave it out with --env {self.env}"
            )
        if self.tasks is not None and suite.select != "tasks":
            raise SimplevlaError(f"--tasks selects Meta-World tasks; with --env {self.env} use --families")
        self._groups()
        problem = goal_marker_problem(self.goal_marker)
        if problem:
            raise SimplevlaError(f"eval: --goal-marker {problem}")
        if not 1 <= self.episodes <= SEEDS_PER_GROUP:
            raise SimplevlaError(f"--episodes must be in [1, {SEEDS_PER_GROUP}], got {self.episodes}")
        if self.envs < 1 or self.videos < 0 or self.workers < 1:
            raise SimplevlaError("--envs and --workers must be ≥ 1 and --videos ≥ 0")
        if self.seed < EVAL_SEED_START:
            raise SimplevlaError(
                f"--seed {self.seed} is below EVAL_SEED_START={EVAL_SEED_START}: evaluation seeds would overlap "
                "the recording seeds; use a seed ≥ EVAL_SEED_START"
            )

    def run(self) -> dict:
        if self.instruction_file is not None:
            return self._run_instruction_file()
        out = self.out or f"outputs/eval/{time.strftime('%Y%m%d-%H%M%S')}_{self.split}"
        policy = self._load(out)
        info = evaluate(
            policy,
            out,
            self._groups(),
            self.episodes,
            self.split,
            self.envs,
            self.videos,
            self.seed,
            self.size,
            max_steps=self.max_steps,
            env=self.env,
            vector=self.vector,
            workers=self.workers,
            env_options=self._env_options(),
        )
        result = {"out": str(out), "env": self.env, "split": self.split, **self._success(info)}
        for name, sub in info.get("per_subset", {}).items():
            result[f"pc_success.{name}"] = round(sub["mean_of_groups"], 2)
        if "mean_of_subsets" in info["overall"]:
            result["pc_success.mean_of_subsets"] = round(info["overall"]["mean_of_subsets"], 2)
        result["eval_s"] = info["overall"]["eval_s"]
        return result

    def _env_options(self) -> dict:
        """Constructor keywords only one suite takes: Meta-World's goal_marker."""
        if self.env == "metaworld":
            return {"goal_marker": self.goal_marker}
        if self.goal_marker != 1.0:
            raise SimplevlaError(f"--goal-marker is Meta-World's; leave it out with --env {self.env}")
        return {}

    def _groups(self) -> tuple[str, ...]:
        """The selected groups of the suite: --families (Tabletop) or --tasks (Meta-World; default all)."""
        try:
            return SUITES[self.env].check(getattr(self, SUITES[self.env].select))
        except ValueError as e:
            raise SimplevlaError(f"--{e}") from None

    def _load(self, out: str | Path):
        """The checkpoint's policy; with `--backend onnx`, its network exported to OUT/policy.onnx and run
        in onnxruntime."""
        policy = load_policy(self.policy)
        if self.backend == "onnx":
            policy = OnnxPolicy(policy, export_onnx(policy, Path(out) / "policy.onnx"))
        return policy

    def _success(self, info: dict) -> dict:
        per_family = {f"pc_success.{f}": g["pc_success"] for f, g in info["per_group"].items()}
        return {"backend": self.backend, "pc_success": info["overall"]["pc_success"], **per_family}

    def _run_instruction_file(self) -> dict:
        rows = read_instruction_file(self.instruction_file)
        out = self.out or f"outputs/eval/{time.strftime('%Y%m%d-%H%M%S')}_instructions"
        info = evaluate_instructions(self._load(out), rows, out, videos=self.videos)
        result = {"out": str(out), "lines": len(rows), **self._success(info)}
        result.update({f"line{e['line']}": "ok" if e["success"] else "fail" for e in info["per_episode"]})
        return result


@dataclasses.dataclass
class TryCommand:
    """Run a policy once on your own instruction; writes a captioned video and prints the outcome."""

    policy: str
    """A checkpoint directory, or a run directory (its last checkpoint)."""
    instruction: str
    """What to ask for, e.g. "push the red circle to the left"; `simplevla env show` prints each scene's task."""
    seed: int = EVAL_SEED_START
    """The scene: the same seed and family show the same scene in `simplevla env show`."""
    family: str | None = None
    """Task family of the scene (default: any, drawn from the seed, as `env show` without --family)."""
    out: str = "try"
    """Output folder for the video."""
    json: bool = False

    def __post_init__(self) -> None:
        row = check_line("--instruction", self.family or FAMILIES[0], self.seed, self.instruction)
        self.instruction = row["instruction"]

    def run(self) -> dict:
        policy = load_policy(self.policy)
        families = FAMILIES if self.family is None else (self.family,)
        env = gym.make(ENV_ID, families=families, size=policy.config.image_size)
        check_compatible(policy, env)
        torch.manual_seed(self.seed)
        ep = run_episode(policy, env, self.seed, self.instruction)
        env.close()
        name = f"seed{self.seed}_{'ok' if ep['success'] else 'fail'}"
        video = write_rollout_video(ep.pop("frames"), self.instruction, ep["success"], Path(self.out) / name)
        spec = ep["task_spec"]
        return {
            "success": ep["success"],
            "steps": ep["steps"],
            "family": spec["family"],
            "task": ep["env_instruction"],
            "target": spec.get("target"),
            **({"understood": ep["understood"], "read_as": ep["reading"]} if "reading" in ep else {}),
            "video": str(video),
        }
