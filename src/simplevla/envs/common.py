"""What every suite's env checks the same way: its constructor arguments, an action, and the instruction
that replaces the drawn wording at a reset."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

MAX_GOAL_MARKER = 10.0  # Meta-World's goal marker drawn at most this many times its size


def goal_marker_problem(value: object) -> str | None:
    """Why `value` is no goal-marker scale (a number in [0, MAX_GOAL_MARKER]; NaN is not), or None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= MAX_GOAL_MARKER:
        return f"must be a number in [0, {MAX_GOAL_MARKER:g}] (the goal marker's size, x Meta-World's), got {value!r}"
    return None


def check_selection(
    selected: str | Sequence[str] | None,
    known: Sequence[str],
    arg: str,
    sets: Mapping[str, Sequence[str]] | None = None,
    default: Sequence[str] | None = None,
) -> tuple[str, ...]:
    """`selected` (one name, several, or None for `default`, else all of `known`) as a tuple. Names in `sets`
    (e.g. Meta-World's `mt50`, `easy`) expand to their members, in order and without repeats. A ValueError
    names unknown ones. `arg` is the constructor's keyword (`families`, `tasks`)."""
    if selected is None:
        return tuple(default if default is not None else known)
    names = (selected,) if isinstance(selected, str) else tuple(selected)
    sets = sets or {}
    chosen = tuple(dict.fromkeys(g for n in names for g in sets.get(n, (n,))))
    bad = [s for s in chosen if s not in known]
    if not chosen or bad:
        named = f" or one of {list(sets)}" if sets else ""
        raise ValueError(f"{arg}: unknown or empty {bad or list(chosen)}; choose from {list(known)}{named}")
    return chosen


def check_options(
    split: str,
    splits: Sequence[str],
    size: object,
    max_steps: object,
    render_mode: str | None,
    max_steps_limit: int | None = None,
) -> None:
    """Raise ValueError for a split the suite lacks, an image side outside [32, 224], a step limit that is
    not a positive int (at most `max_steps_limit`), or a render mode other than rgb_array or None."""
    if split not in splits:
        raise ValueError(f"split must be one of {tuple(splits)}, got {split!r}")
    if not isinstance(size, (int, np.integer)) or not 32 <= size <= 224:
        raise ValueError(f"size (the image side) must be an int in [32, 224], got {size!r}")
    if max_steps is not None and (
        not isinstance(max_steps, (int, np.integer))
        or max_steps < 1
        or (max_steps_limit is not None and max_steps > max_steps_limit)
    ):
        upper = f"an int in [1, {max_steps_limit}]" if max_steps_limit is not None else "a positive int"
        raise ValueError(f"max_steps must be None or {upper}, got {max_steps!r}")
    if render_mode not in (None, "rgb_array"):
        raise ValueError(f"render_mode must be 'rgb_array' (or None), got {render_mode!r}")


def instruction_override(options: dict | None, pending: str | None) -> str | None:
    """The wording that replaces the drawn one at this reset: `pending` (an env's `next_instruction`, set
    per sub-env through a vector env's set_attr), else `options["instruction"]`; None keeps the drawn one.
    An empty or blank instruction is a ValueError."""
    text = pending if pending is not None else (options.get("instruction") if options else None)
    if text is None:
        return None
    if not str(text).strip():
        raise ValueError(
            "reset(options={'instruction': ...}): the instruction is empty; give a non-empty text"
        )
    return str(text)


def check_action(action: np.ndarray, dim: int) -> list[float]:
    """`action` as `dim` Python floats, not yet clipped; a ValueError names what is wrong with it."""
    try:
        a = np.asarray(action, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"action must be a float array of shape ({dim},), got {action!r}") from e
    if a.shape != (dim,):
        raise ValueError(f"action must have shape ({dim},), got shape {a.shape}")
    values = a.tolist()
    if not all(map(math.isfinite, values)):
        raise ValueError(f"action must be finite (no NaN or inf), got {values}")
    return values
