"""Which training word does each snapping text encoder read an unseen word as? Paraphrases, word by word.

For `wordllama` (a word's pretrained vector, nearest training word) and `minilm_words` (a word's contextual
MiniLM vector, nearest training-word prototype), prints each paraphrase of `paraphrase_file.py`'s vocabulary
as the training words it is read as, and the share of probe words read as the word they mean. The training
words and prototypes come from every training-wording instruction. Run:

    python experiments/snap_neighbours.py [--sentences 12]
"""

from __future__ import annotations

import argparse
import random

from wordllama_probe import P_COLOURS, P_DIRS, P_SHAPES

from simplevla.envs.language import enumerate_instructions
from simplevla.models.minilm_words import MiniLMWordsText
from simplevla.models.text import WordLlamaText
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--sentences", type=int, default=40, help="probe sentences per slot (colour, shape, direction)"
    )
    args = ap.parse_args()
    tasks = sorted(enumerate_instructions("train"))
    vocab = WordTokenizer.from_tasks(tasks)
    known = vocab.vocab[2:]
    probes = probe_sentences(random.Random(0), args.sentences)
    encoders = {
        "wordllama": WordLlamaText(8, vocab=vocab, snap=0.02),
        "minilm_words": MiniLMWordsText(8, vocab, snap=0.02, tasks=tasks),
    }
    for name, enc in encoders.items():
        read = (
            enc.snap_weights
            if name == "minilm_words"
            else (lambda ts, e=enc: [e.word_vectors(t) for t in ts])
        )
        weights = read([p[0] for p in probes])
        right = {"colour": [], "shape": [], "direction": []}
        for (_, i, meant), w in zip(probes, weights, strict=True):
            slot = ("colour", "shape", "direction")[i - 2]
            right[slot].append(known[int(w[i].argmax())] in meant)
        shares = {k: f"{100 * sum(v) / len(v):.0f}%" for k, v in right.items()}
        print(f"{name}: probe words read as what they mean: {shares}")
        for (text, _, _), w in list(zip(probes, weights, strict=True))[:6]:
            print(f"  {text!r} -> {' '.join(known[int(j)] for j in w.argmax(-1))}")


if __name__ == "__main__":
    main()
