"""Instructions: templates x verbs x object references x targets, with a held-out split of wordings.

Every vocabulary item is a (text, heldout) pair. `split="train"` draws only items with heldout=False;
`split="heldout"` draws instructions that use at least one held-out template or synonym. An object is
named by colour ("the red one"), by shape ("the circle") or by both ("the red circle"), the first two only
when that name is unique in the scene. `enumerate_instructions` lists every string a split can produce.
"""

from __future__ import annotations

import itertools
import re

import numpy as np

from simplevla.envs.tabletop import scene

Item = tuple[str, bool]  # (text, heldout)

COLOUR_WORDS: dict[str, list[Item]] = {
    "red": [("red", False), ("crimson", True)],
    "green": [("green", False), ("emerald", True)],
    "blue": [("blue", False), ("azure", True)],
    "yellow": [("yellow", False), ("golden", True)],
    "purple": [("purple", False), ("violet", True)],
}
SHAPE_WORDS: dict[str, list[Item]] = {
    "circle": [("circle", False), ("disk", True)],
    "square": [("square", False), ("box", True)],
    "triangle": [("triangle", False), ("wedge", True)],
}
COLOUR_NOUNS: list[Item] = [("object", False), ("one", False), ("thing", True)]
VERBS: dict[str, list[Item]] = {
    "reach": [("reach", False), ("touch", False), ("go to", False), ("move to", False), ("tap", True)],
    "push": [("push", False), ("move", False), ("slide", False), ("shove", True), ("nudge", True)],
}
PLACE_WORDS: dict[str, list[Item]] = {
    "top_left": [("the top left corner", False), ("the top left", False), ("the upper-left corner", True)],
    "top": [("the top edge", False), ("the top", False), ("the upper edge", True)],
    "top_right": [
        ("the top right corner", False),
        ("the top right", False),
        ("the upper-right corner", True),
    ],
    "left": [("the left edge", False), ("the left side", False), ("the left border", True)],
    "center": [("the center", False), ("the middle", False), ("the centre", True)],
    "right": [("the right edge", False), ("the right side", False), ("the right border", True)],
    "bottom_left": [
        ("the bottom left corner", False),
        ("the bottom left", False),
        ("the lower-left corner", True),
    ],
    "bottom": [("the bottom edge", False), ("the bottom", False), ("the lower edge", True)],
    "bottom_right": [
        ("the bottom right corner", False),
        ("the bottom right", False),
        ("the lower-right corner", True),
    ],
}
DIRECTION_WORDS: dict[str, list[Item]] = {
    "left": [("left", False), ("to the left", False), ("west", True), ("leftward", True)],
    "right": [("right", False), ("to the right", False), ("east", True), ("rightward", True)],
    "up": [("up", False), ("upward", False), ("north", True), ("toward the top", True)],
    "down": [("down", False), ("downward", False), ("south", True), ("toward the bottom", True)],
}
# Which verb list each family's {verb} slot uses.
FAMILY_VERBS = {
    "reach": "reach",
    "push_to_place": "push",
    "push_direction": "push",
    "push_next_to": "push",
    "separate": "push",
}
TEMPLATES: dict[str, list[Item]] = {
    "reach": [
        ("{verb} {obj}", False),
        ("please {verb} {obj}", False),
        ("can you {verb} {obj}", False),
        ("move the pusher to {obj}", False),
        ("i need you to {verb} {obj}", True),
    ],
    "push_to_place": [
        ("{verb} {obj} to {place}", False),
        ("{verb} {obj} into {place}", False),
        ("please {verb} {obj} to {place}", False),
        ("get {obj} to {place}", False),
        ("could you {verb} {obj} over to {place}", True),
    ],
    "push_direction": [
        ("{verb} {obj} {dir}", False),
        ("please {verb} {obj} {dir}", False),
        ("{verb} {obj} a bit {dir}", False),
        ("can you {verb} {obj} {dir}", False),
        ("i want {obj} moved {dir}", True),
    ],
    "push_next_to": [
        ("{verb} {obj} next to {obj2}", False),
        ("{verb} {obj} close to {obj2}", False),
        ("please {verb} {obj} next to {obj2}", False),
        ("{verb} {obj} beside {obj2}", False),
        ("bring {obj} over to {obj2}", True),
    ],
    "separate": [
        ("separate {obj} and {obj2}", False),
        ("separate {obj} from {obj2}", False),
        ("{verb} {obj} and {obj2} apart", False),
        ("please separate {obj} and {obj2}", False),
        ("pull {obj} and {obj2} away from each other", True),
    ],
}

