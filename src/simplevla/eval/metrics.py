"""Success statistics of evaluated episodes: rates with 95% Wilson intervals, per group and overall, held-out
success by what is new in the instruction, and how often the policy understood the instruction."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from simplevla.envs.tabletop.language import heldout_parts


def wilson_interval(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """95% Wilson score interval for a binomial proportion, in percent."""
    if n == 0:
        return (0.0, 100.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (100 * max(0.0, centre - half), 100 * min(1.0, centre + half))


def summary(successes: Sequence[bool]) -> dict:
    """Success rate in percent, counts, and the 95% Wilson interval of a list of outcomes."""
    n, k = len(successes), int(sum(successes))
    return {
        "pc_success": 100.0 * k / n if n else 0.0,
        "n_episodes": n,
        "n_success": k,
        "ci95": wilson_interval(k, n),
    }


def success_by_group(per_episode: list[dict], key: str, groups: Sequence[str]) -> tuple[dict, dict]:
    """(per group, overall) success summaries of `per_episode`, grouped by each episode's `key`."""
    per_group = {g: summary([e["success"] for e in per_episode if e[key] == g]) for g in groups}
    return per_group, summary([e["success"] for e in per_episode])


def per_subset(per_episode: list[dict], key: str, subsets: Mapping[str, Sequence[str]]) -> dict:
    """Success per named subset of groups (Meta-World's difficulty groups), over the selected groups in each:
    the pooled summary of their episodes, plus `mean_of_groups` (the mean of the groups' own rates, the
    figure papers average) and `groups` (how many were evaluated). Subsets with no evaluated group are left
    out."""
    out = {}
    for name, members in subsets.items():
        chosen = [g for g in members if any(e[key] == g for e in per_episode)]
        if not chosen:
            continue
        eps = [e for e in per_episode if e[key] in chosen]
        rates = [100.0 * _mean([e["success"] for e in eps if e[key] == g]) for g in chosen]
        out[name] = {**summary([e["success"] for e in eps]), "mean_of_groups": sum(rates) / len(rates)}
        out[name]["groups"] = len(chosen)
    return out


def _mean(values: list[bool]) -> float:
    return sum(values) / len(values)


def per_part(per_episode: list[dict]) -> dict:
    """Held-out success in parts: instructions whose only novelty is the template, those with an unseen
    word, and per slot that holds an unseen word (`slot.colour`, ...; an episode counts in each of its
    slots). Each part is read off the instruction by `language.heldout_parts`."""
    return {name: summary([e["success"] for e in eps]) for name, eps in episodes_by_part(per_episode).items()}


def episodes_by_part(per_episode: list[dict]) -> dict[str, list[dict]]:
    """Held-out episodes grouped by part ("template_only", "unseen_word", "none") and by slot of an unseen
    word ("slot.colour", ...; an episode counts in each of its slots)."""
    parts: dict[str, list[dict]] = {"template_only": [], "unseen_word": []}
    slots: dict[str, list[dict]] = {}
    for ep in per_episode:
        found = heldout_parts(ep["instruction"])
        parts.setdefault(found["part"], []).append(ep)
        for slot in found["slots"]:
            slots.setdefault(f"slot.{slot}", []).append(ep)
    return {**parts, **dict(sorted(slots.items()))}


def understanding(per_episode: list[dict]) -> dict | None:
    """How often the instruction was understood, and success among the understood and the misunderstood
    episodes (LIBERO-Para's misreading vs misexecuting); None without readings."""
    if not per_episode or "understood" not in per_episode[0]:
        return None
    yes = [e["success"] for e in per_episode if e["understood"]]
    no = [e["success"] for e in per_episode if not e["understood"]]
    return {
        "understood": summary([e["understood"] for e in per_episode]),
        "success_if_understood": summary(yes),
        "success_if_misunderstood": summary(no),
    }


def add_understanding(info: dict, per_episode: list[dict], group: str) -> None:
    """info["understanding"]: overall, per group and (held-out) per part, when episodes carry readings."""
    overall = understanding(per_episode)
    if overall is None:
        return
    groups = dict.fromkeys(e[group] for e in per_episode)
    result = {"overall": overall}
    result["per_group"] = {g: understanding([e for e in per_episode if e[group] == g]) for g in groups}
    if "per_part" in info:
        parts = episodes_by_part(per_episode)
        result["per_part"] = {p: understanding(eps) for p, eps in parts.items() if eps}
    info["understanding"] = result
