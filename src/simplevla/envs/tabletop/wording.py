"""The rich training grammar: many words per concept and many frames per family, from written-down rules.

`language` keeps the core grammar that defines the `train` and `heldout` splits (their strings never
change). This module adds, for recording only, the `train_rich` split: the core training items plus

- colour names from the XKCD colour survey that matplotlib ships (949 names with their RGB): a name joins
  the scene colour nearest to it in hue (CIELAB) when it is saturated enough and clearly nearer that
  colour than any other (`colour_names`, the rule is in its docstring);
- short written lists of shape nouns, colour nouns, verbs, place and direction phrases, and templates.

Every extension word passes `is_excluded` against the held-out split's words (and words sharing a stem with
one) and against the words of the frozen own-wording set (`OWN_WORDS`, experiments/own_wording.py), so
neither test set leaks into training. `sample_rich` returns the instruction and its parse: what the words
name (family, each object's colour and shape or None, the place, the direction), the labels of the policy's
parse head.
"""

from __future__ import annotations

import functools
import re

import numpy as np

from simplevla.envs.tabletop import language, scene

# Words of the frozen own-wording set (experiments/own_wording.tsv). Kept out of training like held-out words.
OWN_WORDS = frozenset(
    """scarlet cherry ruby lime grass mint forest navy cobalt sapphire ocean lemon canary banana sunflower
    lilac plum grape lavender ball sphere orb cube crate arrowhead three sided toy widget poke find hover
    above make contact shunt scoot knock budge roll spot zone region heart dead smidge direction sideways
    ahead thanks let time quickly belongs off line park sits break space room""".split()
)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


_SUFFIXES = ("wards", "ward", "ness", "ing", "ish", "est", "ed", "es", "er", "ly", "en", "s", "y")


