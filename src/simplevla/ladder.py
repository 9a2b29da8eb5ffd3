"""The ladder: from the tutorial's `SimpleVLA` to the `default` policy, one change per rung, every rung trained
on one dataset with one budget and evaluated on the same seeds, so the differences are the changes'.

Rung k is the `simple` preset (the tutorial's model exactly) with the overrides of rungs 1..k; the last rung
is the `default` preset, field for field (`rung_config` checks it). The budget is the quickstart's for
`default`: its dataset, its steps and batch, its evaluation episodes. A rung with a `rung.json` is done and
is not trained again; a rung killed mid-training resumes from its checkpoint.

`experiments/ladder.py` is the command line; `simplevla basics ladder` prints the committed results.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from simplevla.atomic import atomic_write_bytes, atomic_write_json
from simplevla.bench.speed import train_speed
from simplevla.data import build_cache
from simplevla.eval.closed_loop import evaluate
from simplevla.eval.freetext import evaluate_instructions, read_instruction_file
from simplevla.models import PolicyConfig, load_policy
from simplevla.quickstart import PLAN, TINY, record_command, record_or_reuse, train_config
from simplevla.train.loop import train

# (name, what the rung adds, the PolicyConfig fields it sets); each rung keeps every earlier rung's fields.
RUNGS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "tutorial",
        "the tutorial's SimpleVLA as written: CNN, Embedding+LSTM, concatenation, tanh head, MSE",
        {},
    ),
    ("state", "+ the effector's position as an input", {"use_state": True}),
    (
        "keypoints",
        "+ the GroupNorm CNN ending in spatial-softmax keypoints",
        dict(
            vision="convnet",
            vision_channels=(32, 64, 64),
            keypoints=32,
            keypoint_offsets=True,
            vision_dim=256,
        ),
    ),
    ("film", "+ FiLM: the instruction modulates the CNN's feature maps", {"fusion": "film"}),
    (
        "chunks",
        "+ action chunks (8 predicted, 4 executed), the L1 loss, a 256-wide head",
        dict(head="chunk", chunk_size=8, n_action_steps=4, loss="l1", head_hidden=256),
    ),
    (
        "plan",
        "+ the plan input: read object and goal (aux.task_xy loss), hand them to the head",
        dict(aux_weight=1.0, plan_input=True),
    ),
    ("modes", "+ 4 alternative chunks, each with a score", {"action_modes": 4}),
    (
        "words",
        "+ words read through pretrained vectors (snapped to training words), word dropout, the parse head",
        dict(
            text="wordllama",
            text_snap=0.02,
            text_embed_dim=64,
            text_dim=128,
            word_dropout=0.1,
            parse_weight=1.0,
        ),
    ),
]
SIZES: dict[str, dict[str, int]] = {
    "full": {  # the quickstart's recording; its training budget as of the ladder's measurement (2026-12-07)
        "episodes": PLAN["episodes"],
        "steps": 5000,
        "eval_episodes": 50,
        "speed_steps": 30,
    },
    "quick": {"episodes": 2000, "steps": 600, "eval_episodes": 10, "speed_steps": 10},
    "tiny": {
        "episodes": TINY["episodes"],
        "steps": TINY["default_steps"],
        "eval_episodes": TINY["default_eval_episodes"],
        "eval_max_steps": TINY["eval_max_steps"],
        "speed_steps": 2,
    },
}
SPLITS = ("train", "heldout", "own")  # core training wording, held-out wording, everyday wording in neither
OWN_WORDING = Path("experiments/own_wording.tsv")
MEASURED = Path(__file__).with_name("ladder.json")  # the full-size ladder of docs/ladder.md, shipped


def rung_config(k: int) -> PolicyConfig:
    """Rung k's policy config: the `simple` preset with the fields of rungs 1..k."""
    fields: dict[str, Any] = {}
    for _, _, overrides in RUNGS[1 : k + 1]:
        fields.update(overrides)
    cfg = PolicyConfig(preset="simple", **fields)
    if k == len(RUNGS) - 1:
        top = {**cfg.to_dict(), "preset": "default"}
        if top != PolicyConfig(preset="default").to_dict():
            raise AssertionError("the ladder's last rung is no longer the `default` preset; update RUNGS")
    return cfg


