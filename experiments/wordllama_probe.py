"""Which text encoder settings read unseen wording best? A text-only probe, no held-out split used.

An encoder (`WordLlamaText` over the packaged token vectors, or the `lstm` baseline) plus one linear head
per slot is trained to name the family, the object's colour and shape, the place and the direction of
training-wording instructions, then scored on paraphrases written for this probe: their words and templates
are in neither the training nor the held-out wording (`PARAPHRASES` below). Run:

    python experiments/wordllama_probe.py [--steps 600] [--configs raw raw_noise_drop snap0.02_drop lstm]
"""

from __future__ import annotations

import argparse
import itertools
import random

import torch
from torch import nn

from simplevla.envs.tabletop import language as L
from simplevla.envs.tabletop import scene
from simplevla.models.text.lstm import LSTMText
from simplevla.models.text.wordllama import SnapText, WordLlamaText
from simplevla.models.tokenizer import WordTokenizer

SLOTS = {
    "family": list(L.TEMPLATES),
    "colour": ["", *scene.COLOUR_NAMES],
    "shape": ["", *scene.SHAPES],
    "place": ["", *L.PLACE_WORDS],
    "dir": ["", *L.DIRECTION_WORDS],
}

# Paraphrase vocabulary of this probe: none of these words or templates is in language.py.
P_COLOURS = {
    "red": ["scarlet", "cherry"],
    "green": ["lime", "jade"],
    "blue": ["navy", "cobalt"],
    "yellow": ["lemon", "banana"],
    "purple": ["lilac", "lavender"],
}
P_SHAPES = {
    "circle": ["ball", "round piece"],
    "square": ["cube", "block"],
    "triangle": ["pyramid", "triangular piece"],
}
P_PLACES = {
    "top_left": "the far top left",
    "top": "the top side",
    "top_right": "the far top right",
    "left": "the far left",
    "center": "the very middle",
    "right": "the far right",
    "bottom_left": "the far bottom left",
    "bottom": "the bottom side",
    "bottom_right": "the far bottom right",
}
P_DIRS = {
    "left": ["leftwards", "toward the left"],
    "right": ["rightwards", "toward the right"],
    "up": ["upwards", "higher"],
    "down": ["downwards", "lower"],
}
PARAPHRASES = {
    "reach": ["go touch {obj}", "drive over to {obj}"],
    "push_to_place": ["shift {obj} to {place}", "drag {obj} toward {place}"],
    "push_direction": ["shift {obj} {dir}", "drag {obj} {dir}"],
    "push_next_to": ["put {obj} by {obj2}", "drag {obj} near {obj2}"],
    "separate": ["split {obj} and {obj2}", "keep {obj} away from {obj2}"],
}


def _train_examples() -> list[tuple[str, dict]]:
    """Training-wording instructions with their slot labels."""
    out = []
    refs = [
        r for c in scene.COLOUR_NAMES for s in scene.SHAPES for r in L.ref_phrases(c, s, ("cs", "c", "s"))
    ]
    refs = [r for r in refs if not r[1]]
    for family, templates in L.TEMPLATES.items():
        for (template, held), verb in itertools.product(templates, L.VERBS[L.FAMILY_VERBS[family]]):
            if held or verb[1]:
                continue
            for _ in range(60):
                r, r2 = random.choice(refs), random.choice(refs)
                lab = {"family": family, "colour": r[3], "shape": r[4], "place": "", "dir": ""}
                vals = {"verb": verb[0], "obj": r[0], "obj2": r2[0]}
                if "{place}" in template:
                    lab["place"] = random.choice(list(L.PLACE_WORDS))
                    vals["place"] = random.choice([w for w, h in L.PLACE_WORDS[lab["place"]] if not h])
                if "{dir}" in template:
                    lab["dir"] = random.choice(list(L.DIRECTION_WORDS))
                    vals["dir"] = random.choice([w for w, h in L.DIRECTION_WORDS[lab["dir"]] if not h])
                out.append((template.format(**vals), lab))
    return out


