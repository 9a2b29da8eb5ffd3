"""The `wordllama` text encoder: packaged vectors loaded offline, save/load, and the missing-package error."""

from __future__ import annotations

import json
import socket
import sys

import pytest
import torch

pytest.importorskip("wordllama", reason="the 'wordllama' package is not installed")

from model_helpers import STATS, TASKS, TINY, make_batch  # noqa: E402

from simplevla import load_policy  # noqa: E402
from simplevla.errors import SimplevlaError  # noqa: E402
from simplevla.models import PolicyConfig, make_policy, save_policy  # noqa: E402
from simplevla.models import io as checkpoint_mod  # noqa: E402
from simplevla.models.text import wordvec  # noqa: E402
from simplevla.models.text.wordllama import SnapText, WordLlamaText  # noqa: E402


@pytest.fixture()
def no_network(monkeypatch):
    """Any attempt to open a network connection fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(var, raising=False)


def test_vectors_load_offline_and_every_word_gets_pieces(no_network):
    wordvec.load_wordllama.cache_clear()
    vectors = wordvec.load_wordllama()
    assert vectors.table.shape[1] == wordvec.DIM and vectors.table.shape[0] > 30000
    assert vectors.version == wordvec.installed_version("wordllama")
    for word in ("crimson", "xyzzyplugh", "upper-left"):  # rare, nonsense and hyphenated words all get pieces
        assert len(vectors.ids(word)) >= 1
    assert vectors.ids("Push the RED one") == vectors.ids("push the red one")  # case carries no meaning


def test_pretrained_vectors_know_words_the_training_never_shows(no_network):
    enc = WordLlamaText(8)

    def cos(a: str, b: str) -> float:
        return torch.nn.functional.cosine_similarity(
            enc.word_vectors(a)[0], enc.word_vectors(b)[0], dim=0
        ).item()

    # a word's pretrained neighbours are related words: no training involved, an independent truth
    assert cos("leftwards", "left") > cos("leftwards", "right")
    assert cos("triangular", "triangle") > cos("triangular", "circle")
    assert cos("downwards", "down") > cos("downwards", "up")


def test_encoder_shapes_caching_and_training_noise():
    enc = WordLlamaText(hidden_dim=12, word_dropout=0.2, noise=0.5)
    enc.eval()
    out = enc([TASKS[0], TASKS[1], TASKS[0], "shove the cobalt pyramid"])
    assert out.shape == (4, 12) and torch.isfinite(out).all()
    torch.testing.assert_close(out[0], out[2])
    torch.testing.assert_close(enc([TASKS[1]])[0], out[1])  # eval mode is deterministic
    enc.train()
    torch.manual_seed(0)
    noisy = enc([TASKS[0]])
    assert not torch.allclose(noisy[0], out[0])  # dropout and noise act in training only
    assert "table" not in enc.state_dict()  # the frozen vectors come from the package, never the file
    assert all(p.requires_grad for p in enc.parameters())


@pytest.mark.parametrize("extra", [dict(text_noise=0.3), dict(text_snap=0.02)])
def test_wordllama_policy_saves_loads_and_records_the_package(tmp_path, extra):
    cfg = PolicyConfig(**TINY, text="wordllama", **extra)
    policy = make_policy(cfg, STATS, TASKS)
    batch = make_batch(cfg, batch_size=3)
    loss, _ = policy(batch)
    loss.backward()
    policy.eval()
    ckpt = save_policy(policy, tmp_path / "ckpt")
    meta = json.loads((ckpt / "config.json").read_text())
    assert meta["text_encoder"] == {
        "package": "wordllama",
        "version": wordvec.installed_version("wordllama"),
        "vectors": wordvec.VECTORS,
    }
    assert (ckpt / "tokenizer.json").exists() == (cfg.text_snap > 0)  # snapping needs the training words
    loaded = load_policy(ckpt)
    assert loaded.config == policy.config
    torch.testing.assert_close(loaded.predict_action_chunk(batch), policy.predict_action_chunk(batch))


def test_missing_package_is_a_clear_error(tmp_path, monkeypatch):
    cfg = PolicyConfig(**TINY, text="wordllama")
    ckpt = save_policy(make_policy(cfg, STATS, TASKS), tmp_path / "ckpt")
    monkeypatch.setattr(checkpoint_mod, "installed_version", lambda package: None)
    with pytest.raises(SimplevlaError, match=r"config\.json: policy\.text is 'wordllama'.*not installed"):
        load_policy(ckpt)
    monkeypatch.setitem(sys.modules, "wordllama", None)  # `import wordllama` now raises ImportError
    wordvec.load_wordllama.cache_clear()
    try:
        with pytest.raises(SimplevlaError, match=r"pip install 'wordllama>=0.4.0,<0.5'"):
            make_policy(cfg, STATS, TASKS)
    finally:
        wordvec.load_wordllama.cache_clear()


def test_version_mismatch_warns(tmp_path, monkeypatch):
    ckpt = save_policy(make_policy(PolicyConfig(**TINY, text="wordllama"), STATS, TASKS), tmp_path / "c")
    monkeypatch.setattr(checkpoint_mod, "installed_version", lambda package: "9.9.9")
    with pytest.warns(UserWarning, match="trained with wordllama"):
        load_policy(ckpt)


def test_text_noise_needs_wordllama():
    with pytest.raises(SimplevlaError, match="text_noise"):
        PolicyConfig(**TINY, text="lstm", text_noise=0.5)


def test_snap_reads_training_words_as_themselves_and_unseen_words_as_neighbours():
    from simplevla.models.tokenizer import WordTokenizer

    vocab = WordTokenizer.from_tasks(["push the circle left", "move the triangle down", "go to the square"])
    enc = SnapText(hidden_dim=8, vocab=vocab, snap=0.02)
    known = vocab.vocab[2:]
    weights = enc.word_vectors(" ".join(known))  # (W, K): one row per word
    assert torch.all(weights.argmax(-1) == torch.arange(len(known)))  # each training word is itself
    assert weights.diagonal().min() > 0.99
    for unseen, nearest in (("leftwards", "left"), ("downwards", "down"), ("triangular", "triangle")):
        row = enc.word_vectors(unseen)[0]  # its pretrained neighbours, no training involved
        assert known[int(row.argmax())] == nearest, (unseen, known[int(row.argmax())])
    assert "embedding.weight" in enc.state_dict() and enc.embedding.num_embeddings == len(known) + 1


def test_default_preset_snaps_and_other_encoders_drop_it():
    assert PolicyConfig().text == "wordllama" and PolicyConfig().text_snap > 0
    assert PolicyConfig(text="lstm").text_snap == 0.0
    assert PolicyConfig(text_noise=0.5).text_snap == 0.0
    with pytest.raises(SimplevlaError, match="text_snap"):
        PolicyConfig(text="lstm", text_snap=0.02)


def test_lstm_state_read_from_the_padded_run_equals_the_packed_one():
    from simplevla.models.text.sequences import last_state

    torch.manual_seed(0)
    lstm = torch.nn.LSTM(5, 7, batch_first=True)
    seqs = [torch.randn(n, 5) for n in (3, 1, 4)]
    x = torch.nn.utils.rnn.pad_sequence(seqs, batch_first=True)  # (3, 4, 5)
    with torch.no_grad():
        packed, padded = last_state(lstm, x, seqs, packed=True), last_state(lstm, x, seqs, packed=False)
    assert torch.allclose(packed, padded, atol=1e-6)


def test_snapped_words_mixed_once_per_distinct_word_equal_the_dense_mix():
    """`read_snapped` mixes each distinct word's embedding once; the reference builds the padded (U, W, K)
    snap weights, multiplies them by the embeddings and reads the LSTM packed. Same values and gradients."""
    from simplevla.models.text.sequences import last_state
    from simplevla.models.text.wordllama import read_snapped
    from simplevla.models.tokenizer import WordTokenizer

    vocab = WordTokenizer.from_tasks(["push the red circle left", "move the blue triangle down", "go"])
    torch.manual_seed(0)
    enc = SnapText(hidden_dim=8, vocab=vocab, snap=0.02, embed_dim=6)
    texts = [
        "push the red circle left",
        "go",
        "move the circle leftwards down",
        "push the blue blue triangle",
    ]
    ids = [enc.words.ids(t) for t in texts]
    fast = read_snapped(ids, enc.words.matrix(), enc.embedding, enc.lstm)  # (U, hidden)
    (g_fast,) = torch.autograd.grad(fast.square().sum(), enc.embedding.weight)
    seqs = [enc.word_vectors(t) for t in texts]  # U x (W, K)
    dense = torch.nn.utils.rnn.pad_sequence(seqs, batch_first=True) @ enc.embedding.weight[:-1]  # (U, W, E)
    slow = last_state(enc.lstm, dense, seqs, packed=True)  # (U, hidden)
    (g_slow,) = torch.autograd.grad(slow.square().sum(), enc.embedding.weight)
    torch.testing.assert_close(fast, slow, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(g_fast, g_slow, atol=1e-6, rtol=1e-5)
    assert torch.equal(enc(texts), fast)  # the encoder's own forward is this read


def test_snapped_read_does_not_depend_on_the_order_words_were_first_met():
    """A resumed run meets the training words in another order, so its word table numbers them otherwise;
    the features and the embedding gradient of a batch must come out bit for bit the same."""
    from simplevla.models.tokenizer import WordTokenizer

    tasks = ["push the red circle left", "move the blue triangle down", "go to the green square", "go"]
    vocab = WordTokenizer.from_tasks(tasks)
    torch.manual_seed(0)
    first = SnapText(hidden_dim=8, vocab=vocab, snap=1.0, embed_dim=6)  # dense mixes: every word counts
    second = SnapText(hidden_dim=8, vocab=vocab, snap=1.0, embed_dim=6)
    second.load_state_dict(first.state_dict())
    for t in tasks:  # the two meet the training words in opposite orders
        first.words.ids(t)
    for t in reversed(tasks):
        second.words.ids(t)
    assert first.words.ids("go") != second.words.ids("go")  # numbered differently
    batch = ["move the red square down", "go", "push the blue circle left", "go to the green triangle"]
    grads = []
    for enc in (first, second):
        out = enc(batch)  # (U, hidden)
        grads.append((out, *torch.autograd.grad(out.square().sum(), enc.embedding.weight)))
    assert torch.equal(grads[0][0], grads[1][0]) and torch.equal(grads[0][1], grads[1][1])


def test_snapped_read_gradient_is_the_same_every_time_on_two_threads():
    """Placing the distinct words' mixes at their positions must sum the gradient in a fixed order: an
    indexed read (`mixed[index]`) accumulates its gradient in whatever order two threads reach the repeated
    rows, and a training run then drifts from its own rerun (2026-12-08: the same run twice, 300 steps,
    final loss 1.596 against 1.616)."""
    from simplevla.models.tokenizer import WordTokenizer

    words = "push move the red blue green circle triangle square left down go".split()
    vocab = WordTokenizer.from_tasks([" ".join(words)])
    torch.manual_seed(0)
    enc = SnapText(hidden_dim=32, vocab=vocab, snap=0.02, embed_dim=64)
    gen = torch.Generator().manual_seed(1)
    picks = torch.randint(0, len(words), (256, 9), generator=gen)  # 256 instructions of 9 words, many repeats
    batch = [" ".join(words[int(i)] for i in row) for row in picks]
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        grads = [torch.autograd.grad(enc(batch).sum(), enc.embedding.weight)[0] for _ in range(6)]
    finally:
        torch.set_num_threads(threads)
    assert all(torch.equal(g, grads[0]) for g in grads[1:])
