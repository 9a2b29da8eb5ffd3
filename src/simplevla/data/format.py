"""LeRobotDataset v3.0 layout: paths, feature dicts, and the Arrow schema LeRobot writes.

Checked against LeRobot 0.4.x (`lerobot/datasets/utils.py`) and the fixtures it wrote: a feature of
shape [1] is a scalar column, a 1-D feature a fixed_size_list, an `image` a struct {bytes, path}; the
data file carries the Hugging Face `datasets` features in its schema metadata under b"huggingface".
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa

from simplevla import keys

CODEBASE_VERSION = "v3.0"
FPS = 10
CHUNKS_SIZE = 1000  # files per chunk directory
DATA_FILES_SIZE_MB = 100  # a data file rolls over to the next file index past this size
VIDEO_FILES_SIZE_MB = 200
DATA_PATH = "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
VIDEO_PATH = "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4"
EPISODES_PATH = "meta/episodes/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
INFO_PATH = "meta/info.json"
STATS_PATH = "meta/stats.json"
TASKS_PATH = "meta/tasks.parquet"
PANDAS_INDEX = "__index_level_0__"  # LeRobot writes tasks.parquet from a pandas frame indexed by task

INDEX_FEATURES = {
    keys.TIMESTAMP: {"dtype": "float32", "shape": [1], "names": None},
    keys.FRAME_INDEX: {"dtype": "int64", "shape": [1], "names": None},
    keys.EPISODE_INDEX: {"dtype": "int64", "shape": [1], "names": None},
    keys.INDEX: {"dtype": "int64", "shape": [1], "names": None},
    keys.TASK_INDEX: {"dtype": "int64", "shape": [1], "names": None},
}
_ARROW = {
    "float32": pa.float32(),
    "float64": pa.float64(),
    "int64": pa.int64(),
    "int32": pa.int32(),
    "bool": pa.bool_(),
    "uint8": pa.uint8(),
    "string": pa.string(),
}
IMAGE_STRUCT = pa.struct([("bytes", pa.binary()), ("path", pa.string())])


def dataset_features(
    size: int,
    task_xy: bool = False,
    state_names: list[str] | None = None,
    action_names: list[str] | None = None,
    task_xy_names: Sequence[str] = keys.TASK_XY_NAMES,
) -> dict:
    """The feature dict of a recording (DESIGN.md section 3), index columns last: `size`-pixel images, state
    and action named per component (default: Tabletop's x, y and vx, vy; a suite's names are in
    `simplevla.envs.SUITES`). With `task_xy`, also the privileged auxiliary target `aux.task_xy` (never a
    policy input), with the columns `task_xy_names` (Tabletop's 6 by default)."""
    names = list(task_xy_names)
    aux = {keys.TASK_XY: {"dtype": "float32", "shape": [len(names)], "names": names}}
    state_names = list(state_names or ["x", "y"])
    action_names = list(action_names or ["vx", "vy"])
    return {
        keys.IMAGE: {"dtype": "image", "shape": [size, size, 3], "names": ["height", "width", "channels"]},
        keys.STATE: {"dtype": "float32", "shape": [len(state_names)], "names": state_names},
        keys.ACTION: {"dtype": "float32", "shape": [len(action_names)], "names": action_names},
        keys.REWARD: {"dtype": "float32", "shape": [1], "names": None},
        keys.DONE: {"dtype": "bool", "shape": [1], "names": None},
        keys.SUCCESS: {"dtype": "bool", "shape": [1], "names": None},
        **(aux if task_xy else {}),
        **INDEX_FEATURES,
    }


def is_visual(ft: dict) -> bool:
    return ft.get("dtype") in ("image", "video")


def arrow_type(ft: dict) -> pa.DataType:
    """The Arrow type of one feature's column (LeRobot's mapping)."""
    dtype, shape = ft["dtype"], list(ft["shape"])
    if dtype == "image":
        return IMAGE_STRUCT
    if dtype not in _ARROW:
        raise ValueError(f"unsupported feature dtype {dtype!r}")
    if shape == [1]:
        return _ARROW[dtype]
    if len(shape) == 1:
        return pa.list_(_ARROW[dtype], shape[0])
    raise ValueError(f"unsupported feature shape {shape} (only [1] and [n] for non-image features)")


def hf_feature(ft: dict) -> dict:
    """The Hugging Face `datasets` feature JSON that LeRobot stores for one column."""
    dtype, shape = ft["dtype"], list(ft["shape"])
    if dtype == "image":
        return {"_type": "Image"}
    if shape == [1]:
        return {"dtype": dtype, "_type": "Value"}
    return {"feature": {"dtype": dtype, "_type": "Value"}, "length": shape[0], "_type": "List"}


def data_schema(features: dict) -> pa.Schema:
    """The Arrow schema of a data parquet file (video features live in mp4 files, not here)."""
    cols = {k: ft for k, ft in features.items() if ft["dtype"] != "video"}
    hf = {"info": {"features": {k: hf_feature(ft) for k, ft in cols.items()}}}
    fields = [pa.field(k, arrow_type(ft)) for k, ft in cols.items()]
    return pa.schema(fields, metadata={b"huggingface": json.dumps(hf).encode()})


def tasks_table(tasks: list[str]) -> pa.Table:
    """tasks.parquet as pandas writes it: a task_index column, indexed by the task string."""
    pandas_meta = {
        "index_columns": [PANDAS_INDEX],
        "column_indexes": [
            {
                "name": None,
                "field_name": None,
                "pandas_type": "unicode",
                "numpy_type": "object",
                "metadata": {"encoding": "UTF-8"},
            }
        ],
        "columns": [
            {
                "name": "task_index",
                "field_name": "task_index",
                "pandas_type": "int64",
                "numpy_type": "int64",
                "metadata": None,
            },
            {
                "name": None,
                "field_name": PANDAS_INDEX,
                "pandas_type": "unicode",
                "numpy_type": "object",
                "metadata": None,
            },
        ],
        "attributes": {},
        "creator": {"library": "pyarrow", "version": pa.__version__},
        "pandas_version": "2.2.3",
    }
    schema = pa.schema(
        [("task_index", pa.int64()), (PANDAS_INDEX, pa.string())],
        metadata={b"pandas": json.dumps(pandas_meta).encode()},
    )
    return pa.table({"task_index": list(range(len(tasks))), PANDAS_INDEX: list(tasks)}, schema=schema)


def data_file(root: Path, chunk_index: int, file_index: int) -> Path:
    return root / DATA_PATH.format(chunk_index=chunk_index, file_index=file_index)


def video_file(
    root: Path, video_key: str, chunk_index: int, file_index: int, pattern: str = VIDEO_PATH
) -> Path:
    return root / pattern.format(video_key=video_key, chunk_index=chunk_index, file_index=file_index)