def run_rung(k: int, out: Path, data: Path, size: dict[str, int], eval_envs: int = 25) -> dict:
    """Train and evaluate rung k under OUT/<k>_<name>/ (or read its rung.json when it is done)."""
    name, change, _ = RUNGS[k]
    run_dir = out / f"{k}_{name}"
    done = run_dir / "rung.json"
    if done.is_file():
        return json.loads(done.read_text())
    cfg = rung_config(k)
    print(f"== rung {k} ({name}): {change}\n{json.dumps(cfg.to_dict())}", flush=True)
    atomic_write_json(run_dir / "rung_config.json", {"rung": k, "name": name, "config": cfg.to_dict()})
    # fp32 convolutions, as when docs/ladder.md was measured (the quickstart now trains them in bf16 where it can)
    tcfg = dataclasses.replace(train_config(data, run_dir, size["steps"]), conv_bf16="off")
    trained = train(tcfg, cfg)
    policy = load_policy(run_dir)
    t0, success = time.perf_counter(), {}
    for split in ("train", "heldout"):
        info = evaluate(
            policy,
            run_dir / "eval" / split,
            episodes=size["eval_episodes"],
            split=split,
            envs=eval_envs,
            videos=1,
            max_steps=size.get("eval_max_steps"),
            progress=False,
        )
        success[split] = _success(info)
    if OWN_WORDING.is_file() and "eval_max_steps" not in size:
        rows = read_instruction_file(OWN_WORDING)
        info = evaluate_instructions(policy, rows, run_dir / "eval" / "own", envs=eval_envs)
        success["own"] = _success(info)
    result = {
        "rung": k,
        "name": name,
        "change": change,
        "config": policy.config.to_dict(),
        "params": trained["params"],
        "samples_per_s": trained["samples_per_s"],
        "val_loss": trained["val_loss"],
        "train_s": trained["wall_s"],
        "eval_s": round(time.perf_counter() - t0, 1),
        "success": success,
    }
    atomic_write_json(done, result)
    return result


def _success(info: dict) -> dict:
    overall = info["overall"]
    per_group = {g: round(s["pc_success"], 1) for g, s in info["per_group"].items()}
    return {
        "pc": round(overall["pc_success"], 1),
        "ci95": [round(x, 1) for x in overall["ci95"]],
        "per_group": per_group,
    }


def run_ladder(
    out: str | Path,
    size: str = "full",
    rungs: list[int] | None = None,
    data: str | Path | None = None,
    workers: int = 0,
    eval_envs: int = 25,
) -> dict:
    """Every selected rung on one dataset (recorded under OUT/data unless `data` names one); writes
    OUT/ladder.json, OUT/ladder.md, OUT/ladder.png and OUT/rollouts.png. Returns the ladder.json dict."""
    out, sizes, t0 = Path(out), SIZES[size], time.perf_counter()
    rungs = list(range(len(RUNGS))) if rungs is None else sorted(set(rungs))
    bad = [k for k in rungs if not 0 <= k < len(RUNGS)]
    if bad:
        raise ValueError(f"rungs {bad} do not exist; choose from 0..{len(RUNGS) - 1}")
    if data is None:
        data = out / "data"
        record_or_reuse(record_command(data, sizes["episodes"], workers or os.cpu_count() or 1))
    results = [run_rung(k, out, Path(data), sizes, eval_envs) for k in rungs]
    # The training runs' own samples/s include whatever else the machine did meanwhile; one short timing of
    # every rung's step, one after another in this process, compares the rungs on equal terms.
    cache = build_cache(Path(data))
    for r in results:
        r["step_samples_per_s"] = train_speed(
            rung_config(r["rung"]), cache, sizes["speed_steps"], 0.0, "cpu"
        )["samples_per_s"]
    ladder = {
        "size": size,
        "budget": sizes,
        "dataset": str(data),
        "date": time.strftime("%Y-%m-%d"),
        "rungs_s": round(sum(r["train_s"] + r["eval_s"] for r in results), 1),  # training and evaluation
        "this_call_s": round(time.perf_counter() - t0, 1),  # short when the rungs were done before
        "rungs": results,
    }
    atomic_write_json(out / "ladder.json", ladder)
    tables = [table(ladder), *(family_table(ladder, split) for split in ("train", "heldout"))]
    atomic_write_bytes(out / "ladder.md", ("\n\n".join(tables) + "\n").encode())
    plot_ladder(ladder, out / "ladder.png")
    plot_rollouts(out, results, out / "rollouts.png")
    return ladder