def _paraphrases(n: int = 1500) -> list[tuple[str, dict]]:
    out = []
    for _ in range(n):
        family = random.choice(list(PARAPHRASES))
        template = random.choice(PARAPHRASES[family])
        colour, shape = random.choice(list(P_COLOURS)), random.choice(list(P_SHAPES))
        kind = random.choice(["c", "s", "cs"])
        c, s = random.choice(P_COLOURS[colour]), random.choice(P_SHAPES[shape])
        obj = {"c": f"the {c} piece", "s": f"the {s}", "cs": f"the {c} {s}"}[kind]
        lab = {
            "family": family,
            "colour": colour if "c" in kind else "",
            "shape": shape if "s" in kind else "",
            "place": "",
            "dir": "",
        }
        vals = {"obj": obj, "obj2": "the other one"}
        if "{place}" in template:
            lab["place"] = random.choice(list(P_PLACES))
            vals["place"] = P_PLACES[lab["place"]]
        if "{dir}" in template:
            lab["dir"] = random.choice(list(P_DIRS))
            vals["dir"] = random.choice(P_DIRS[lab["dir"]])
        out.append((template.format(**vals), lab))
    return out


def _encoder(name: str, tasks: list[str]) -> nn.Module:
    if name == "lstm":
        return LSTMText(WordTokenizer.from_tasks(tasks), 64, 128, word_dropout=0.1)
    noise = 0.5 if "noise" in name else 0.0
    drop = 0.1 if "drop" in name else 0.0
    if "snap" in name:  # e.g. snap0.05: read words as their nearest training words, at that temperature
        snap = float(name.split("snap")[1].split("_")[0])
        vocab = WordTokenizer.from_tasks(tasks)
        return SnapText(128, vocab, snap, word_dropout=drop, embed_dim=64)
    return WordLlamaText(128, word_dropout=drop, noise=noise)


def probe(name: str, train: list, test: list, steps: int) -> dict[str, float]:
    torch.manual_seed(0)
    enc = _encoder(name, [t for t, _ in train])
    heads = nn.ModuleDict({k: nn.Linear(enc.out_dim, len(v)) for k, v in SLOTS.items()})
    opt = torch.optim.Adam([*enc.parameters(), *heads.parameters()], lr=2e-3)
    target = {k: torch.tensor([[SLOTS[k].index(lab[k]) for _, lab in train]]) for k in SLOTS}
    for _ in range(steps):
        idx = torch.randint(len(train), (64,))
        feats = enc([train[i][0] for i in idx])  # (64, D)
        loss = sum(nn.functional.cross_entropy(heads[k](feats), target[k][0, idx]) for k in SLOTS)
        opt.zero_grad()
        loss.backward()
        opt.step()
    enc.eval()
    with torch.no_grad():
        feats = enc([t for t, _ in test])
    scores = {}
    for k in SLOTS:  # accuracy over the test instructions that name this slot
        pred = heads[k](feats).argmax(-1)
        rows = [i for i, (_, lab) in enumerate(test) if lab[k] or k == "family"]
        gold = torch.tensor([SLOTS[k].index(test[i][1][k]) for i in rows])
        scores[k] = round(100 * (pred[rows] == gold).float().mean().item(), 1)
    return scores


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument(
        "--configs", nargs="+", default=["raw", "raw_noise_drop", "snap0.02_drop", "snap0.05_drop", "lstm"]
    )
    args = ap.parse_args()
    random.seed(0)
    train, test = _train_examples(), _paraphrases()
    print(f"{len(train)} training-wording instructions, {len(test)} probe paraphrases, e.g. {test[0][0]!r}")
    for name in args.configs:
        print(name, probe(name, train, test, args.steps), flush=True)


if __name__ == "__main__":
    main()
