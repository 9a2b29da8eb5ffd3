"""Policies end to end: shapes for every preset and part, overfitting, save/load, the action queue."""

from __future__ import annotations

import itertools
import json

import pytest
import torch
from model_helpers import STATS, TASKS, TINY, TINY_SIMPLE, make_batch

from simplevla import keys, load_policy
from simplevla.errors import SimplevlaError
from simplevla.models import PolicyConfig, make_policy, num_params, save_policy
from simplevla.models.policy import VLAPolicy


@pytest.mark.parametrize("preset", ["simple", "default"])
def test_presets_full_size_shapes(preset):
    cfg = PolicyConfig(preset=preset)
    policy = make_policy(cfg, STATS, TASKS)
    batch = make_batch(cfg, batch_size=2)
    loss, metrics = policy(batch)
    assert loss.ndim == 0 and float(metrics["loss"]) == pytest.approx(loss.item())
    assert policy.predict_action_chunk(batch).shape == (2, cfg.chunk_size, 2)
    assert policy.select_action(batch).shape == (2, 2)
    assert cfg.image_size == 64 and num_params(policy) > 10_000


def test_simple_preset_is_the_tutorial_architecture():
    from simplevla.models.tutorial import SimpleVLA

    cfg = PolicyConfig(preset="simple")
    policy = make_policy(cfg, STATS, TASKS)
    assert not cfg.use_state and cfg.chunk_size == 1 and cfg.fusion == "concat"
    ref = SimpleVLA(vocab_size=len(policy.tokenizer), action_dim=2, image_size=64)
    assert num_params(policy) == sum(p.numel() for p in ref.parameters())


PARTS = list(itertools.product(["simple", "convnet"], ["concat", "film"], ["tanh", "chunk"], [False, True]))


@pytest.mark.parametrize(("vision", "fusion", "head", "use_state"), PARTS)
def test_every_part_combination(vision, fusion, head, use_state):
    over = TINY_SIMPLE if vision == "simple" else TINY
    kwargs = dict(
        over, vision=vision, fusion=fusion, head=head, use_state=use_state, chunk_size=3, n_action_steps=2
    )
    kwargs["plan_input"] = use_state  # the plan is placed relative to the effector state
    if fusion == "film" and vision == "simple":
        with pytest.raises(SimplevlaError, match="convnet"):
            PolicyConfig(**kwargs)
        return
    cfg = PolicyConfig(**kwargs)
    policy = make_policy(cfg, STATS, TASKS)
    batch = make_batch(cfg, batch_size=3)
    loss, _ = policy(batch)
    loss.backward()
    # the parse head learns from parse batches only (the training loop adds them; test_understanding.py)
    assert all(
        p.grad is not None for n, p in policy.named_parameters() if "embedding" not in n and "parse" not in n
    )
    assert policy.predict_action_chunk(batch).shape == (3, 3, 2)


@pytest.mark.parametrize("preset", ["simple", "default"])
def test_overfits_one_batch(preset):
    torch.manual_seed(0)
    cfg = PolicyConfig(preset=preset, **(TINY_SIMPLE if preset == "simple" else TINY))
    policy = make_policy(cfg, STATS, TASKS)
    batch = make_batch(cfg, batch_size=8)
    opt = torch.optim.Adam(policy.parameters(), lr=5e-3)
    first = policy(batch)[0].item()
    for _ in range(150):
        loss, _ = policy(batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < first / 10


@pytest.mark.parametrize("head", ["chunk", "flow"])
def test_loss_masks_padded_steps(head):
    cfg = PolicyConfig(**TINY, head=head, chunk_size=4, n_action_steps=2)
    policy = make_policy(cfg, STATS, TASKS)
    batch = make_batch(cfg)
    batch[keys.ACTION_IS_PAD][:, 2:] = True
    torch.manual_seed(3)  # the flow loss draws noise and times: draw the same ones twice
    before = policy(batch)[0]
    batch[keys.ACTION][:, 2:] = 1e6  # padded targets must not matter
    torch.manual_seed(3)
    torch.testing.assert_close(policy(batch)[0], before)


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"wrist_crop": 8},
        {"action_modes": 3},
        {"head_film": True, "relative_keypoints": True},
        {"head": "flow"},
    ],
)
def test_save_load_gives_identical_actions(tmp_path, extra):
    torch.manual_seed(1)
    cfg = PolicyConfig(**TINY, **extra)
    policy = make_policy(cfg, STATS, TASKS).eval()
    save_policy(policy, tmp_path / "ckpt")
    assert {p.name for p in (tmp_path / "ckpt").iterdir()} == {
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "stats.json",
    }
    loaded = load_policy(tmp_path / "ckpt")
    assert loaded.config == policy.config and not loaded.training
    batch = make_batch(cfg, batch_size=5)
    batch[keys.TASK][0] = "push the purple thing"  # unseen words go through <unk> in both
    torch.manual_seed(2)  # the flow head samples: the same noise must give the same chunk
    before = policy.predict_action_chunk(batch)
    torch.manual_seed(2)
    assert torch.equal(before, loaded.predict_action_chunk(batch))


