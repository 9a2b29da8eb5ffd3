"""The device-resident sampler: the same batches as WindowSampler, and the same training run (on CPU here;
on a GPU the same code keeps the cache in GPU memory)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from training_fakes import TINY, tiny_cache, tiny_train_config

from simplevla import keys
from simplevla.data import WindowSampler
from simplevla.errors import SimplevlaError
from simplevla.models import PolicyConfig
from simplevla.train.config import TrainConfig
from simplevla.train.data import make_source
from simplevla.train.device_data import DeviceSampler, cache_bytes, fits
from simplevla.train.loop import train


@pytest.mark.parametrize("n_obs_steps", [1, 2])
def test_device_sampler_batches_equal_the_host_sampler(n_obs_steps):
    cache = tiny_cache(n_episodes=5, length=7)
    host = WindowSampler(cache, chunk_size=4, n_obs_steps=n_obs_steps, split="train", val_fraction=0.2)
    dev = DeviceSampler(host, torch.device("cpu"))
    assert len(dev) == len(host) and cache_bytes(cache) >= cache.images.nbytes
    for step in range(4):
        idx = dev.batch_indices(step, 6)
        np.testing.assert_array_equal(idx, host.batch_indices(step, 6))
        a, b = host.get_batch(idx), dev.get_batch(idx)
        assert a.keys() == b.keys()
        assert a[keys.TASK] == b[keys.TASK]
        for k in a:
            if k != keys.TASK:
                assert torch.equal(a[k], b[k]), k
    assert b[keys.ACTION_IS_PAD].any()  # windows that run past an episode's end were in the draw
    assert not fits(cache, torch.device("cpu"))  # `auto` moves data only onto CUDA


def _run(out, data_device: str) -> dict:
    cfg = tiny_train_config(out, steps=6, save_every=6, data_device=data_device)
    pcfg = PolicyConfig(**TINY, chunk_size=3, n_action_steps=2)
    return train(cfg, pcfg, make_source(tiny_cache(), pcfg, val_fraction=0.2, seed=0))


@pytest.mark.slow
def test_training_from_the_device_copy_matches_the_host_path(tmp_path):
    _run(tmp_path / "host", "host")
    _run(tmp_path / "device", "device")
    a = load_file(str(tmp_path / "host" / "checkpoints" / "000006" / "model.safetensors"))
    b = load_file(str(tmp_path / "device" / "checkpoints" / "000006" / "model.safetensors"))
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)


def test_data_device_needs_the_dataset_sampler(tmp_path):
    cfg = TrainConfig(out=tmp_path, steps=2, batch_size=8, threads=1, debug=True, data_device="device")
    pcfg = PolicyConfig(**TINY, chunk_size=3, n_action_steps=2)
    with pytest.raises(SimplevlaError, match="--data-device device"):
        train(cfg, pcfg, make_source(tiny_cache(), pcfg, val_fraction=0.2, seed=0, debug=True))
