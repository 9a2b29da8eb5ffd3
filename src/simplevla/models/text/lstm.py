"""The tutorial's instruction encoder: a word tokenizer and Embedding+LSTM, trained from scratch."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from simplevla.models.text.sequences import take_rows, unique_in_order
from simplevla.models.tokenizer import PAD_ID, UNK_ID, WordTokenizer
from simplevla.models.tutorial import LanguageEncoder
from simplevla.transfer import to_device


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
        distinct, inverse = unique_in_order(texts)
        ids, lengths = self.tokenizer.batch(distinct)  # (U, L), (U,)
        if self.training and self.word_dropout > 0:
            drop = (torch.rand(ids.shape) < self.word_dropout) & (ids != PAD_ID)  # (U, L)
            ids = ids.masked_fill(drop, UNK_ID)
        device = self.net.embedding.weight.device
        feats = self.net(to_device(ids, device), lengths)  # (U, hidden)
        return take_rows(feats, inverse)  # (B, hidden)
