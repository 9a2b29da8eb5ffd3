"""Shared fixtures for the data tests: a small written dataset and the LeRobot-written fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest
from data_synth import write_synthetic

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory) -> tuple[Path, list[dict]]:
    root = tmp_path_factory.mktemp("ds") / "small"
    return root, write_synthetic(root, [5, 1, 7, 3, 9, 4])


@pytest.fixture
def fixtures_dir() -> Path:
    if not FIXTURES.is_dir():
        pytest.skip(f"LeRobot-written fixtures not found at {FIXTURES} (shared/ must sit beside the clone)")
    return FIXTURES
