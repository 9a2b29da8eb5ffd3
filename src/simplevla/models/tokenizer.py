"""A word-level tokenizer built from a dataset's task strings, with `<pad>` (0) and `<unk>` (1).

Words are lowercase runs of letters/digits. Encodings are cached per distinct string, since a dataset has
few distinct instructions and the training loop sees each of them thousands of times.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import torch

from simplevla.errors import SimplevlaError

PAD, UNK = "<pad>", "<unk>"
PAD_ID, UNK_ID = 0, 1
_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    """Split an instruction into lowercase words: 'Push the RED block!' -> ['push', 'the', 'red', 'block']."""
    return _WORD.findall(text.lower())


class WordTokenizer:
    """Maps words to ids; unknown words map to `<unk>`, padding to `<pad>` (id 0)."""

    def __init__(self, vocab: Sequence[str]) -> None:
        if list(vocab[:2]) != [PAD, UNK]:
            raise SimplevlaError(f"tokenizer vocab must start with {PAD!r}, {UNK!r}; got {list(vocab[:2])}")
        self.vocab = list(vocab)
        self.ids = {w: i for i, w in enumerate(self.vocab)}
        self._cache: dict[str, list[int]] = {}

    @classmethod
    def from_tasks(cls, tasks: Sequence[str]) -> WordTokenizer:
        """Vocabulary = every word of every task, sorted (so it does not depend on task order)."""
        return cls([PAD, UNK, *sorted({w for t in tasks for w in words(t)})])

    def __len__(self) -> int:
        return len(self.vocab)

    def encode(self, text: str) -> list[int]:
        ids = self._cache.get(text)
        if ids is None:
            ids = [self.ids.get(w, 1) for w in words(text)] or [1]  # an empty instruction reads as <unk>
            self._cache[text] = ids
        return ids

    def batch(self, texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Token ids (B, L) padded with 0, and lengths (B,)."""
        encoded = [self.encode(t) for t in texts]
        lengths = torch.tensor([len(e) for e in encoded], dtype=torch.long)  # (B,)
        ids = torch.zeros(len(encoded), int(lengths.max()), dtype=torch.long)  # (B, L)
        for i, e in enumerate(encoded):
            ids[i, : len(e)] = torch.tensor(e)
        return ids, lengths

    def to_json(self) -> dict:
        return {"type": "word", "vocab": self.vocab}

    @classmethod
    def from_json(cls, d: dict, source: str = "tokenizer.json") -> WordTokenizer:
        vocab = d.get("vocab")
        if d.get("type") != "word" or not isinstance(vocab, list):
            raise SimplevlaError(
                f"{source}: expected {{'type': 'word', 'vocab': [...]}}, got keys {sorted(d)}"
            )
        bad = next((i for i, w in enumerate(vocab) if not isinstance(w, str)), None)
        if bad is not None:
            raise SimplevlaError(
                f"{source}: field 'vocab' must be a list of words; entry {bad} is {type(vocab[bad]).__name__}"
            )
        if vocab[:2] != [PAD, UNK]:
            raise SimplevlaError(f"{source}: field 'vocab' must start with {PAD!r}, {UNK!r}; got {vocab[:2]}")
        return cls(vocab)