Ref = tuple[str, bool, str, str, str]  # (phrase, heldout, kind "c"/"s"/"cs", colour or "", shape or "")


def ref_phrases(colour: str, shape: str, kinds: tuple[str, ...]) -> list[Ref]:
    """Every phrase naming a (colour, shape) object by the given kinds of reference."""
    out: list[Ref] = []
    for kind in kinds:
        if kind == "c":
            for (c, hc), (n, hn) in itertools.product(COLOUR_WORDS[colour], COLOUR_NOUNS):
                out.append((f"the {c} {n}", hc or hn, kind, colour, ""))  # the shape is not named
        elif kind == "s":
            out += [(f"the {s}", hs, kind, "", shape) for s, hs in SHAPE_WORDS[shape]]
        else:
            for (c, hc), (s, hs) in itertools.product(COLOUR_WORDS[colour], SHAPE_WORDS[shape]):
                out.append((f"the {c} {s}", hc or hs, kind, colour, shape))
    return out


def ref_kinds(index: int, objects: list[scene.SceneObject]) -> tuple[str, ...]:
    """Reference kinds that are unambiguous for objects[index] in this scene."""
    me = objects[index]
    kinds = ["cs"]
    if sum(o.colour == me.colour for o in objects) == 1:
        kinds.append("c")
    if sum(o.shape == me.shape for o in objects) == 1:
        kinds.append("s")
    return tuple(kinds)


def _slots(family: str, spec: dict) -> dict[str, list[Item]]:
    """The non-object slots of the family's templates, for this task (spec None: every target)."""
    slots: dict[str, list[Item]] = {"verb": VERBS[FAMILY_VERBS[family]]}
    target = {} if spec is None else spec["target"]
    if family == "push_to_place":
        slots["place"] = (
            PLACE_WORDS[target["place"]] if spec else [w for ws in PLACE_WORDS.values() for w in ws]
        )
    if family == "push_direction":
        slots["dir"] = (
            DIRECTION_WORDS[target["direction"]]
            if spec
            else [w for ws in DIRECTION_WORDS.values() for w in ws]
        )
    return slots


def _fill(template: str, refs: list[Ref], slot_items: dict[str, Item]) -> str:
    values = {k: v[0] for k, v in slot_items.items()}
    values["obj"] = refs[0][0]
    if len(refs) > 1:
        values["obj2"] = refs[1][0]
    return template.format(**values)


def _choice(rng: np.random.Generator, items: list) -> object:
    return items[int(rng.integers(len(items)))]


def make_instruction(
    rng: np.random.Generator, spec: dict, objects: list[scene.SceneObject], split: str
) -> str:
    """Sample a wording of task `spec` for the scene; `split` is "train" or "heldout"."""
    if split not in ("train", "heldout"):
        raise ValueError(f"split must be 'train' or 'heldout', got {split!r}")
    family = spec["family"]
    refs_per_obj = []
    for o in spec["objects"]:
        refs_per_obj.append(ref_phrases(o["colour"], o["shape"], ref_kinds(o["index"], objects)))
    slots = _slots(family, spec)
    for attempt in range(64):
        allow = split == "heldout"

        def ok(item_heldout: bool, allow: bool = allow) -> bool:
            return allow or not item_heldout

        templates = [t for t in TEMPLATES[family] if ok(t[1])]
        if split == "heldout" and attempt == 63:  # rejection failed: force a held-out template
            templates = [t for t in TEMPLATES[family] if t[1]]
        template = _choice(rng, templates)
        refs = [_choice(rng, [r for r in rs if ok(r[1])]) for rs in refs_per_obj]
        items = {
            k: _choice(rng, [w for w in ws if ok(w[1])])
            for k, ws in slots.items()
            if "{" + k + "}" in template[0]
        }
        used_heldout = template[1] or any(r[1] for r in refs) or any(w[1] for w in items.values())
        if split == "train" or used_heldout:
            return _fill(template[0], refs, items)
    raise AssertionError("unreachable: the last attempt uses a held-out template")


