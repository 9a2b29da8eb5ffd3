"""Datasets: LeRobotDataset v3.0 read/write, expert recording, the training cache and window sampler."""

from __future__ import annotations

from simplevla.data.cache import TrainingCache, build_cache
from simplevla.data.reader import DatasetMeta, LeRobotDataset, load_dataset
from simplevla.data.sampler import WindowSampler
from simplevla.data.writer import DatasetWriter, Episode, make_episode

__all__ = [
    "DatasetMeta",
    "DatasetWriter",
    "Episode",
    "LeRobotDataset",
    "TrainingCache",
    "WindowSampler",
    "build_cache",
    "load_dataset",
    "make_episode",
]
