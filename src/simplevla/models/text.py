"""Instruction encoders: the tutorial's Embedding+LSTM (`lstm`), and frozen pretrained word vectors read
by a trainable LSTM (`wordllama`).

Each takes a list of B strings and returns (B, out_dim). A batch holds few distinct instructions, so each
encoder runs once per *distinct* string and scatters the result back to the batch.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from simplevla.basics.tutorial_vla import LanguageEncoder
from simplevla.models.tokenizer import PAD_ID, UNK_ID, WordTokenizer, words
from simplevla.transfer import to_device


def _unique(texts: Sequence[str]) -> tuple[list[str], torch.Tensor]:
    """Distinct strings (first-seen order) and, for each input, the index of its distinct string (B,)."""
    position: dict[str, int] = {}
    inverse = [position.setdefault(t, len(position)) for t in texts]
    return list(position), torch.tensor(inverse, dtype=torch.long)


class LSTMText(nn.Module):
    """Word tokenizer + the tutorial's `LanguageEncoder` (reading each string up to its true length).

    With `word_dropout` p > 0, training replaces each word by `<unk>` with chance p, so the encoder learns
    to read an instruction around a word it does not know, which is what every unseen synonym becomes.
    """

    def __init__(
        self, tokenizer: WordTokenizer, embed_dim: int, hidden_dim: int, word_dropout: float = 0.0
    ) -> None:
        super().__init__()
        self.tokenizer = tokenizer
        self.word_dropout = float(word_dropout)
        self.net = LanguageEncoder(vocab_size=len(tokenizer), embed_dim=embed_dim, hidden_dim=hidden_dim)
        self.out_dim = hidden_dim

    def forward(self, texts: Sequence[str]) -> torch.Tensor:
        distinct, inverse = _unique(texts)
        ids, lengths = self.tokenizer.batch(distinct)  # (U, L), (U,)
        if self.training and self.word_dropout > 0:
            drop = (torch.rand(ids.shape) < self.word_dropout) & (ids != PAD_ID)  # (U, L)
            ids = ids.masked_fill(drop, UNK_ID)
        device = self.net.embedding.weight.device
        feats = self.net(to_device(ids, device), lengths)  # (U, hidden)
        return feats[to_device(inverse, device)]  # (B, hidden)


class WordLlamaText(nn.Module):
    """Frozen wordllama word vectors -> a trainable LSTM whose last hidden state (B, hidden) is the feature.

    Every word, seen in training or not, is split into the package's LLaMA pieces, each with a pretrained
    vector, and a word reads as the mean of its pieces (table scaled to unit mean norm), so an unseen
    synonym arrives near the words it resembles instead of as `<unk>`.

    With `snap` > 0 and the training words (`vocab`), a word instead reads as a learned embedding mix of
    the training words nearest to it in the pretrained space: softmax(cosine / snap) over the vocabulary.
    A training word is (almost) its own embedding, as in the LSTM; an unseen word becomes its pretrained
    neighbours, so the LSTM never meets a vector it was not trained on.

    Training-time help, none of which sees held-out words: `word_dropout` replaces a word with chance p
    (snap: by a learned `<unk>` embedding, as the LSTM encoder does; else by zeros), so the encoder learns
    to read an instruction around a word it does not know, and `noise` adds Gaussian noise of about
    that norm to every pretrained word vector (read a word's neighbourhood, not one exact point; no-snap
    only). The table is loaded from the package, never saved.
    """

    def __init__(
        self,
        hidden_dim: int,
        word_dropout: float = 0.0,
        noise: float = 0.0,
        vocab: WordTokenizer | None = None,
        snap: float = 0.0,
        embed_dim: int = 64,
    ) -> None:
        super().__init__()
        from simplevla.models.wordvec import DIM, load_wordllama

        vectors = load_wordllama()
        self.vectors = vectors
        table = torch.from_numpy(vectors.table)  # (V, DIM)
        self.table = table / table.norm(dim=-1).mean()  # frozen, loaded from the package, never saved
        self.word_dropout, self.noise, self.snap = float(word_dropout), float(noise), float(snap)
        self._word_ids: dict[str, int] = {}  # word -> its row of the word table (filled as words appear)
        self._word_rows: list[torch.Tensor] = []
        self._word_table: torch.Tensor | None = None
        self._string_ids: dict[str, list[int]] = {}  # instruction -> its words' rows
        self.tokenizer = vocab if snap > 0 else None
        if self.tokenizer is not None:
            known = self.tokenizer.vocab[2:]  # the training words (after <pad>, <unk>)
            self._known = nn.functional.normalize(torch.stack([self._mean_vector(w) for w in known]), dim=-1)
            self.embedding = nn.Embedding(len(known) + 1, embed_dim)  # the training words, then <unk>
            in_dim = embed_dim
        else:
            in_dim = DIM
        self.lstm = nn.LSTM(in_dim, hidden_dim, batch_first=True)
        self.out_dim = hidden_dim

    def _mean_vector(self, word: str) -> torch.Tensor:
        return self.table[torch.tensor(self.vectors.ids(word) or [0])].mean(0)  # (DIM,)

    def _word_id(self, word: str) -> int:
        """The row of `word` in the word table, computing it the first time the word appears."""
        i = self._word_ids.get(word)
        if i is None:
            vec = self._mean_vector(word)  # (DIM,)
            if self.tokenizer is not None:
                cos = nn.functional.normalize(vec, dim=-1) @ self._known.T  # (K,)
                vec = torch.softmax(cos / self.snap, dim=-1)  # (K,)
            i = self._word_ids[word] = len(self._word_rows)
            self._word_rows.append(vec)
            self._word_table = None
        return i

    def word_vectors(self, text: str) -> torch.Tensor:
        """(W, DIM): one vector per word of `text`, the mean of its pieces' vectors; with `snap`, (W, K):
        each word's softmax weights over the K training words. Computed once per distinct word (a rich
        grammar's thousands of instructions share a few thousand words), looked up per string.
        Averaging pieces is how wordllama itself pools, so 'upper-left' reads as 'upper', 'left' and a
        rare word split into pieces still gets one vector near its meaning."""
        ids = self._string_ids.get(text)
        if ids is None:
            ids = self._string_ids[text] = [self._word_id(w) for w in words(text) or [""]]
        if self._word_table is None:
            self._word_table = torch.stack(self._word_rows)  # (N words, DIM or K)
        return self._word_table[ids]

    def forward(self, texts: Sequence[str]) -> torch.Tensor:
        distinct, inverse = _unique(texts)
        seqs = [self.word_vectors(t) for t in distinct]  # U x (W, DIM or K)
        drop = self.word_dropout if self.training else 0.0
        if self.tokenizer is not None:
            feats = read_snapped(seqs, self.embedding, self.lstm, drop)  # (U, hidden)
            return feats[to_device(inverse, feats.device)]  # (B, hidden)
        device = self.lstm.weight_ih_l0.device
        x = to_device(nn.utils.rnn.pad_sequence(seqs, batch_first=True), device)  # (U, W, DIM)
        if self.training and self.noise > 0:
            x = x + torch.randn_like(x) * (self.noise / x.shape[-1] ** 0.5)  # noise of norm ~`noise`
        if drop > 0:
            x = x.masked_fill(torch.rand(x.shape[:2], device=device).unsqueeze(-1) < drop, 0.0)  # (U, W, DIM)
        return _last_state(self.lstm, x, seqs)[to_device(inverse, device)]  # (B, hidden)


def _last_state(
    lstm: nn.LSTM, x: torch.Tensor, seqs: Sequence[torch.Tensor], packed: bool | None = None
) -> torch.Tensor:
    """(U, hidden): the LSTM's state after each string's last word; x (U, W, D) padded, seqs give lengths.

    Packed (the default off CUDA) or, on CUDA, over the padded batch, reading each string's output at its
    last word: the same state (the LSTM is causal), without packing's sort, which waits for the GPU."""
    lengths = torch.tensor([len(q) for q in seqs], dtype=torch.long)  # (U,)
    if packed is None:
        packed = x.device.type != "cuda"
    if not packed:
        out, _ = lstm(x)  # (U, W, hidden)
        last = to_device(lengths - 1, x.device)  # (U,)
        return out[torch.arange(len(seqs), device=x.device), last]  # (U, hidden)
    packed_x = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    _, (h, _) = lstm(packed_x)  # (1, U, hidden)
    return h[-1]


def read_snapped(
    seqs: Sequence[torch.Tensor], embedding: nn.Embedding, lstm: nn.LSTM, word_dropout: float = 0.0
) -> torch.Tensor:
    """(U, hidden) from U strings of snap weights (W, K) over the K training words: each word is the
    weighted mix of the training words' embeddings (`embedding` has K + 1 rows, the last `<unk>`), a word
    dropped with chance `word_dropout` reads as `<unk>`, and the LSTM reads the sequence."""
    device = lstm.weight_ih_l0.device
    x = to_device(nn.utils.rnn.pad_sequence(seqs, batch_first=True), device)  # (U, W, K)
    x = x @ embedding.weight[:-1]  # (U, W, E)
    if word_dropout > 0:
        drop = torch.rand(x.shape[:2], device=device).unsqueeze(-1) < word_dropout  # (U, W, 1)
        x = torch.where(drop, embedding.weight[-1], x)  # (U, W, E)
    return _last_state(lstm, x, seqs)
