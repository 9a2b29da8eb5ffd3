"""What the page says about a scene: its task in plain words and a few wordings of it to try."""

from __future__ import annotations

from typing import Any

import numpy as np

from simplevla.envs import Suite
from simplevla.envs.metaworld import tasks as mt10
from simplevla.envs.tabletop import language, reading, wording

EXAMPLES_PER_KIND = {"training grammar": 2, "held out": 2}


def plain_task(suite: Suite, spec: dict) -> str:
    """The task in plain words, as `simplevla env show` and the parse-head reading put it: Tabletop
    'push_to_place: red circle -> top_left'; Meta-World 'reach: <its LeRobot description>'."""
    if not suite.tabletop_extras:
        return f"{spec['task']}: {mt10.TRAIN[spec['task']]}"
    target = spec.get("target", {})
    parse = {
        "family": spec["family"],
        "objects": [[o["colour"], o["shape"]] for o in spec["objects"]],
        "place": target.get("place"),
        "direction": target.get("direction"),
    }
    return reading.describe(parse)


def example_wordings(suite: Suite, env: Any, seed: int) -> list[dict]:
    """[{"text", "kind"}]: the scene's own wording, then a few from the training grammar and from the
    held-out wording (words the policy never trained on), drawn with `seed` so a scene's examples stay put."""
    env = env.unwrapped
    rng = np.random.default_rng(seed)
    found = {env.sampled_task: "the scene's own"}
    for kind, n in EXAMPLES_PER_KIND.items():
        for _ in range(8 * n):
            if sum(k == kind for k in found.values()) >= n:
                break
            text = _wording(suite, env, rng, kind)
            found.setdefault(text, kind)
    return [{"text": t, "kind": k} for t, k in found.items()]


def _wording(suite: Suite, env: Any, rng: np.random.Generator, kind: str) -> str:
    if not suite.tabletop_extras:
        options = mt10.instructions(
            env.task_spec["task"], "train_rich" if kind == "training grammar" else "heldout"
        )
        return options[int(rng.integers(len(options)))]
    if kind == "training grammar":
        return wording.sample_rich(rng, env.task_spec, env.objects)[0]
    return language.make_instruction(rng, env.task_spec, env.objects, "heldout")
