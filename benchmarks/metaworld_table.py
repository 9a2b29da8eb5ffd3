"""The MT50 tables of benchmarks/metaworld.md from a `benchmarks/metaworld_mt50.sh` run directory, as Markdown.

.venv/bin/python benchmarks/metaworld_table.py runs/mt50

Per difficulty group: the mean of its tasks' success rates (the figure papers report) and, in brackets, the
95% Wilson interval of its pooled episodes; the overall average is the mean of the four groups (LeRobot's,
as in the SmolVLA paper), beside the mean over the 50 tasks. Then success per task, and the stage times.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from simplevla.envs.metaworld.tasks import DIFFICULTY, MT50
from simplevla.eval.metrics import wilson_interval

GROUPS = ("easy", "medium", "hard", "very_hard")


def load(run: Path) -> dict[str, dict]:
    """Column name -> eval_info for every evaluation under `run`, train wording first."""
    out = {}
    for path in sorted(run.glob("seed*.eval/eval_info.json")):
        out[f"{path.parent.name.removesuffix('.eval')}, train wording"] = json.loads(path.read_text())
    for path in sorted(run.glob("seed*.eval_heldout/eval_info.json")):
        out[f"{path.parent.name.removesuffix('.eval_heldout')}, held-out paraphrases"] = json.loads(
            path.read_text()
        )
    return out


def group_cell(info: dict, group: str) -> str:
    sub = info.get("per_subset", {}).get(group)
    if sub is None:
        return "–"
    lo, hi = wilson_interval(sub["n_success"], sub["n_episodes"])
    return f"{sub['mean_of_groups']:.1f} [{lo:.0f}–{hi:.0f}]"


def main() -> None:
    run = Path(sys.argv[1] if len(sys.argv) > 1 else "runs/mt50")
    evals = load(run)
    if not evals:
        sys.exit(f"{run}: no seed*.eval/eval_info.json; run benchmarks/metaworld_mt50.sh first")
    print("| policy | Easy | Medium | Hard | Very Hard | **average** (of groups) | mean of 50 tasks |")
    print("|---|---|---|---|---|---|---|")
    for name, info in evals.items():
        cells = [group_cell(info, g) for g in GROUPS]
        overall = info["overall"]
        print(
            f"| simplevla `default`, {name} | {' | '.join(cells)} | **{overall['mean_of_subsets']:.1f}** | "
            f"{overall['pc_success']:.1f} |"
        )
    print()
    names = list(evals)
    print("| task | group | " + " | ".join(names) + " |")
    print("|---|---|" + "---|" * len(names))
    group_of = {t: g for g, ts in DIFFICULTY.items() for t in ts}
    for task in MT50:
        cells = []
        for name in names:
            g = evals[name]["per_group"].get(task)
            cells.append(f"{g['n_success']}/{g['n_episodes']}" if g else "–")
        print(f"| {task} | {group_of[task]} | " + " | ".join(cells) + " |")
    times = run / "times.txt"
    if times.is_file():
        print("\n| stage | wall time |\n|---|---|")
        for line in times.read_text().splitlines():
            stage, seconds, _ = line.split()
            print(f"| {stage} | {int(seconds[:-1]) / 60:.1f} min |")


if __name__ == "__main__":
    main()
