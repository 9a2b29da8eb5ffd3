"""Which training word does the snapping text encoder read an unseen word as? Paraphrases, word by word.

For `wordllama` (a word's pretrained vector, nearest training word), prints each paraphrase of
`paraphrase_file.py`'s vocabulary as the training words it is read as, and the share of probe words read as
a word of the concept they mean. The training words come from every core training-wording instruction, or
(`--rich`) also from the rich training grammar's instructions (`envs/tabletop/wording.py`). Run:

    python experiments/snap_neighbours.py [--sentences 12] [--rich]
"""

from __future__ import annotations

import argparse
import random

from wordllama_probe import P_COLOURS, P_DIRS, P_SHAPES

from simplevla.envs.tabletop import language, reading, wording
from simplevla.envs.tabletop.language import enumerate_instructions
from simplevla.models.text.wordllama import SnapText
from simplevla.models.tokenizer import WordTokenizer


def probe_sentences(rng: random.Random, n: int) -> list[tuple[str, int, set[str]]]:
    """(sentence, index of the probe word, the training words it means)."""
    out = []
    for _ in range(n):
        colour, shape, d = rng.choice(list(P_COLOURS)), rng.choice(list(P_SHAPES)), rng.choice(list(P_DIRS))
        c, s = rng.choice(P_COLOURS[colour]), rng.choice(P_SHAPES[shape]).split()[0]
        out.append((f"push the {c} {shape} to the left", 2, {colour}))
        out.append(
            (f"push the {colour} {s} to the left", 3, {shape, "object", "one"} if s == "piece" else {shape})
        )
        one_word = [w for w in P_DIRS[d] if " " not in w]  # leftwards, higher, ...: never a training word
        out.append((f"push the {colour} {shape} {rng.choice(one_word)}", 4, {d, d + "ward"}))
    return out


def _concepts(rich: bool) -> dict[str, set[str]]:
    """Training word -> the concepts (colour, shape or direction names) whose phrases use it alone."""
    groups = {**language.COLOUR_WORDS, **language.SHAPE_WORDS, **language.DIRECTION_WORDS}
    phrases = {k: [t for t, held in v if not held] for k, v in groups.items()}
    if rich:
        for k, extra in {**wording.colour_names(), **wording.SHAPE_NOUNS, **wording.DIRECTIONS}.items():
            phrases[k] = phrases[k] + list(extra)
    out: dict[str, set[str]] = {}
    for k, ps in phrases.items():
        for p in ps:
            if " " not in p:
                out.setdefault(p, set()).add(k)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--sentences", type=int, default=40, help="probe sentences per slot (colour, shape, direction)"
    )
    ap.add_argument("--rich", action="store_true", help="training words of the rich grammar too")
    args = ap.parse_args()
    tasks = sorted(enumerate_instructions("train"))
    if args.rich:
        tasks += reading.sample_pool(0, 20_000)[0]
    vocab = WordTokenizer.from_tasks(tasks)
    known = vocab.vocab[2:]
    concept = _concepts(args.rich)
    probes = probe_sentences(random.Random(0), args.sentences)
    encoders = {"wordllama": SnapText(8, vocab=vocab, snap=0.02)}
    for name, enc in encoders.items():
        weights = [enc.word_vectors(p[0]) for p in probes]
        right = {"colour": [], "shape": [], "direction": []}
        for (_, i, meant), w in zip(probes, weights, strict=True):
            slot = ("colour", "shape", "direction")[i - 2]
            read_as = known[int(w[i].argmax())]
            right[slot].append(read_as in meant or bool(concept.get(read_as, set()) & meant))
        shares = {k: f"{100 * sum(v) / len(v):.0f}%" for k, v in right.items()}
        print(f"{name}: probe words read as what they mean: {shares}")
        for (text, _, _), w in list(zip(probes, weights, strict=True))[:6]:
            print(f"  {text!r} -> {' '.join(known[int(j)] for j in w.argmax(-1))}")


if __name__ == "__main__":
    main()
