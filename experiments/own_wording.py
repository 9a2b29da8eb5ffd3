"""Write the frozen own-wording set: everyday instructions in words and frames that neither split uses.

Question: how does a policy do on wording a person might type, which neither the training grammar nor the
held-out split contains? The words and frames below were written by hand before the final recipe was
trained; `simplevla.envs.tabletop.wording.OWN_WORDS` keeps their new words out of training text (a test checks).
Each line is one episode for `simplevla eval --instruction-file`: family, seed (the scene and task that
`simplevla env show --family F --seed N` shows) and the instruction for that scene's task.

    python experiments/own_wording.py --out experiments/own_wording.tsv   # rewrites the frozen file
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from simplevla.envs.tabletop import language
from simplevla.envs.tabletop.env import TabletopEnv
from simplevla.envs.tabletop.tasks import FAMILIES

FIRST_SEED = 5_000_000  # evaluation range, away from the seeds `eval` uses by default
PER_FAMILY = 50
OWN_SHARE = 0.7  # chance that a slot takes an own word rather than a core training one

COLOURS = {
    "red": ["scarlet", "cherry", "ruby", "cherry red"],
    "green": ["lime", "grass green", "mint", "forest green"],
    "blue": ["navy", "cobalt", "sapphire", "ocean blue"],
    "yellow": ["lemon", "canary", "banana", "sunflower"],
    "purple": ["lilac", "plum", "grape", "lavender"],
}
SHAPES = {
    "circle": ["ball", "sphere", "orb"],
    "square": ["cube", "crate"],
    "triangle": ["arrowhead", "three sided piece"],
}
NOUNS = ["toy", "widget"]
VERBS = {
    "reach": ["poke", "find", "hover above", "make contact with"],
    "push": ["shunt", "scoot", "knock", "budge", "roll"],
}
PLACES = {
    **{
        f"{v}_{h}": [f"the {v} {h} spot", f"the {v}-{h} zone", f"the {v} {h} region"]
        for v in ("top", "bottom")
        for h in ("left", "right")
    },
    **{e: [f"the {e} zone", f"the {e} region"] for e in ("left", "right", "top", "bottom")},
    "center": ["the heart of the table", "dead center", "the center spot"],
}
DIRECTIONS = {
    "left": ["a smidge left", "in the left direction", "sideways to the left"],
    "right": ["a smidge right", "in the right direction", "sideways to the right"],
    "up": ["a smidge up", "in the upward direction"],
    "down": ["a smidge down", "in the downward direction"],
}
TEMPLATES = {
    "reach": [
        "go ahead and {verb} {obj}",
        "{verb} {obj}, thanks",
        "let's {verb} {obj}",
        "time to {verb} {obj}",
        "quickly {verb} {obj}",
    ],
    "push_to_place": [
        "{verb} {obj} off to {place}",
        "{obj} belongs in {place}",
        "let's {verb} {obj} into {place}",
        "time to {verb} {obj} to {place}",
        "go ahead and {verb} {obj} to {place}",
    ],
    "push_direction": [
        "{verb} {obj} {dir}, thanks",
        "let's {verb} {obj} {dir}",
        "quickly {verb} {obj} {dir}",
        "time to {verb} {obj} {dir}",
        "go ahead and {verb} {obj} {dir}",
    ],
    "push_next_to": [
        "line up {obj} with {obj2}",
        "park {obj} next to {obj2}",
        "{verb} {obj} so it sits by {obj2}",
        "go ahead and {verb} {obj} next to {obj2}",
        "time to {verb} {obj} beside {obj2}",
    ],
    "separate": [
        "break up {obj} and {obj2}",
        "make space between {obj} and {obj2}",
        "give {obj} and {obj2} some room",
        "let's separate {obj} and {obj2}",
        "quickly {verb} {obj} and {obj2} apart",
    ],
}


def _pick(rng: np.random.Generator, own: list[str], core: list[language.Item]) -> str:
    pool = own if rng.random() < OWN_SHARE else [t for t, held in core if not held]
    return pool[int(rng.integers(len(pool)))]


def _ref(rng: np.random.Generator, obj: dict, objects: list) -> str:
    kinds = language.ref_kinds(obj["index"], objects)
    kind = kinds[int(rng.integers(len(kinds)))]
    c = _pick(rng, COLOURS[obj["colour"]], language.COLOUR_WORDS[obj["colour"]])
    s = _pick(rng, SHAPES[obj["shape"]], language.SHAPE_WORDS[obj["shape"]])
    if kind == "c":
        return f"the {c} {_pick(rng, NOUNS, language.COLOUR_NOUNS)}"
    return f"the {s}" if kind == "s" else f"the {c} {s}"


def instruction(rng: np.random.Generator, spec: dict, objects: list) -> str:
    family = spec["family"]
    verb_kind = language.FAMILY_VERBS[family]
    values = {"verb": _pick(rng, VERBS[verb_kind], language.VERBS[verb_kind])}
    for key, o in zip(("obj", "obj2"), spec["objects"], strict=False):
        values[key] = _ref(rng, o, objects)
    if family == "push_to_place":
        place = spec["target"]["place"]
        values["place"] = _pick(rng, PLACES[place], language.PLACE_WORDS[place])
    if family == "push_direction":
        d = spec["target"]["direction"]
        values["dir"] = _pick(rng, DIRECTIONS[d], language.DIRECTION_WORDS[d])
    templates = TEMPLATES[family]
    return templates[int(rng.integers(len(templates)))].format(**values)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("experiments/own_wording.tsv"))
    args = ap.parse_args()
    lines = ["# family\tseed\tinstruction  (experiments/own_wording.py; frozen, never used in training)"]
    for j, family in enumerate(FAMILIES):
        env = TabletopEnv(families=[family])
        for i in range(PER_FAMILY):
            seed = FIRST_SEED + j * 10_000 + i
            _, info = env.reset(seed=seed)
            rng = np.random.default_rng([seed, 7])
            lines.append(f"{family}\t{seed}\t{instruction(rng, info['task_spec'], env.objects)}")
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines) - 1} instructions to {args.out}")


if __name__ == "__main__":
    main()
