"""Generated hostile datasets (fuzzkit's `dataset` suite): a recorded dataset with one file mutated (bytes,
the file itself, info.json or stats.json values, parquet cells, columns, rows and metadata) either loads and
reads back as valid frames and a valid training cache, or is refused with a SimplevlaError naming the file
and the field, in bounded time and memory, without changing the dataset or reading outside it.

The @example inputs are the failures the fuzzer found, each fixed in the reader (docs/reliability.md)."""

from __future__ import annotations

from fuzz_settings import FUZZ
from fuzzkit import target
from fuzzkit.mutate import Deep
from hypothesis import example, given
from hypothesis import strategies as st

TASKS, EPISODES = "meta/tasks.parquet", "meta/episodes/chunk-000/file-000.parquet"


@FUZZ
@given(case=st.deferred(lambda: target("dataset").cases()))
# tasks.parquet: a task_index that is a string, a task that is null, bytes that are not UTF-8
@example(case=(TASKS, ("parquet", "set", "task_index", 1, "list_of", "")))
@example(case=(TASKS, ("parquet", "set", "__index_level_0__", 0, "cell", None)))
@example(case=(TASKS, ("bytes", "overwrite", 162, b"\xf7")))
@example(case=(TASKS, ("bytes", "flip", ((383, 251), (2336, 255), (2336, 255)))))
# the episodes table: a null episode_index or dataset_to_index, no episode at all
@example(case=(EPISODES, ("parquet", "set", "episode_index", 0, "cell", None)))
@example(case=(EPISODES, ("parquet", "retype", "dataset_to_index", "null")))
@example(case=(EPISODES, ("parquet", "drop_rows", 0, 2)))
# JSON nested 100,000 deep (RecursionError in json.loads)
@example(case=("meta/stats.json", ("json", "replace", ("action", "q01", 0), Deep(100_000))))
@example(case=("meta/info.json", ("json", "replace", ("features", "task_index"), Deep(100_000))))
# stats.json values training cannot normalize with: a word, a missing component
@example(case=("meta/stats.json", ("json", "replace", ("action", "mean", 1), "flow")))
@example(case=("meta/stats.json", ("json", "delete", ("observation.state", "min", 0))))
# info.json without the action feature (the training cache died with a KeyError)
@example(case=("meta/info.json", ("json", "delete", ("features", "action"))))
# data_path / video_path: a width that builds a gigabyte string, names longer than the system allows
@example(case=("meta/info.json", ("json", "replace", ("data_path",), "{chunk_index:999999999d}")))
@example(case=("meta/info.json", ("json", "replace", ("data_path",), "a" * 10000)))
@example(
    case=(
        "meta/info.json",
        ("json", "replace", ("data_path",), "data/" + "b" * 300 + "/{chunk_index}.parquet"),
    )
)
# a data file of no rows (ValueError from the NaN check's reshape)
@example(case=("data/chunk-000/file-000.parquet", ("parquet", "drop_rows", 0, 33)))
# a video feature whose episodes table has no videos/... columns (KeyError)
@example(
    case=("meta/info.json", ("json", "add", ("features",), "v", {"dtype": "video", "shape": [32, 32, 3]}))
)
# found at 10,000 examples: stats the loader passed and training refused without naming the file (action's
# max deleted or renamed, a std beyond float32), and an image path with a NUL byte (ValueError)
@example(case=("meta/stats.json", ("json", "delete", ("action", "max"))))
@example(case=("meta/stats.json", ("json", "rename", ("action", "max"), "mean")))
@example(
    case=("meta/stats.json", ("json", "replace", ("observation.state", "std", 0), 1.7976931348623157e308))
)
@example(
    case=("data/chunk-000/file-000.parquet", ("parquet", "image_path", "observation.image", 3, "a\x00b"))
)
def test_generated_datasets_load_or_are_refused_cleanly(case):
    outcome = target("dataset").run(case)
    assert outcome.clean, outcome.message
