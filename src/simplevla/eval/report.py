"""`report.md` for a quickstart run: success tables, loss curves, bar charts, videos, wall times, machine."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

import torch

from simplevla.atomic import atomic_write_bytes


def machine_description() -> str:
    """One line naming the CPU, cores, memory, OS, Python and torch."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split("\n")[0].split()[1])
        mem = f", {kb / 2**20:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores{mem}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, torch {torch.__version__}"
    )


def _cell(group: dict | None) -> str:
    if not group or not group["n_episodes"]:
        return "–"
    lo, hi = group["ci95"]
    return f"{group['pc_success']:.0f}% [{lo:.0f}–{hi:.0f}] (n={group['n_episodes']})"


def success_table(evals: dict[str, dict]) -> str:
    """Markdown table: one row per family plus overall, one column per `preset/split` evaluation."""
    cols = list(evals)
    families: list[str] = []
    for ev in evals.values():
        families += [f for f in ev["per_group"] if f not in families]
    lines = ["| family | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for fam in families:
        lines.append(f"| {fam} | " + " | ".join(_cell(evals[c]["per_group"].get(fam)) for c in cols) + " |")
    lines.append("| **overall** | " + " | ".join(f"**{_cell(evals[c]['overall'])}**" for c in cols) + " |")
    return "\n".join(lines)


PART_NAMES = {
    "template_only": "only the template is new",
    "unseen_word": "an unseen word (any template)",
}


def parts_table(evals: dict[str, dict]) -> str:
    """Markdown table of the held-out evaluations' parts (`per_part`), one column per evaluation; "" if none."""
    cols = [c for c, ev in evals.items() if ev.get("per_part")]
    if not cols:
        return ""
    rows: list[str] = []
    for c in cols:
        rows += [r for r in evals[c]["per_part"] if r not in rows]
    lines = ["| held-out part | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for r in rows:
        name = PART_NAMES.get(r, r.replace("slot.", "unseen word in slot: "))
        lines.append(f"| {name} | " + " | ".join(_cell(evals[c]["per_part"].get(r)) for c in cols) + " |")
    return "\n".join(lines)


def understanding_table(evals: dict[str, dict]) -> str:
    """Markdown table: per evaluation (and held-out part), how often the parse head read the instruction
    right, and success among the understood and the misunderstood episodes; "" without readings."""
    rows = []
    for key, ev in evals.items():
        u = ev.get("understanding")
        if not u:
            continue
        named = [(key, u["overall"])]
        named += [
            (f"{key}: {PART_NAMES.get(p, p.replace('slot.', 'unseen '))}", v)
            for p, v in u.get("per_part", {}).items()
        ]
        for name, v in named:
            cells = [v["understood"], v["success_if_understood"], v["success_if_misunderstood"]]
            rows.append(f"| {name} | " + " | ".join(_cell(c) for c in cells) + " |")
    if not rows:
        return ""
    head = "| evaluation | understood | success if understood | success if misunderstood |\n|---|---|---|---|"
    return head + "\n" + "\n".join(rows)


def write_report(out: Path, results: dict) -> Path:
    """Write OUT/report.md from the quickstart's results dict; returns its path."""
    out = Path(out)
    evals = results["eval"]
    lines = [
        "# simplevla quickstart report",
        "",
        f"Written {time.strftime('%Y-%m-%d %H:%M %Z')} by `simplevla quickstart --out {out}`.",
        f"Machine: {machine_description()}.",
        "",
        "## Closed-loop success per family",
        "",
        "Success rate with its 95% Wilson interval, on evaluation seeds that never overlap the recording seeds.",
        "`train` uses the core training wording of instructions; `heldout` uses templates and synonyms never",
        "seen in training; `own` (for `default`) is everyday wording in neither split nor the training grammar.",
        "",
        success_table(evals),
        "",
    ]
    parts = parts_table(evals)
    if parts:
        lines += [
            "## Held-out wording, in parts",
            "",
            "Each held-out instruction is new by its template alone, or by at least one unseen word; the slot",
            "rows split the latter by where the unseen word stands (an instruction counts once per slot).",
            "",
            parts,
            "",
        ]
    understood = understanding_table(evals)
    if understood:
        lines += [
            "## Understood apart from done",
            "",
            "The policy's parse head names the task from the instruction alone (family, each object's colour",
            "and shape, place or direction). An episode counts as understood when that reading is the task's",
            "and picks out its objects alone in the scene; success is then split by understood or not",
            "(misread vs misexecuted). `own` is the frozen everyday-wording set (experiments/own_wording.tsv).",
            "",
            understood,
            "",
        ]
    lines += [
        "## Data and training",
        "",
        f"- Plan: {results['plan']}",
    ]
    rec = results.get("record", {})
    lines.append(
        f"- Recording: {', '.join(f'{k}={v}' for k, v in rec.items() if not isinstance(v, (dict, list)))}"
    )
    for preset, tr in results["train"].items():
        keep = ("steps", "params", "final_loss", "val_loss", "samples_per_s", "wall_s", "device", "conv_bf16")
        lines.append(f"- `{preset}`: " + ", ".join(f"{k}={tr[k]}" for k in keep if k in tr))
    lines += ["", "## Loss curves", ""]
    for preset in results["train"]:
        lines.append(f"![{preset} loss]({preset}/loss.png)")
    lines += ["", "## Success per family", ""]
    for key in evals:
        preset, split = key.split("/")
        lines.append(f"![{key}]({preset}/eval/{split}/success.png)")
    lines += ["", "## Rollout videos", ""]
    for key, ev in evals.items():
        preset, split = key.split("/")
        for rel in ev["overall"].get("video_paths", []):
            lines.append(f"- [{key}: {Path(rel).stem}]({preset}/eval/{split}/{rel})")
    lines += ["", "## Wall time per stage", "", "| stage | seconds |", "|---|---|"]
    lines += [f"| {name} | {sec:.0f} |" for name, sec in results["timings_s"].items()]
    path = out / "report.md"
    atomic_write_bytes(path, ("\n".join(lines) + "\n").encode())
    return path