def _pair_possible(a: Ref, b: Ref) -> bool:
    """Could refs a and b name two different objects in some valid scene (distinct colour-shape pairs)?"""
    ka, kb = a[2], b[2]
    if "c" in (ka, kb) and a[3] == b[3]:
        return False  # one names the unique object of a colour the other also has
    if "s" in (ka, kb) and a[4] == b[4]:
        return False
    return not (ka == kb == "cs" and a[3:] == b[3:])


def enumerate_instructions(split: str) -> set[str]:
    """Every instruction string `split` ("train", "heldout" or "all") can produce, by enumeration."""
    all_refs = [
        r for c in scene.COLOUR_NAMES for s in scene.SHAPES for r in ref_phrases(c, s, ("cs", "c", "s"))
    ]
    all_refs = list({r[0]: r for r in all_refs}.values())  # "the circle" etc. appear once per colour
    out: set[str] = set()
    for family, templates in TEMPLATES.items():
        slots = _slots(family, None)
        n_obj = 2 if family in ("push_next_to", "separate") else 1
        ref_lists = itertools.product(all_refs, repeat=n_obj)
        ref_combos = [rs for rs in ref_lists if n_obj == 1 or _pair_possible(*rs)]
        for template, t_held in templates:
            keys = [k for k in slots if "{" + k + "}" in template]
            for slot_items in itertools.product(*(slots[k] for k in keys)):
                s_held = any(w[1] for w in slot_items)
                named = dict(zip(keys, slot_items, strict=True))
                for refs in ref_combos:
                    held = t_held or s_held or any(r[1] for r in refs)
                    if split == "all" or (split == "heldout") == held:
                        out.add(_fill(template, list(refs), named))
    return out


def heldout_words() -> list[str]:
    """Every held-out synonym (colours, shapes, nouns, verbs, places, directions)."""
    groups = [*COLOUR_WORDS.values(), *SHAPE_WORDS.values(), COLOUR_NOUNS, *VERBS.values()]
    groups += [*PLACE_WORDS.values(), *DIRECTION_WORDS.values()]
    return sorted({t for g in groups for t, h in g if h})


# The slots a held-out word can fill, for `heldout_parts` (colour nouns such as "thing" count as "noun").
SLOT_ITEMS: dict[str, list[list[Item]]] = {
    "colour": list(COLOUR_WORDS.values()),
    "shape": list(SHAPE_WORDS.values()),
    "noun": [COLOUR_NOUNS],
    "verb": list(VERBS.values()),
    "place": list(PLACE_WORDS.values()),
    "direction": list(DIRECTION_WORDS.values()),
}


def _phrase_pattern(phrase: str) -> re.Pattern:
    return re.compile(r"(?<![a-z0-9-])" + re.escape(phrase) + r"(?![a-z0-9-])")


_HELDOUT_PHRASES = {
    slot: [_phrase_pattern(t) for group in groups for t, held in group if held]
    for slot, groups in SLOT_ITEMS.items()
}
_HELDOUT_TEMPLATES = [
    re.compile("^" + re.sub(r"\\\{\w+\\\}", ".+", re.escape(t)) + "$")
    for ts in TEMPLATES.values()
    for t, held in ts
    if held
]


def heldout_parts(instruction: str) -> dict:
    """What is new in `instruction` against the training wording, read off the string itself.

    Returns {"template": bool (a held-out template), "slots": sorted list of the slots that hold a
    held-out word ("colour", "shape", "noun", "verb", "place", "direction"), "part": "template_only",
    "unseen_word" or "none"}. "unseen_word" means at least one held-out word, whatever the template.
    """
    text = " ".join(instruction.lower().split())
    slots = sorted(s for s, pats in _HELDOUT_PHRASES.items() if any(p.search(text) for p in pats))
    template = any(p.match(text) for p in _HELDOUT_TEMPLATES)
    part = "unseen_word" if slots else ("template_only" if template else "none")
    return {"template": template, "slots": slots, "part": part}
