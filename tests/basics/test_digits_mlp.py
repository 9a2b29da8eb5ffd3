"""The digits MLP lesson: accuracy after a short run, determinism, the PNG, and its error messages."""

from __future__ import annotations

import sys

import pytest
from PIL import Image

from simplevla.basics import mlp
from simplevla.basics.digits_mlp import load_digits_split
from simplevla.errors import SimplevlaError


def test_short_run_reaches_90_percent_and_writes_curves(tmp_path) -> None:
    r = mlp(epochs=5, seed=0, out_dir=tmp_path, progress=False)
    assert r["test_accuracy"] >= 0.90
    assert r["n_train"] + r["n_test"] == 1797
    assert len(r["history"]["test_accuracy"]) == 5
    with Image.open(r["plot"]) as im:
        assert im.format == "PNG" and im.size[0] > 100
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left behind


def test_same_seed_same_result() -> None:
    a = mlp(epochs=2, seed=3, out_dir=None, progress=False)
    b = mlp(epochs=2, seed=3, out_dir=None, progress=False)
    assert a["history"] == b["history"]


def test_split_is_fixed_and_disjoint() -> None:
    x_tr, y_tr, x_te, y_te = load_digits_split(0.2, split_seed=0)
    x_tr2, _, x_te2, _ = load_digits_split(0.2, split_seed=0)
    assert (x_te == x_te2).all() and (x_tr == x_tr2).all()
    assert len(x_te) == 360 and len(x_tr) == 1437
    assert x_tr.min() >= 0 and x_tr.max() <= 1
    assert set(y_te.tolist()) == set(range(10))


def test_missing_sklearn_names_the_extra(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)  # makes `import sklearn.datasets` fail
    with pytest.raises(SimplevlaError, match=r"pip install 'simplevla\[basics\]'"):
        mlp(epochs=1, out_dir=None, progress=False)


@pytest.mark.parametrize("kwargs", [{"epochs": 0}, {"batch_size": 1}, {"lr": 0.0}, {"dropout": 1.0}])
def test_bad_settings_raise_clear_errors(kwargs) -> None:
    with pytest.raises(SimplevlaError, match="--"):
        mlp(out_dir=None, progress=False, **kwargs)


def test_thread_count_is_restored() -> None:
    import torch

    before = torch.get_num_threads()
    mlp(epochs=1, out_dir=None, progress=False)
    assert torch.get_num_threads() == before