def test_select_action_queue_semantics():
    cfg = PolicyConfig(**TINY, chunk_size=5, n_action_steps=3)
    policy = make_policy(cfg, STATS, TASKS).eval()
    batch = make_batch(cfg, batch_size=2)
    chunks, real = [], policy.predict_action_chunk

    def counting(b):
        chunks.append(real(b))
        return chunks[-1]

    policy.predict_action_chunk = counting
    actions = [policy.select_action(batch) for _ in range(7)]
    assert len(chunks) == 3  # predicts at calls 0, 3 and 6
    for i, a in enumerate(actions):
        torch.testing.assert_close(a, chunks[i // 3][:, i % 3])
    policy.reset()
    policy.select_action(batch)
    assert len(chunks) == 4  # reset empties the queue


def test_wrong_image_size_and_bad_config_are_clear_errors():
    cfg = PolicyConfig(**TINY)
    policy = make_policy(cfg, STATS, TASKS)
    batch = make_batch(PolicyConfig(**dict(TINY, image_size=32)))
    with pytest.raises(SimplevlaError, match="image_size"):
        policy.select_action(batch)
    with pytest.raises(SimplevlaError, match="n_action_steps"):
        PolicyConfig(chunk_size=2, n_action_steps=3)
    with pytest.raises(SimplevlaError, match="preset"):
        PolicyConfig(preset="huge")


def test_incompatible_checkpoint_version_is_a_clear_error(tmp_path):
    save_policy(make_policy(PolicyConfig(**TINY), STATS, TASKS), tmp_path)
    meta = json.loads((tmp_path / "config.json").read_text())
    meta["format_version"] = 999
    (tmp_path / "config.json").write_text(json.dumps(meta))
    with pytest.raises(SimplevlaError, match="format_version is 999"):
        load_policy(tmp_path)


def test_empty_instruction_and_nan_state_are_refused():
    cfg = PolicyConfig(preset="default", vision_channels=(8, 16), keypoints=4)
    policy = make_policy(cfg, STATS, TASKS)
    batch = make_batch(cfg)
    with pytest.raises(SimplevlaError, match="empty instruction"):
        policy.predict_action_chunk({**batch, keys.TASK: [""] * len(batch[keys.TASK])})
    state = batch[keys.STATE].clone()
    state[0, 0] = float("nan")
    with pytest.raises(SimplevlaError, match="NaN"):
        policy.predict_action_chunk({**batch, keys.STATE: state})


def _train_on_two_way_labels(steps: int, **config) -> tuple[VLAPolicy, dict]:
    """Train on one observation whose label is +0.6 half of the time and -0.6 the other half (like an
    expert that goes around an object either way); returns the policy (in eval mode) and the batch."""
    torch.manual_seed(0)
    cfg = PolicyConfig(**TINY, chunk_size=2, n_action_steps=1, **config)
    policy = make_policy(cfg, STATS, TASKS)
    batch = make_batch(cfg, batch_size=8)
    for k in (keys.IMAGE, keys.STATE):
        batch[k] = batch[k][:1].expand_as(batch[k]).clone()  # (B, ...) the same observation 8 times
    batch[keys.TASK] = [TASKS[0]] * 8
    batch[keys.ACTION] = torch.tensor([0.6, -0.6]).repeat(4)[:, None, None].expand(8, 2, 2).clone()
    opt = torch.optim.Adam(policy.parameters(), lr=5e-3)
    for _ in range(steps):
        loss, _ = policy(batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return policy.eval(), batch


def _fit_two_way_labels(modes: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The two-way fit with `modes` chunk modes; returns (predicted chunk, every mode's chunks)."""
    policy, batch = _train_on_two_way_labels(200, action_modes=modes)
    with torch.no_grad():
        chunks, _ = policy._predict(batch)  # (B, K, chunk, A) normalized, actions are in [-1, 1]
    return policy.predict_action_chunk(batch)[0], chunks[0]


@pytest.mark.slow
def test_action_modes_learn_both_ways_where_one_head_averages():
    single, _ = _fit_two_way_labels(modes=1)
    assert single.abs().max() < 0.2  # L1 on a 50/50 split: somewhere between, near neither label
    chosen, every = _fit_two_way_labels(modes=2)
    means = sorted(float(every[k].mean()) for k in range(2))
    assert means[0] == pytest.approx(-0.6, abs=0.1) and means[1] == pytest.approx(0.6, abs=0.1)
    assert float(chosen.abs().min()) > 0.5  # the executed chunk is one of the two ways, not their mean


def test_action_modes_need_the_chunk_head():
    with pytest.raises(SimplevlaError, match="action_modes"):
        PolicyConfig(preset="simple", action_modes=2)
    with pytest.raises(SimplevlaError, match="action_modes"):
        PolicyConfig(action_modes=0)
    with pytest.raises(SimplevlaError, match="action_modes"):
        PolicyConfig(head="flow", action_modes=4)  # asked for explicitly: an error, not silently dropped


def test_default_preset_modes_follow_the_head():
    assert PolicyConfig().action_modes == 4  # the `default` preset's chunk head scores four alternatives
    assert PolicyConfig(head="flow").action_modes == 1  # another head does not inherit them
    assert PolicyConfig(head="tanh", chunk_size=1, n_action_steps=1).action_modes == 1


def test_aux_probe_learns_task_xy_and_needs_the_feature():
    torch.manual_seed(0)
    cfg = PolicyConfig(**TINY, aux_weight=1.0, plan_input=False)  # a linear probe
    policy = make_policy(cfg, STATS, TASKS)
    batch = make_batch(cfg, batch_size=8)
    task_xy = batch.pop(keys.TASK_XY)
    with pytest.raises(SimplevlaError, match="task-xy"):
        policy(batch)
    batch[keys.TASK_XY] = task_xy  # (B, 4) table units
    opt = torch.optim.Adam(policy.parameters(), lr=5e-3)
    first = policy(batch)[1]["aux"]
    for _ in range(150):
        loss, metrics = policy(batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(metrics["aux"]) < first / 5
    off = PolicyConfig(**TINY, aux_weight=0.0, plan_input=False)
    assert "aux" not in make_policy(off, STATS, TASKS)(batch)[1]


def test_relative_keypoints_use_the_renderers_image_convention():
    """The effector's brightest pixel, read as a spatial-softmax coordinate, sits at the effector."""
    from simplevla.envs.tabletop.env import TabletopEnv
    from simplevla.models.vision import SpatialSoftmax

    env = TabletopEnv(size=64)
    obs, _ = env.reset(seed=4)
    white = torch.from_numpy(obs["pixels"].astype("float32")).sum(-1)  # (H, W)
    logits = (white >= white.max() - 1).float().flatten() * 50.0  # the effector's (white) pixels
    pos = SpatialSoftmax(3, 1, 64, 64).pos  # (H*W, 2) in [-1, 1], x right, y down
    kp = torch.softmax(logits, 0) @ pos  # (2,)
    x, y = (float(v) for v in obs["agent_pos"])
    torch.testing.assert_close(kp, torch.tensor([2 * x - 1, 1 - 2 * y]), atol=0.04, rtol=0)


def test_head_film_and_relative_keypoints_need_their_parts():
    with pytest.raises(SimplevlaError, match="head_film"):
        PolicyConfig(preset="simple", head_film=True)
    with pytest.raises(SimplevlaError, match="relative_keypoints"):
        PolicyConfig(**dict(TINY, keypoints=0), relative_keypoints=True)


@pytest.mark.slow
def test_flow_head_samples_one_way_or_the_other():
    """Same two-way labels as above: the flow head's samples land near +0.6 or -0.6, both occur, and few
    fall in between (where an L1 head puts its single answer)."""
    policy, batch = _train_on_two_way_labels(1000, head="flow")
    many = {
        k: (v[:1].expand(64, *v.shape[1:]) if torch.is_tensor(v) else v[:1] * 64) for k, v in batch.items()
    }
    samples = policy.predict_action_chunk(many).mean(dim=(1, 2))  # (64,) one number per sampled chunk
    assert (samples.abs() > 0.4).float().mean() > 0.8, samples
    assert (samples > 0.4).any() and (samples < -0.4).any(), samples


def test_flow_head_needs_a_chunk():
    with pytest.raises(SimplevlaError, match="chunk"):
        PolicyConfig(head="flow", chunk_size=1, n_action_steps=1)


def test_eval_text_cache_matches_the_encoder_and_follows_weight_changes():
    policy = make_policy(PolicyConfig(**TINY), STATS, TASKS).eval()
    texts = [TASKS[0], TASKS[1], TASKS[0]]
    with torch.no_grad():
        fresh = policy.text(texts)  # (3, Dt)
        cached = policy.encode_text(texts)
        assert torch.allclose(cached, fresh, atol=1e-6)
        assert policy.encode_text(texts[:1]).data_ptr() != 0 and len(policy._text_cache) == 2
        for p in policy.text.parameters():  # an in-place weight change (as an optimizer step) ...
            p.mul_(0.5)
        after = policy.encode_text(texts)
    assert torch.allclose(after, policy.text(texts).detach(), atol=1e-6)  # ... is seen, not a stale entry
    assert not torch.allclose(after, cached)
    policy.train()
    assert policy.encode_text(texts).requires_grad  # training never reads the cache


def test_retired_text_encoders_are_refused_with_their_release(tmp_path):
    """A checkpoint naming an encoder that left the code says which release had it."""
    policy = make_policy(PolicyConfig(**TINY), STATS, TASKS)
    ckpt = save_policy(policy, tmp_path / "ckpt")
    meta = json.loads((ckpt / "config.json").read_text())
    for retired in ("minilm", "minilm_words"):
        meta["policy"]["text"] = retired
        (ckpt / "config.json").write_text(json.dumps(meta))
        with pytest.raises(SimplevlaError, match=r"config\.json.*'text'.*removed after simplevla 0\.1\.0"):
            load_policy(ckpt)
