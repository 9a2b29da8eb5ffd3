"""The frozen token vectors and tokenizer that the `wordllama` package ships inside its wheel.

`load_wordllama()` reads them through the package's own loader, pointed at the package's folder with
downloads disabled, so nothing ever touches the network (the package's default would look for its
tokenizer elsewhere and then try to download it). The vectors are 256-d static token embeddings distilled
from LLaMA-2's embedding codebook; the tokenizer is LLaMA-2's SentencePiece BPE, so any word, seen or not,
becomes pieces that each have a vector.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from simplevla.errors import SimplevlaError

PACKAGE = "wordllama"
CONFIG_NAME = "l2_supercat"  # the 256-d vectors bundled in the wheel (weights/l2_supercat_256.safetensors)
DIM = 256
VECTORS = f"{CONFIG_NAME}_{DIM}"


@dataclass(frozen=True)
class WordVectors:
    """table (V, DIM) float32, the package's tokenizer, and what was loaded (package version, config)."""

    table: np.ndarray
    tokenizer: object  # tokenizers.Tokenizer
    version: str

    def ids(self, text: str) -> list[int]:
        """Token ids of `text` as the package tokenizes it (no special tokens); lower-cased first, since
        the instructions' case carries no meaning and LLaMA's pieces for 'RED' differ from 'red'."""
        ids = self.tokenizer.encode(text.lower(), add_special_tokens=False).ids
        return [min(max(i, 0), self.table.shape[0] - 1) for i in ids]


def installed_version(package: str) -> str | None:
    """The installed version of `package`, or None when it is missing."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


@functools.lru_cache(maxsize=1)
def load_wordllama() -> WordVectors:
    """The packaged vectors and tokenizer (cached per process); a SimplevlaError when the package is missing."""
    version = installed_version(PACKAGE)
    try:
        import wordllama
        from wordllama import WordLlama
    except ImportError as e:
        raise SimplevlaError(
            f"text encoder 'wordllama' needs the package {PACKAGE!r} (found: {version or 'none'}); "
            "install it: pip install 'wordllama>=0.4.0,<0.5' (a dependency of simplevla)"
        ) from e
    folder = Path(wordllama.__file__).parent
    try:
        model = WordLlama.load(config=CONFIG_NAME, cache_dir=folder, dim=DIM, disable_download=True)
    except (FileNotFoundError, ValueError) as e:
        raise SimplevlaError(
            f"{folder}: the {PACKAGE} {version} wheel lacks its bundled {CONFIG_NAME} {DIM}-d vectors ({e}); "
            f"reinstall it: pip install --force-reinstall 'wordllama>=0.4.0,<0.5'"
        ) from e
    table = np.ascontiguousarray(model.embedding, dtype=np.float32)  # (V, DIM)
    if table.ndim != 2 or table.shape[1] != DIM:
        raise SimplevlaError(f"{folder}: expected ({'V'}, {DIM}) token vectors, got {table.shape}")
    return WordVectors(table=table, tokenizer=model.tokenizer, version=version or "unknown")