def _root(word: str) -> str:
    """`word` without one common suffix and a final e: shoving, shove -> shov; wedges -> wedg."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def _related(word: str, other: str) -> bool:
    """Do `word` and `other` share a stem? Equal roots after one suffix strip, or one word holding the
    other whole (at least 4 letters, e.g. westward/west, gold/golden) or starting with it (box/boxes)."""
    if word == other or _root(word) == _root(other):
        return True
    if len(other) >= 4 and other in word or len(word) >= 4 and word in other:
        return True
    return len(other) >= 3 and word.startswith(other) and len(word) <= len(other) + 3


def _core_train_words() -> set[str]:
    return {w for s in language.enumerate_instructions("train") for w in _words(s)}


@functools.lru_cache(maxsize=1)
def heldout_only_words() -> frozenset[str]:
    """Words of held-out items (synonyms and templates) that no core training item uses."""
    held = set()
    for group in (*language.SLOT_ITEMS.values(), [t for ts in language.TEMPLATES.values() for t in ts]):
        for items in group:
            for text, is_held in items if isinstance(items, list) else [items]:
                if is_held:
                    held |= set(_words(text.replace("{", " ").replace("}", " ")))
    held -= {"verb", "obj", "obj2", "place", "dir"}
    return frozenset(held - _core_train_words())


# Words no training text may use although the list rules would let them in (crude or brand names).
_UNSUITABLE = {
    "piss",
    "puke",
    "vomit",
    "snot",
    "diarrhea",
    "poo",
    "poop",
    "shit",
    "barney",
    "kermit",
    "urple",
}

# Variant spellings that share no letters-stem but are the same word as a held-out one.
_VARIANTS = {"disc", "discs", "centred", "centers"}


def is_excluded(word: str) -> bool:
    """True when `word` may not enter training text: a held-out word, a word sharing a stem with one, a
    variant spelling of one, or a word of the own-wording set."""
    if word in _VARIANTS or word in _UNSUITABLE:
        return True
    return any(_related(word, h) for h in (*heldout_only_words(), *OWN_WORDS))


# ---- colours --------------------------------------------------------------------------------------------


def _lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB in [0, 255] (..., 3) -> CIELAB (D65) (..., 3)."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    c = np.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92)
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = c @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1)


MIN_CHROMA = 35.0  # CIELAB chroma below this is grey, brown or beige: no scene colour's name
MAX_HUE_DEG = 35.0  # a name joins the scene colour nearest in hue when within this angle ...
MIN_RATIO = 2.0  # ... and the second-nearest scene hue is at least this many times farther
_OTHER_FAMILIES = ("brown", "tan", "beige", "khaki", "grey", "gray")
_HUE_ROOTS = {"red": "red", "green": "green", "blue": "blu", "yellow": "yellow", "purple": "purpl"}


def _hue_chroma(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lab = _lab(rgb)
    return np.degrees(np.arctan2(lab[..., 2], lab[..., 1])) % 360, np.hypot(lab[..., 1], lab[..., 2])


@functools.lru_cache(maxsize=1)
def colour_names() -> dict[str, list[str]]:
    """Scene colour -> extra colour names, by this rule over matplotlib's XKCD survey colours (a name is
    the colour people gave that RGB most often), in CIELAB, where people name colours mostly by hue:

    1. names of one or two words of plain letters;
    2. chroma at least MIN_CHROMA (greys, browns and beiges name none of the scene's colours);
    3. the nearest scene colour (scene.COLOURS, as rendered) by hue angle is within MAX_HUE_DEG, and the
       second nearest is at least MIN_RATIO times as far;
    4. no word names another scene colour ("greenish blue" is dropped from blue) or a colour family the
       scene lacks (brown, tan, beige, khaki, grey), and no word is a survey name that alone joins another
       scene colour or none ("orange red" and "pinkish purple" are dropped: orange and pink lie between);
    5. no word is excluded (`is_excluded`: held-out stems, own-wording words, crude words);
    6. the core names themselves ("red") are not repeated.
    """
    from matplotlib.colors import XKCD_COLORS, to_rgb

    names = list(scene.COLOURS)
    hues, _ = _hue_chroma(np.array([scene.COLOURS[n] for n in names], dtype=np.float64))  # (5,)

    def assign(hex_rgb: str) -> str | None:
        hue, chroma = _hue_chroma(np.array(to_rgb(hex_rgb)) * 255.0)
        d = np.abs((hues - hue + 180.0) % 360.0 - 180.0)  # (5,) hue angle to each scene colour
        first, second = np.argsort(d)[:2]
        if chroma < MIN_CHROMA or d[first] > MAX_HUE_DEG or d[second] < MIN_RATIO * d[first]:
            return None
        return names[int(first)]

    survey = {k.removeprefix("xkcd:"): v for k, v in sorted(XKCD_COLORS.items())}
    single: dict[str, str | None] = {}  # word root -> the scene colour its one-word names join, or None
    for n, v in survey.items():
        if n.isalpha():
            root, colour = _root(n), assign(v)
            single[root] = colour if single.get(root, colour) == colour else None  # "pink" -> None
    single.update({_root(c): c for c in names})  # "purplish", "greeny" belong to their own colour
    out: dict[str, list[str]] = {n: [] for n in names}
    for name, hex_rgb in survey.items():
        parts = name.split()
        if not 1 <= len(parts) <= 2 or not all(p.isalpha() and p.isascii() for p in parts):
            continue
        colour = assign(hex_rgb)
        if colour is None:
            continue
        others = [root for c, root in _HUE_ROOTS.items() if c != colour] + list(_OTHER_FAMILIES)
        if any(p.startswith(root) for p in parts for root in others) or any(is_excluded(p) for p in parts):
            continue
        if any(single.get(_root(p), colour) != colour for p in parts):
            continue  # a word that alone names another colour, or one between two ("orange red", "pink")
        if name != colour:
            out[colour].append(name)
    return out


# ---- the other slots: short written lists ---------------------------------------------------------------

SHAPE_NOUNS = {  # everyday object names and "<adjective> piece" for each shape
    "circle": ["dot", "coin", "round piece", "circular piece"],
    "square": ["block", "tile", "square piece", "squared piece", "quad"],
    "triangle": ["pyramid", "triangular piece", "triangular one", "tri"],
}
COLOUR_NOUNS = ["piece", "item", "shape", "token"]
VERBS = {
    "reach": ["approach", "visit", "drive to", "travel to", "navigate to", "come to"],
    "push": ["drag", "shift", "guide", "steer", "relocate", "transport", "send", "take", "propel"],
}
_CORNER_FORMS = ["the {v}-{h} corner", "the {v}-{h}", "the {v} {h} of the table", "the {v} {h} area"]
PLACES: dict[str, list[str]] = {
    **{
        f"{v}_{h}": [f.format(v=v, h=h) for f in _CORNER_FORMS] + [f"the corner at the {v} {h}"]
        for v in ("top", "bottom")
        for h in ("left", "right")
    },
    **{
        e: [f"the {e} wall", f"the {e} of the table", f"the {e}-hand side", f"the edge on the {e}"]
        for e in ("left", "right")
    },
    **{
        e: [f"the {e} side", f"the {e} wall", f"the {e} of the table", f"the edge at the {e}"]
        for e in ("top", "bottom")
    },
    "center": ["the middle of the table", "the center of the table", "the very middle", "the midpoint"],
}
DIRECTIONS = {
    "left": ["further left", "more to the left", "left a little", "a little to the left"],
    "right": ["further right", "more to the right", "right a little", "a little to the right"],
    "up": ["upwards", "further up", "higher", "up the table"],
    "down": ["downwards", "further down", "down the table", "down a little"],
}
TEMPLATES = {
    "reach": [
        "{verb} {obj} now",
        "now {verb} {obj}",
        "{verb} {obj} please",
        "try to {verb} {obj}",
        "your task is to {verb} {obj}",
        "you should {verb} {obj}",
        "move the gripper to {obj}",
        "send the pusher to {obj}",
        "put the pusher on {obj}",
        "{verb} {obj} with the pusher",
    ],
    "push_to_place": [
        "{verb} {obj} all the way to {place}",
        "{verb} {obj} as far as {place}",
        "{verb} {obj} until it gets to {place}",
        "put {obj} in {place}",
        "place {obj} at {place}",
        "{verb} {obj} so it ends up in {place}",
        "can you {verb} {obj} to {place}",
        "try to {verb} {obj} to {place}",
        "your task is to {verb} {obj} to {place}",
        "{obj} should end up in {place}",
    ],
    "push_direction": [
        "{verb} {obj} {dir} please",
        "{verb} {obj} a little {dir}",
        "{verb} {obj} slightly {dir}",
        "{verb} {obj} some distance {dir}",
        "{obj} should go {dir}",
        "try to {verb} {obj} {dir}",
        "your task is to {verb} {obj} {dir}",
        "give {obj} a push {dir}",
    ],
    "push_next_to": [
        "{verb} {obj} near {obj2}",
        "{verb} {obj} alongside {obj2}",
        "put {obj} next to {obj2}",
        "{verb} {obj} until it is next to {obj2}",
        "{obj} should be next to {obj2}",
        "try to {verb} {obj} next to {obj2}",
        "{verb} {obj} by {obj2}",
        "join {obj} with {obj2}",
        "place {obj} beside {obj2}",
    ],
    "separate": [
        "pry {obj} and {obj2} apart",
        "move {obj} far from {obj2}",
        "keep {obj} and {obj2} apart",
        "spread {obj} and {obj2} apart",
        "put distance between {obj} and {obj2}",
        "try to separate {obj} and {obj2}",
        "your task is to separate {obj} from {obj2}",
        "separate {obj} and {obj2} please",
        "detach {obj} from {obj2}",
    ],
}

EXTEND = 0.5  # chance that each slot (and the template) takes an extension item instead of a core one

Parse = (
    dict  # {"family": str, "objects": [[colour|None, shape|None], ...], "place": str|None, "direction": ...}
)


def _core(items: list[language.Item]) -> list[str]:
    return [text for text, held in items if not held]


def _pick(rng: np.random.Generator, core: list[str], extra: list[str]) -> str:
    pool = extra if extra and rng.random() < EXTEND else core
    return pool[int(rng.integers(len(pool)))]


def _ref(rng: np.random.Generator, obj: dict, kinds: tuple[str, ...]) -> tuple[str, list]:
    """A phrase naming `obj` by one of the unambiguous `kinds`, and what it names ([colour, shape])."""
    kind = kinds[int(rng.integers(len(kinds)))]
    colour, shape = obj["colour"], obj["shape"]
    c = _pick(rng, _core(language.COLOUR_WORDS[colour]), colour_names()[colour])
    s = _pick(rng, _core(language.SHAPE_WORDS[shape]), SHAPE_NOUNS[shape])
    if kind == "c":
        return f"the {c} {_pick(rng, _core(language.COLOUR_NOUNS), COLOUR_NOUNS)}", [colour, None]
    if kind == "s":
        return f"the {s}", [None, shape]
    return f"the {c} {s}", [colour, shape]


def sample_rich(rng: np.random.Generator, spec: dict, objects: list[scene.SceneObject]) -> tuple[str, Parse]:
    """A wording of task `spec` from the rich training grammar, and its parse (what the words name)."""
    family = spec["family"]
    template = _pick(rng, _core(language.TEMPLATES[family]), TEMPLATES[family])
    verbs = language.VERBS[language.FAMILY_VERBS[family]]
    values = {"verb": _pick(rng, _core(verbs), VERBS[language.FAMILY_VERBS[family]])}
    named = []
    for key, o in zip(("obj", "obj2"), spec["objects"], strict=False):
        values[key], what = _ref(rng, o, language.ref_kinds(o["index"], objects))
        named.append(what)
    place = spec["target"].get("place") if family == "push_to_place" else None
    direction = spec["target"].get("direction") if family == "push_direction" else None
    if place is not None:
        values["place"] = _pick(rng, _core(language.PLACE_WORDS[place]), PLACES[place])
    if direction is not None:
        values["dir"] = _pick(rng, _core(language.DIRECTION_WORDS[direction]), DIRECTIONS[direction])
    parse = {"family": family, "objects": named, "place": place, "direction": direction}
    return template.format(**values), parse


def extension_phrases() -> dict[str, list[str]]:
    """Every extension item by slot (colour names, shape nouns, colour nouns, verbs, places, directions,
    templates), for the exclusion test and for `env show`'s grammar size."""
    return {
        "colour": [n for ns in colour_names().values() for n in ns],
        "shape": [n for ns in SHAPE_NOUNS.values() for n in ns],
        "noun": list(COLOUR_NOUNS),
        "verb": [v for vs in VERBS.values() for v in vs],
        "place": [p for ps in PLACES.values() for p in ps],
        "direction": [d for ds in DIRECTIONS.values() for d in ds],
        "template": [t for ts in TEMPLATES.values() for t in ts],
    }


def grammar_size() -> dict[str, int]:
    """Distinct wordings per family the rich grammar can produce (templates x verbs x object phrases x
    places or directions; object pairs counted as ordered pairs of different phrases)."""
    colours = {c: 1 + len(colour_names()[c]) for c in scene.COLOURS}  # core name + extensions
    shapes = {s: len(_core(language.SHAPE_WORDS[s])) + len(SHAPE_NOUNS[s]) for s in scene.SHAPES}
    nouns = len(_core(language.COLOUR_NOUNS)) + len(COLOUR_NOUNS)
    refs = sum(colours.values()) * nouns + sum(shapes.values())  # "the red one", "the circle"
    refs += sum(colours[c] * shapes[s] for c in colours for s in shapes)  # "the red circle"
    places = sum(len(_core(language.PLACE_WORDS[p])) + len(PLACES[p]) for p in PLACES)
    dirs = sum(len(_core(language.DIRECTION_WORDS[d])) + len(DIRECTIONS[d]) for d in DIRECTIONS)
    out = {}
    for family, extra in TEMPLATES.items():
        kind = language.FAMILY_VERBS[family]
        verbs = len(_core(language.VERBS[kind])) + len(VERBS[kind])
        total = 0
        for t in _core(language.TEMPLATES[family]) + extra:
            n = verbs if "{verb}" in t else 1
            n *= refs * (refs - 1) if "{obj2}" in t else refs
            n *= places if "{place}" in t else 1
            n *= dirs if "{dir}" in t else 1
            total += n
        out[family] = total
    return out
