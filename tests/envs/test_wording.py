"""The rich training grammar: no held-out or own-wording word (or stem) enters it, the core splits keep
their exact strings, and the colour names follow their written rule."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pytest

from simplevla.envs.tabletop import language, scene, wording
from simplevla.envs.tabletop.env import TabletopEnv

OWN_FILE = Path(__file__).parents[2] / "experiments" / "own_wording.tsv"


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def _digest(strings: set[str]) -> str:
    return hashlib.sha256("\n".join(sorted(strings)).encode()).hexdigest()[:16]


@pytest.mark.slow
def test_core_splits_are_unchanged():
    """The held-out strings (and the core training ones) stay exactly those every earlier figure used."""
    assert _digest(language.enumerate_instructions("train")) == "26a8c717344691eb"
    assert _digest(language.enumerate_instructions("heldout")) == "b92fad9c9cd64465"


@pytest.fixture(scope="module")
def core_train_words() -> set[str]:
    return set().union(*map(_words, language.enumerate_instructions("train")))


@pytest.fixture(scope="module")
def rich_samples() -> list[str]:
    env = TabletopEnv(split="train_rich")
    return [env.reset(seed=s)[1]["task"] for s in range(3000)]


def test_stem_rule_examples():
    for word in ("westward", "wedges", "crimson", "golden", "gold", "nudged", "shoving", "boxes", "disc"):
        assert wording.is_excluded(word), word
    for word in ("maroon", "scarlet", "steer", "pyramid"):
        assert wording.is_excluded(word) == (word == "scarlet")  # scarlet: an own-wording word


def test_extension_words_pass_the_exclusion_rule(core_train_words):
    """Every word the extension adds (beyond the core training words) is neither a held-out word, nor
    shares a stem with one, nor is an own-wording word."""
    slot_names = {"verb", "obj", "obj2", "place", "dir"}
    for slot, phrases in wording.extension_phrases().items():
        for phrase in phrases:
            for w in _words(phrase) - core_train_words - slot_names:
                assert not wording.is_excluded(w), (slot, phrase, w)


@pytest.mark.slow
def test_rich_samples_hold_no_heldout_or_own_word(core_train_words, rich_samples):
    heldout = wording.heldout_only_words()
    own = wording.OWN_WORDS
    assert heldout >= {"crimson", "wedge", "west", "shove", "tap", "upper"}  # the rule sees the split
    for text in rich_samples:
        new = _words(text) - core_train_words
        assert not new & heldout and not new & own, text
        # an independent stem check: no word of 4+ letters inside the other
        for w in new:
            assert not any(len(h) >= 4 and h in w or len(w) >= 4 and w in h for h in heldout | own), (text, w)
        assert not any(re.search(rf"\b{re.escape(p)}\b", text) for p in language.heldout_words()), text


@pytest.mark.slow
def test_rich_grammar_is_varied_and_includes_the_core(rich_samples):
    assert len(set(rich_samples)) > 0.95 * len(rich_samples)
    core = language.enumerate_instructions("train")
    share_core = sum(t in core for t in rich_samples) / len(rich_samples)
    assert 0.005 < share_core < 0.2  # every slot and the template each take a core item half the time
    for concept, names in wording.colour_names().items():
        assert len(names) >= 20, concept
    assert all(len(ts) >= 8 for ts in wording.TEMPLATES.values())


@pytest.mark.slow
def test_own_wording_words_are_listed(core_train_words):
    """The frozen own-wording file's new words are all in OWN_WORDS, so training text never has them."""
    rows = [ln.split("\t") for ln in OWN_FILE.read_text().splitlines() if ln and not ln.startswith("#")]
    assert len(rows) >= 250 and all(len(r) == 3 for r in rows)
    families = [r[0] for r in rows]
    assert all(families.count(f) >= 50 for f in language.TEMPLATES)
    rich = set().union(*(_words(p) for ps in wording.extension_phrases().values() for p in ps))
    heldout = set().union(*map(_words, language.enumerate_instructions("heldout")))
    for _family, _, text in rows:
        new = _words(text) - core_train_words - rich - {"s"}  # "let's" splits into let + s
        assert new <= wording.OWN_WORDS, (text, new - wording.OWN_WORDS)
        assert not new & heldout, text
        assert new, f"{text!r} has no word outside the training grammar and the held-out split"


def test_colour_names_follow_the_hue_rule():
    from matplotlib.colors import XKCD_COLORS, to_rgb

    hues, _ = wording._hue_chroma(np.array([scene.COLOURS[c] for c in scene.COLOUR_NAMES], dtype=float))
    for colour, names in wording.colour_names().items():
        for name in names:
            hue, chroma = wording._hue_chroma(np.array(to_rgb(XKCD_COLORS["xkcd:" + name])) * 255.0)
            d = np.abs((hues - hue + 180) % 360 - 180)
            assert scene.COLOUR_NAMES[int(np.argmin(d))] == colour and chroma >= wording.MIN_CHROMA, name


def test_no_phrase_reads_two_ways():
    """No direction phrase is 'to'/'into' + a place phrase (push_direction vs push_to_place), no word of
    one shape's nouns is another shape's, and colour names share only modifiers (bright, light, ...)."""
    places = {p for ps in wording.PLACES.values() for p in ps}
    places |= {t for items in language.PLACE_WORDS.values() for t, _ in items}
    for phrases in wording.DIRECTIONS.values():
        for d in phrases:
            assert not any(d in (f"to {p}", f"into {p}") for p in places), d
    owner: dict[str, set[str]] = {}
    for shape, nouns in wording.SHAPE_NOUNS.items():
        for w in {w for n in nouns for w in n.split()} - {"piece", "one"}:
            owner.setdefault(w, set()).add(shape)
    assert all(len(v) == 1 for v in owner.values()), owner
    hue_words: dict[str, set[str]] = {}
    for colour, names in wording.colour_names().items():
        for w in {n.split()[-1] for n in names} | {colour}:
            hue_words.setdefault(w, set()).add(colour)
    assert all(len(v) == 1 for v in hue_words.values()), {w: v for w, v in hue_words.items() if len(v) > 1}


def test_grammar_size_exceeds_the_core_enumeration():
    core = language.enumerate_instructions("train")
    sizes = wording.grammar_size()
    assert set(sizes) == set(language.TEMPLATES)
    assert all(n > 100 * len(core) / len(sizes) for n in sizes.values()), sizes


def test_colour_names_need_no_network(monkeypatch):
    """The XKCD survey names come from matplotlib's own data: the rule runs with every socket refused."""
    import socket

    def refuse(*args, **kwargs):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    wording.colour_names.cache_clear()
    try:
        assert sum(len(v) for v in wording.colour_names().values()) > 100
    finally:
        wording.colour_names.cache_clear()