def _cell(s: dict | None) -> str:
    return "–" if s is None else f"{s['pc']:.1f} [{s['ci95'][0]:.0f}–{s['ci95'][1]:.0f}]"


def table(ladder: dict) -> str:
    """The ladder as a markdown table: one row per rung."""
    lines = [
        "| rung | change | params | step samples/s | val loss | train wording % | held-out % | own wording % | minutes |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in ladder["rungs"]:
        val = "–" if r["val_loss"] is None else f"{r['val_loss']:.3f}"
        sps = r.get("step_samples_per_s") or r["samples_per_s"]
        sps = "–" if sps is None else f"{sps:.0f}"
        cells = [_cell(r["success"].get(split)) for split in SPLITS]
        minutes = (r["train_s"] + r["eval_s"]) / 60
        lines.append(
            f"| {r['rung']} {r['name']} | {r['change']} | {r['params'] / 1e6:.2f}M | {sps} | {val} | "
            + " | ".join(cells)
            + f" | {minutes:.1f} |"
        )
    return "\n".join(lines)


def family_table(ladder: dict, split: str) -> str:
    """Success per task family (rows: rungs) on one wording split, as a markdown table."""
    rungs = [r for r in ladder["rungs"] if split in r["success"]]
    if not rungs:
        return ""
    families = list(rungs[0]["success"][split]["per_group"])
    lines = [f"| rung ({split} wording) | " + " | ".join(families) + " |", "|---" * (len(families) + 1) + "|"]
    for r in rungs:
        per = r["success"][split]["per_group"]
        lines.append(f"| {r['rung']} {r['name']} | " + " | ".join(f"{per[f]:.0f}" for f in families) + " |")
    return "\n".join(lines)


def plot_ladder(ladder: dict, path: Path) -> Path:
    """Grouped bars: success per rung on each wording, with 95% Wilson intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rungs = ladder["rungs"]
    x = np.arange(len(rungs))
    fig, ax = plt.subplots(figsize=(9, 3.6))
    width = 0.8 / len(SPLITS)
    labels = {"train": "train wording", "heldout": "held-out wording", "own": "own wording"}
    for j, split in enumerate(SPLITS):
        have = [i for i, r in enumerate(rungs) if split in r["success"]]
        if not have:
            continue
        pc = np.array([rungs[i]["success"][split]["pc"] for i in have])
        lo = np.array([rungs[i]["success"][split]["ci95"][0] for i in have])
        hi = np.array([rungs[i]["success"][split]["ci95"][1] for i in have])
        ax.bar(x[have] + (j - 1) * width, pc, width, yerr=[pc - lo, hi - pc], capsize=2, label=labels[split])
    ax.set_xticks(x, [f"{r['rung']} {r['name']}" for r in rungs], rotation=20)
    ax.set_ylabel("closed-loop success (%)")
    ax.set_ylim(0, 100)
    ax.set_title(f"The ladder ({ladder['size']}: {ladder['budget']['steps']} steps each, {ladder['date']})")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_rollouts(out: Path, results: list[dict], path: Path, family: str = "push_to_place") -> Path | None:
    """The first held-out episode of `family` (the same scene and instruction for every rung), as each rung
    rolled it out: the rungs' frame strips stacked top to bottom. None when no rung wrote one."""
    from PIL import Image

    rows = []
    for r in results:
        strips = sorted(
            (out / f"{r['rung']}_{r['name']}" / "eval" / "heldout" / "videos").glob(f"{family}_00_*.png")
        )
        if strips:
            rows.append((f"{r['rung']} {r['name']}", np.asarray(Image.open(strips[0]).convert("RGB"))))
    if not rows:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(rows), 1, figsize=(7, 1.25 * len(rows)), squeeze=False)
    for ax, (label, img) in zip(axes[:, 0], rows, strict=True):
        ax.imshow(img)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
