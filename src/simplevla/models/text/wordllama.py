"""Instruction encoders over the frozen wordllama word vectors, each read by a trainable LSTM.

`WordLlamaText` feeds every word's pretrained vector to the LSTM. `SnapText` (the `default` preset's) reads
a word as a learned embedding mix of the training words nearest to it in the pretrained space, so the LSTM
never meets a vector it was not trained on. Both look words up through one `WordTable`.

Every word, seen in training or not, is split into the package's LLaMA pieces, each with a pretrained vector,
and a word reads as the mean of its pieces (table scaled to unit mean norm), so an unseen synonym arrives
near the words it resembles instead of as `<unk>`. The table is loaded from the package, never saved.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from simplevla.models.text.sequences import last_state, take_rows, unique_in_order
from simplevla.models.text.wordvec import DIM, load_wordllama
from simplevla.models.tokenizer import WordTokenizer, words
from simplevla.transfer import to_device


class WordTable:
    """Per-word rows: each word's pretrained vector (the mean of its pieces'), optionally mapped by `row_of`,
    computed once per distinct word (a rich grammar's thousands of instructions share a few thousand words)
    and looked up per string."""

    def __init__(self) -> None:
        self.vectors = load_wordllama()
        table = torch.from_numpy(self.vectors.table)  # (V, DIM)
        self.table = table / table.norm(dim=-1).mean()  # frozen, loaded from the package, never saved
        self._word_ids: dict[str, int] = {}  # word -> its row (filled as words appear)
        self._word_rows: list[torch.Tensor] = []
        self._word_table: torch.Tensor | None = None
        self._string_ids: dict[str, list[int]] = {}  # instruction -> its words' rows
        self.row_of: Callable[[torch.Tensor], torch.Tensor] | None = None  # e.g. snapping

    def mean_vector(self, word: str) -> torch.Tensor:
        """(DIM,): the mean of `word`'s pieces' vectors. Averaging pieces is how wordllama itself pools, so
        'upper-left' reads as 'upper', 'left' and a rare word split into pieces still gets one vector near
        its meaning."""
        return self.table[torch.tensor(self.vectors.ids(word) or [0])].mean(0)  # (DIM,)

    def _word_id(self, word: str) -> int:
        i = self._word_ids.get(word)
        if i is None:
            i = self._word_ids[word] = len(self._word_rows)
            vec = self.mean_vector(word)  # (DIM,)
            self._word_rows.append(vec if self.row_of is None else self.row_of(vec))
            self._word_table = None
        return i

    def ids(self, text: str) -> list[int]:
        """The rows of `text`'s words in `matrix()`, in order (an empty string reads as one empty word)."""
        ids = self._string_ids.get(text)
        if ids is None:
            ids = self._string_ids[text] = [self._word_id(w) for w in words(text) or [""]]
        return ids

    def matrix(self) -> torch.Tensor:
        """(N words, D): every row computed so far; call after `ids` for the words it must hold."""
        if self._word_table is None:
            self._word_table = torch.stack(self._word_rows)  # (N words, D)
        return self._word_table

    def rows(self, text: str) -> torch.Tensor:
        """(W, D): one row per word of `text`."""
        ids = self.ids(text)
        return self.matrix()[ids]


class WordLlamaText(nn.Module):
    """Frozen wordllama word vectors -> a trainable LSTM whose last hidden state (B, hidden) is the feature.

    Training-time help, none of which sees held-out words: `word_dropout` zeroes a word with chance p, so
    the encoder learns to read an instruction around a word it does not know, and `noise` adds Gaussian
    noise of about that norm to every word vector (read a word's neighbourhood, not one exact point).
    """

    def __init__(self, hidden_dim: int, word_dropout: float = 0.0, noise: float = 0.0) -> None:
        super().__init__()
        self.words = WordTable()
        self.word_dropout, self.noise = float(word_dropout), float(noise)
        self.lstm = nn.LSTM(DIM, hidden_dim, batch_first=True)
        self.out_dim = hidden_dim

    def word_vectors(self, text: str) -> torch.Tensor:
        """(W, DIM): one pretrained vector per word of `text`."""
        return self.words.rows(text)

    def forward(self, texts: Sequence[str]) -> torch.Tensor:
        distinct, inverse = unique_in_order(texts)
        seqs = [self.word_vectors(t) for t in distinct]  # U x (W, DIM)
        device = self.lstm.weight_ih_l0.device
        x = to_device(nn.utils.rnn.pad_sequence(seqs, batch_first=True), device)  # (U, W, DIM)
        if self.training and self.noise > 0:
            x = x + torch.randn_like(x) * (self.noise / x.shape[-1] ** 0.5)  # noise of norm ~`noise`
        if self.training and self.word_dropout > 0:
            drop = torch.rand(x.shape[:2], device=device).unsqueeze(-1) < self.word_dropout  # (U, W, 1)
            x = x.masked_fill(drop, 0.0)  # (U, W, DIM)
        return take_rows(last_state(self.lstm, x, seqs), inverse)  # (B, hidden)


class SnapText(nn.Module):
    """Each word as softmax(cosine / `snap`) over the K training words (`vocab`) in the pretrained space,
    mixing learned embeddings of those words; a trainable LSTM reads the sequence.

    A training word is (almost) its own embedding, as in the LSTM encoder; an unseen word becomes its
    pretrained neighbours. `word_dropout` replaces a word by a learned `<unk>` embedding with chance p.
    """

    def __init__(
        self,
        hidden_dim: int,
        vocab: WordTokenizer,
        snap: float,
        word_dropout: float = 0.0,
        embed_dim: int = 64,
    ) -> None:
        super().__init__()
        self.words = WordTable()
        self.tokenizer = vocab  # saved with the checkpoint: the training words define the mix
        self.word_dropout, self.snap = float(word_dropout), float(snap)
        known = vocab.vocab[2:]  # the training words (after <pad>, <unk>)
        self._known = nn.functional.normalize(torch.stack([self.words.mean_vector(w) for w in known]), dim=-1)
        self.words.row_of = self._snap
        self.embedding = nn.Embedding(len(known) + 1, embed_dim)  # the training words, then <unk>
        self.lstm = nn.LSTM(embed_dim, hidden_dim, batch_first=True)
        self.out_dim = hidden_dim

    def _snap(self, vec: torch.Tensor) -> torch.Tensor:
        cos = nn.functional.normalize(vec, dim=-1) @ self._known.T  # (K,)
        return torch.softmax(cos / self.snap, dim=-1)  # (K,)

    def word_vectors(self, text: str) -> torch.Tensor:
        """(W, K): each word's softmax weights over the K training words."""
        return self.words.rows(text)

    def forward(self, texts: Sequence[str]) -> torch.Tensor:
        distinct, inverse = unique_in_order(texts)
        ids = [self.words.ids(t) for t in distinct]  # U lists of word rows
        drop = self.word_dropout if self.training else 0.0
        feats = read_snapped(ids, self.words.matrix(), self.embedding, self.lstm, drop)  # (U, hidden)
        return take_rows(feats, inverse)  # (B, hidden)


def read_snapped(
    ids: Sequence[Sequence[int]],
    weights: torch.Tensor,
    embedding: nn.Embedding,
    lstm: nn.LSTM,
    word_dropout: float = 0.0,
) -> torch.Tensor:
    """(U, hidden) from U strings, each a list of rows of `weights` (N words, K): a word's snap weights
    over the K training words. Each word is the weighted mix of the training words' embeddings
    (`embedding` has K + 1 rows, the last `<unk>`), a word dropped with chance `word_dropout` reads as
    `<unk>`, and the LSTM reads the sequence. The mix is computed once per distinct word of the batch
    (a batch of 64 instructions repeats most of its words), then placed at each word's positions.

    The distinct words are taken in order of first appearance in the batch, never in the order of their
    rows: rows are numbered as a process first meets words, so a run resumed from a checkpoint numbers
    them differently, and the embedding gradient, a sum over the distinct words, must not depend on it."""
    device = lstm.weight_ih_l0.device
    width = max(len(q) for q in ids)
    padded = [r for q in ids for r in [*q, *q[-1:] * (width - len(q))]]  # past a string's end: its last word
    rows, index = unique_in_order(padded)  # n distinct rows, (U * W,)
    mixed = to_device(weights[rows], device) @ embedding.weight[:-1]  # (n, E): each distinct word once
    x = take_rows(mixed, index).view(len(ids), width, -1)  # (U, W, E)
    if word_dropout > 0:
        drop = torch.rand(x.shape[:2], device=device).unsqueeze(-1) < word_dropout  # (U, W, 1)
        x = torch.where(drop, embedding.weight[-1], x)  # (U, W, E)
    return last_state(lstm, x, ids)
