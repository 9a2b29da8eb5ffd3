"""The per-command summary of the trials, the markdown tables and the text `benchmarks/faults.py` prints."""

from __future__ import annotations

import json

from .commands import COMMANDS

DISK_KEYS = ("case", "tmpfs_kib", "rc", "clean_error", "intact", "leftovers")
FAILURE_KEYS = ("command", "trial", "delay_s", "problems", "stray", "orphans", "identical", "log")


def summarize(results: list[dict]) -> list[dict]:
    """One row per command: trials, kills, and how many trials showed each problem."""
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


def is_failure(r: dict) -> bool:
    """A trial that lost or corrupted something, left a stray file or an orphan, or did not finish identical."""
    return bool(r["problems"] or r["stray"] or r["orphans"] or not r["identical"])


def failed(out: dict) -> bool:
    """Whether the suite's result (`suite.run`'s) holds a failed trial or a bad full-disk case."""
    disk_bad = any(not r.get("clean_error", True) or not r.get("intact", True) for r in out["disk_full"])
    return bool(out["failures"]) or disk_bad


def table(rows: list[dict]) -> str:
    """A markdown table, the first row's keys as the header."""
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(r[k]) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


def _disk_row(r: dict) -> dict:
    if "skipped" in r:
        return {k: r.get(k, r["skipped"] if k == "rc" else "-") for k in DISK_KEYS}
    return {k: (len(r[k]) if k == "leftovers" else r.get(k, "-")) for k in DISK_KEYS}


def _disk_line(r: dict) -> str:
    line = f"  {r['case']}: {r.get('message', r.get('skipped'))}"
    if "checkpoints_kept" in r:
        kept, same = r["checkpoints_kept"], r["resumed_identical"]
        line += f" (checkpoints kept {kept}, resumed bit-identical {same})"
    return line


def text(out: dict) -> str:
    """What the CLI prints: the summary table, the full-disk table and messages, timings, failures."""
    lines = [table(out["summary"])]
    if out["disk_full"]:
        lines += ["", table([_disk_row(r) for r in out["disk_full"]])]
        lines += [_disk_line(r) for r in out["disk_full"]]
    lines += ["", f"{out['mode']} mode, reference runs {out['reference_wall_s']} s; wall {out['wall_s']} s"]
    lines += ["FAILURE " + json.dumps({k: f[k] for k in FAILURE_KEYS}) for f in out["failures"]]
    return "\n".join(lines)
