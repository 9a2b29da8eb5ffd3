"""Parts of a policy checked against closed forms: tokenizer, normalizer, spatial softmax, FiLM, heads."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from model_helpers import STATS, TASKS

from simplevla import keys
from simplevla.errors import SimplevlaError
from simplevla.models.config import LEGACY_DEFAULTS, PolicyConfig
from simplevla.models.fusion import FiLMGenerator
from simplevla.models.heads import ChunkHead, TanhHead
from simplevla.models.normalize import Normalizer
from simplevla.models.text.lstm import LSTMText
from simplevla.models.tokenizer import WordTokenizer
from simplevla.models.vision import ConvNet, SpatialSoftmax, TutorialVision
from simplevla.models.wrist import WristNet, crop_around


def test_tokenizer_vocab_pad_unk_and_cache():
    tok = WordTokenizer.from_tasks(TASKS)
    assert tok.vocab[:2] == ["<pad>", "<unk>"]
    assert len(tok) == 2 + len({w for t in TASKS for w in t.split()})
    ids = tok.encode("Push the RED block, quickly!")
    assert ids[:4] == [tok.ids["push"], tok.ids["the"], tok.ids["red"], tok.ids["block"]]
    assert ids[4] == 1  # 'quickly' is unknown
    assert tok.encode("Push the RED block, quickly!") is ids  # cached per distinct string
    batch, lengths = tok.batch(["reach the blue circle", "push"])
    assert batch.shape == (2, 4) and lengths.tolist() == [4, 1] and batch[1, 1:].eq(0).all()
    assert WordTokenizer.from_json(tok.to_json()).vocab == tok.vocab
    with pytest.raises(SimplevlaError):
        WordTokenizer(["a", "b"])


@pytest.mark.parametrize("mode", ["min_max", "mean_std"])
def test_normalizer_closed_form_and_inverse(mode):
    norm = Normalizer(STATS, 2, 2, mode)
    a = torch.tensor([[-1.0, 1.0], [0.5, 0.0]])
    expected = a if mode == "min_max" else a / 0.5  # min-max of [-1, 1] is the identity
    torch.testing.assert_close(norm.action(a), expected)
    torch.testing.assert_close(norm.unaction(norm.action(a)), a)
    s = torch.tensor([[0.0, 1.0]])
    expected_s = torch.tensor([[-1.0, 1.0]]) if mode == "min_max" else (s - 0.5) / 0.3
    torch.testing.assert_close(norm.state(s), expected_s)
    with pytest.raises(SimplevlaError, match="expects 3"):
        Normalizer(STATS, 3, 2)


def test_spatial_softmax_finds_a_peak():
    ss = SpatialSoftmax(1, 1, 5, 5)
    with torch.no_grad():
        ss.proj.weight.fill_(1.0)
        ss.proj.bias.zero_()
    x = torch.zeros(1, 1, 5, 5)
    x[0, 0, 1, 4] = 100.0  # row 1 (y = -0.5), column 4 (x = 1)
    torch.testing.assert_close(ss(x), torch.tensor([[1.0, -0.5]]))


def test_spatial_softmax_offsets_shift_the_peak_by_at_most_one_cell():
    plain, shifted = SpatialSoftmax(1, 1, 5, 5), SpatialSoftmax(1, 1, 5, 5, offsets=True)
    shifted.proj.load_state_dict(plain.proj.state_dict())
    x = torch.zeros(1, 1, 5, 5)
    x[0, 0, 1, 4] = 100.0  # peak at x = 1, y = -0.5; cells are 0.5 apart
    with torch.no_grad():
        for ss in (plain, shifted):
            ss.proj.weight.fill_(1.0)
            ss.proj.bias.zero_()
    torch.testing.assert_close(shifted(x), plain(x))  # zero-initialized offsets change nothing
    with torch.no_grad():
        shifted.offset.bias.copy_(torch.tensor([-0.5, 10.0]))  # tanh: x by -0.46 cell, y by +1 cell
    expected = torch.tensor([[1.0 - 0.5 * math.tanh(0.5), -0.5 + 0.5]])
    torch.testing.assert_close(shifted(x), expected)
    shifted(x).sum().backward()
    assert shifted.offset.bias.grad is not None and shifted.offset.bias.grad[0] != 0


def test_configs_written_before_new_fields_load_as_they_were():
    old = PolicyConfig(state_dim=2, action_dim=2).to_dict()  # a saved config sets every field
    for name in LEGACY_DEFAULTS:
        del old[name]
    cfg = PolicyConfig.from_dict(old)
    assert cfg.keypoint_offsets is False and cfg.word_dropout == 0.0
    assert PolicyConfig().keypoint_offsets is True  # today's default preset


def test_film_starts_as_identity_and_vision_shapes():
    net = ConvNet((8, 16, 16), image_size=32, keypoints=6, out_dim=20)
    img = torch.rand(3, 3, 32, 32)
    film = FiLMGenerator(12, (8, 16, 16))
    params = film(torch.randn(3, 12))
    assert [g.shape for g, _ in params] == [(3, 8), (3, 16), (3, 16)]
    torch.testing.assert_close(net(img, params), net(img))  # zero-initialized FiLM = no modulation
    assert net(img).shape == (3, 12) and net.out_dim == 12
    grid = ConvNet((8, 16), image_size=32, keypoints=0, out_dim=20)
    assert grid(img).shape == (3, 20)
    assert TutorialVision((8, 8, 8, 8), 32, 24)(img).shape == (3, 24)


def test_lstm_text_dedups_and_matches_per_string():
    text = LSTMText(WordTokenizer.from_tasks(TASKS), 8, 16)
    batch = [TASKS[0], TASKS[1], TASKS[0], TASKS[2]]
    out = text(batch)
    assert out.shape == (4, 16)
    torch.testing.assert_close(out[0], out[2])
    torch.testing.assert_close(out[1], text([TASKS[1]])[0])  # independent of batch padding


def test_heads_shapes_and_tanh_bound():
    x = torch.randn(5, 10) * 100
    tanh = TanhHead(10, 32, chunk_size=3, action_dim=2)
    y, logits = tanh(x)
    assert y.shape == (5, 1, 3, 2) and logits.shape == (5, 1)
    assert (y.abs() <= tanh.net.action_scale.abs().max() + 1e-6).all()
    chunks, logits = ChunkHead(10, 32, chunk_size=4, action_dim=2)(x)
    assert chunks.shape == (5, 1, 4, 2) and logits.shape == (5, 1)
    chunks, logits = ChunkHead(10, 32, chunk_size=4, action_dim=2, modes=3)(x)
    assert chunks.shape == (5, 3, 4, 2) and logits.shape == (5, 3)


def test_stats_keys_are_the_dataset_keys():
    assert set(Normalizer(STATS, 2, 2).stats_json()) == {keys.STATE, keys.ACTION}


@pytest.mark.parametrize("strided", [1, 2, 3])
def test_convnet_stride_count_sets_the_feature_map(strided):
    net = ConvNet((8, 16, 16), image_size=32, keypoints=4, out_dim=20, strided=strided)
    assert net.pool.pos.shape == ((32 // 2**strided) ** 2, 2)  # one (x, y) per feature-map cell
    assert net(torch.rand(2, 3, 32, 32)).shape == (2, 8)


def test_config_rejects_impossible_stride_count():
    from simplevla.models import PolicyConfig

    with pytest.raises(SimplevlaError, match="strided_convs"):
        PolicyConfig(preset="default", strided_convs=4)
    with pytest.raises(SimplevlaError, match="image_size"):
        PolicyConfig(preset="default", strided_convs=3, image_size=36)


def test_word_dropout_only_in_training_and_only_to_unk():
    tok = WordTokenizer.from_tasks(TASKS)
    torch.manual_seed(0)
    enc = LSTMText(tok, embed_dim=8, hidden_dim=16, word_dropout=0.5)
    all_unk = LSTMText(tok, embed_dim=8, hidden_dim=16)
    all_unk.load_state_dict(enc.state_dict())
    enc.eval()
    assert torch.equal(enc(TASKS), enc(TASKS))  # eval: no dropout, deterministic
    enc.train()
    outs = torch.stack([enc([TASKS[0]])[0] for _ in range(200)])  # (200, 16)
    reference = {  # each possible outcome: TASKS[0] with some words replaced by an unknown one (<unk>)
        mask: all_unk([" ".join("qqq" if (mask >> i) & 1 else w for i, w in enumerate(TASKS[0].split()))])[0]
        for mask in range(2 ** len(TASKS[0].split()))
    }
    seen = {min(reference, key=lambda m: (reference[m] - o).abs().max().item()) for o in outs}
    for o in outs:
        assert min((r - o).abs().max().item() for r in reference.values()) < 1e-5
    assert 0 in seen and len(seen) > 4  # the clean sentence and several dropped variants occur
    with pytest.raises(SimplevlaError, match="word_dropout"):
        PolicyConfig(word_dropout=1.0)


def test_wrist_crop_is_centred_on_the_effector_in_table_units():
    img = torch.zeros(2, 3, 64, 64)
    img[0, :, 16:20, 40:44] = 1.0  # a 4x4 block centred at column 42, row 18: x = 42/64, y = 1 - 18/64
    img[1, :, 0:4, 0:4] = 1.0  # a block in the top-left corner
    xy = torch.tensor([[42 / 64, 1 - 18 / 64], [2 / 64, 1 - 2 / 64]])
    patch = crop_around(img, xy, 8)  # (2, 3, 8, 8)
    torch.testing.assert_close(patch[0, 0], F.pad(torch.ones(4, 4), (2, 2, 2, 2)))  # block in the middle
    torch.testing.assert_close(patch[1, 0, 2:6, 2:6], torch.ones(4, 4))
    assert patch[1, 0, :2].sum() == 0 and patch[1, 0, :, :2].sum() == 0  # outside the image: zeros
    assert WristNet(16)(img, xy).shape == (2, 64)


def test_wrist_view_needs_state():
    stateless = dict(use_state=False, plan_input=False)
    assert PolicyConfig(wrist_crop=16).wrist_crop == 16 and PolicyConfig(**stateless).wrist_crop == 0
    with pytest.raises(SimplevlaError, match="wrist_crop"):
        PolicyConfig(**stateless, wrist_crop=16)
    with pytest.raises(SimplevlaError, match="wrist_crop"):
        PolicyConfig(wrist_crop=65)
