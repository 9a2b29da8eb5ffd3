"""Checks run while loading a dataset. Every failure is a SimplevlaError naming the file and the field.

pyarrow and json errors never escape: a truncated or garbage file becomes one clear sentence.
"""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from simplevla import keys
from simplevla.data import format as fmt
from simplevla.errors import SimplevlaError

SUPPORTED_VERSIONS = ("v3.0",)
REQUIRED_INFO = ("codebase_version", "fps", "features", "data_path", "total_episodes", "total_frames")
REQUIRED_EPISODE_COLUMNS = (
    "episode_index",
    "tasks",
    "length",
    "data/chunk_index",
    "data/file_index",
    "dataset_from_index",
    "dataset_to_index",
)


NORMALIZED_BY = ("min", "max", "mean", "std")  # the stats training reads for observation.state and action
FLOAT32_MAX = float(np.finfo(np.float32).max)
MAX_IMAGE_SIDE = 8192  # pixels: a larger image feature is refused before anything is decoded
_TEMPLATE_KEYS = {"chunk_index": 0, "file_index": 0, "video_key": "observation.image"}
_SPEC = re.compile(r"0?[1-9]?d?")  # the format of a placeholder: "", "d", "3d", "03d"


def check_inside(root: Path, path: Path, what: str) -> Path:
    """`path`, after following every symlink, must lie inside the dataset `root`; returns it unchanged.

    A dataset is a stranger's directory: a symlink (or a path field) that leads out of it could make the
    reader open any file on the machine."""
    try:
        real, base = path.resolve(), root.resolve()
    except (OSError, RuntimeError, ValueError) as e:  # a symlink loop; ValueError: a NUL byte in the path
        raise SimplevlaError(f"{path}: cannot resolve the {what} path ({e})") from None
    if real != base and base not in real.parents:
        raise SimplevlaError(
            f"{path}: the {what} leads outside the dataset (to {real}); refusing to read it "
            "(copy the file into the dataset instead of linking to it)"
        )
    return path


def _check_template(path: Path, info: dict, field: str, required: bool) -> None:
    """data_path / video_path: a relative template inside the dataset with only the known placeholders."""
    value = info.get(field)
    if value is None and not required:
        return
    if not isinstance(value, str) or not value:
        raise SimplevlaError(f"{path}: field '{field}' must be a path template string, got {value!r}")
    shown = value if len(value) <= 200 else value[:200] + "..."
    try:  # only the known placeholders, each with at most a short zero-padded width such as :03d (a width
        # of 999999999 would make str.format build a gigabyte string)
        fields = [
            (name, spec, conv) for _, name, spec, conv in string.Formatter().parse(value) if name is not None
        ]
        bad = next(
            (f for f in fields if f[0] not in _TEMPLATE_KEYS or f[2] or not _SPEC.fullmatch(f[1])), None
        )
        if bad is not None:
            raise ValueError(f"placeholder {{{bad[0]}{'!' + bad[2] if bad[2] else ''}:{bad[1]}}}")
        formatted = value.format(**_TEMPLATE_KEYS)
    except (KeyError, IndexError, ValueError, AttributeError) as e:
        raise SimplevlaError(
            f"{path}: field '{field}' is {shown!r}, not a template of {{chunk_index}}, {{file_index}}"
            f"{', {video_key}' if field == 'video_path' else ''} with formats such as :03d "
            f"({type(e).__name__}: {e})"
        ) from None
    rel = Path(formatted)
    if any(len(part.encode()) > 200 for part in rel.parts) or len(formatted.encode()) > 1024:
        raise SimplevlaError(
            f"{path}: field '{field}' is {shown!r}, a path with a name longer than 200 bytes or longer than "
            "1024 bytes in all"
        )
    if rel.is_absolute() or ".." in rel.parts or "\\" in formatted:
        raise SimplevlaError(
            f"{path}: field '{field}' is {value!r}, which points outside the dataset; it must be a relative "
            "path below the dataset directory"
        )


def _check_feature(path: Path, name: str, ft: object) -> None:
    if not isinstance(ft, dict) or "dtype" not in ft or not isinstance(ft.get("shape"), list):
        raise SimplevlaError(f"{path}: field 'features.{name}' needs a 'dtype' and a 'shape' list")
    dtype, shape = ft["dtype"], ft["shape"]
    if not shape or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in shape):
        raise SimplevlaError(f"{path}: field 'features.{name}.shape' is {shape!r}; need positive integers")
    if dtype in ("image", "video"):
        if len(shape) != 3 or max(shape) > MAX_IMAGE_SIDE:
            raise SimplevlaError(
                f"{path}: field 'features.{name}.shape' is {shape}; an image feature is [height, width, "
                f"channels] with sides of at most {MAX_IMAGE_SIDE} pixels"
            )
        return
    if dtype == "string":
        return
    try:
        ok = isinstance(dtype, str) and np.dtype(dtype).kind in "biuf"
    except (TypeError, ValueError, SyntaxError):  # a string numpy parses as a structured dtype, e.g. ",x"
        ok = False
    if not ok:
        raise SimplevlaError(
            f"{path}: field 'features.{name}.dtype' is {dtype!r}; use image, video, string, or a numeric "
            "dtype such as float32, int64 or bool"
        )


def read_json_file(path: Path) -> object:
    """JSON from `path`; a SimplevlaError naming it when it is not UTF-8 JSON or nests too deep to parse."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:  # RecursionError: ~1,000 deep
        raise SimplevlaError(f"{path}: not valid JSON ({type(e).__name__}: {e})") from None


# What every reader of a dataset in simplevla needs (the reader itself, the training cache, the sampler):
# the five index columns (a number per frame), state and action (numbers), and an image or video.
INDEX_COLUMNS = (keys.TIMESTAMP, keys.FRAME_INDEX, keys.EPISODE_INDEX, keys.INDEX, keys.TASK_INDEX)


def _numeric(ft: dict) -> bool:
    return ft["dtype"] not in ("image", "video", "string")


def _check_required_features(path: Path, features: dict) -> None:
    for k in (*INDEX_COLUMNS, keys.STATE, keys.ACTION):
        if k not in features:
            raise SimplevlaError(
                f"{path}: field 'features' has no '{k}'; simplevla reads datasets with the index columns "
                f"{list(INDEX_COLUMNS)}, '{keys.STATE}' and '{keys.ACTION}'"
            )
    for k in INDEX_COLUMNS:
        if not _numeric(features[k]) or features[k]["shape"] != [1]:
            raise SimplevlaError(f"{path}: field 'features.{k}' must be one number per frame (shape [1])")
    for k in (keys.STATE, keys.ACTION):
        if not _numeric(features[k]) or len(features[k]["shape"]) != 1:
            raise SimplevlaError(f"{path}: field 'features.{k}' must be a vector of numbers (shape [n])")
    if keys.TASK_XY in features and (
        not _numeric(features[keys.TASK_XY]) or features[keys.TASK_XY]["shape"] not in ([4], [6])
    ):
        raise SimplevlaError(
            f"{path}: field 'features.{keys.TASK_XY}' must be 4 or 6 numbers (shape [4] or [6]: object, "
            "goal and, with 6, the reference object's x, y)"
        )
    if not any(ft["dtype"] in ("image", "video") for ft in features.values()):
        raise SimplevlaError(f"{path}: field 'features' has no image or video feature")


def check_stats(path: Path, stats: dict, features: dict) -> None:
    """meta/stats.json: feature name -> {stat name -> a number or a (nested) list of finite numbers}; for a
    vector feature, min/max/mean/std and the quantiles have its width; `observation.state` and `action`
    must have min, max, mean and std within float32 (what training normalizes them with)."""
    for name in (keys.STATE, keys.ACTION):
        entry = stats.get(name) if name in features else {}
        missing = [s for s in NORMALIZED_BY if s not in entry] if isinstance(entry, dict) else NORMALIZED_BY
        if missing:
            raise SimplevlaError(
                f"{path}: field '{name}' lacks {', '.join(missing)} (training normalizes {name} with its "
                f"{', '.join(NORMALIZED_BY)})"
            )
    for name, entry in stats.items():
        if not isinstance(entry, dict):
            raise SimplevlaError(f"{path}: field '{name}' must be an object of stat name -> values")
        for stat, value in entry.items():
            flat = _flat_numbers(value)
            try:
                arr = np.asarray(flat if flat is not None else [], np.float64)
            except OverflowError:
                flat = None
            if flat is None:
                raise SimplevlaError(f"{path}: field '{name}.{stat}' must be a number or a list of numbers")
            if not np.isfinite(arr).all() or (np.abs(arr) > FLOAT32_MAX).any():
                raise SimplevlaError(
                    f"{path}: field '{name}.{stat}' holds NaN, inf or a number beyond float32"
                )
            ft = features.get(name)
            if ft is not None and _numeric(ft) and stat != "count" and arr.size != int(np.prod(ft["shape"])):
                raise SimplevlaError(
                    f"{path}: field '{name}.{stat}' has {arr.size} values, but feature '{name}' has shape "
                    f"{ft['shape']}"
                )


def _flat_numbers(value: object) -> list | None:
    """The numbers of a number or (nested) list of numbers; None when anything else is in it. Iterative."""
    out, stack = [], [value]
    while stack:
        v = stack.pop()
        if isinstance(v, list):
            stack.extend(reversed(v))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out.append(v)
        else:
            return None
    return out


def read_info(root: Path) -> dict:
    """Load and check meta/info.json."""
    path = root / fmt.INFO_PATH
    try:
        is_dir = root.is_dir()
    except OSError as e:  # a name too long
        raise SimplevlaError(f"{root}: cannot read the dataset directory ({e.strerror or e})") from None
    if not is_dir:
        raise SimplevlaError(f"{root}: dataset directory does not exist")
    check_inside(root, root / "meta", "meta directory")
    if not path.is_file():
        raise SimplevlaError(
            f"{path}: missing; not a LeRobotDataset v3.0 directory (meta/info.json is required)"
        )
    check_inside(root, path, "info.json")
    info = read_json_file(path)
    if not isinstance(info, dict):
        raise SimplevlaError(f"{path}: expected a JSON object")
    for k in REQUIRED_INFO:
        if k not in info:
            raise SimplevlaError(f"{path}: field '{k}' is missing")
    version = info["codebase_version"]
    if version not in SUPPORTED_VERSIONS:
        raise SimplevlaError(
            f"{path}: field 'codebase_version' is {version!r}; this reader supports "
            f"{', '.join(SUPPORTED_VERSIONS)} (convert older datasets with LeRobot's converter)"
        )
    fps = info["fps"]
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not 0 < fps < 10_000:
        raise SimplevlaError(f"{path}: field 'fps' is {fps!r}; need a positive number of frames per second")
    for k in ("total_episodes", "total_frames"):
        v = info[k]
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise SimplevlaError(f"{path}: field '{k}' is {v!r}; need a non-negative integer")
    if not isinstance(info["features"], dict):
        raise SimplevlaError(f"{path}: field 'features' must be an object of feature name -> dtype, shape")
    for name, ft in info["features"].items():
        _check_feature(path, name, ft)
    _check_required_features(path, info["features"])
    _check_template(path, info, "data_path", required=True)
    _check_template(path, info, "video_path", required=False)
    return info


# What pyarrow raises on a corrupt file: its own errors, OS errors, and UnicodeDecodeError from metadata or
# strings that are not UTF-8
PARQUET_ERRORS = (pa.ArrowException, OSError, UnicodeDecodeError)


def open_parquet(path: Path, what: str) -> pq.ParquetFile:
    """Open a parquet file, turning any pyarrow/OS error into a SimplevlaError."""
    try:
        is_file = path.is_file()
    except OSError as e:  # a name too long
        raise SimplevlaError(f"{path}: cannot read the {what} path ({e.strerror or e})") from None
    if not is_file:
        raise SimplevlaError(f"{path}: missing {what} file")
    try:
        return pq.ParquetFile(path)
    except PARQUET_ERRORS as e:
        raise SimplevlaError(f"{path}: cannot read {what} (truncated or not a parquet file): {e}") from None


def read_table(path: Path, what: str, columns: list[str] | None = None) -> pa.Table:
    pf = open_parquet(path, what)
    if columns is not None:
        require_columns(path, pf.schema_arrow, columns, what)
    try:
        return pf.read(columns=columns)
    except PARQUET_ERRORS as e:
        raise SimplevlaError(f"{path}: cannot read {what} (truncated or corrupt): {e}") from None


def require_columns(path: Path, schema: pa.Schema, columns, what: str) -> None:
    for c in columns:
        if c not in schema.names:
            raise SimplevlaError(f"{path}: {what} has no column '{c}' (columns: {', '.join(schema.names)})")


def check_data_schema(path: Path, schema: pa.Schema, features: dict) -> None:
    """Every non-video feature is a column whose Arrow type matches the feature's dtype and shape."""
    cols = [k for k, ft in features.items() if ft["dtype"] != "video"]
    require_columns(path, schema, cols, "data file")
    for k in cols:
        ft, typ = features[k], schema.field(k).type
        shape = list(ft["shape"])
        if ft["dtype"] == "image":
            if not (pa.types.is_struct(typ) and typ.get_field_index("bytes") >= 0):
                raise SimplevlaError(
                    f"{path}: column '{k}' should be an image struct {{bytes, path}}, got {typ}"
                )
            continue
        if shape == [1]:
            ok = not pa.types.is_list(typ) and not pa.types.is_fixed_size_list(typ)
            got = "a scalar" if ok else f"a list ({typ})"
            value = typ
        else:
            ok = pa.types.is_fixed_size_list(typ) and len(shape) == 1 and typ.list_size == shape[0]
            ok = ok or (pa.types.is_list(typ) and len(shape) == 1)  # variable lists: length checked on read
            got = str(typ)
            value = typ.value_type if ok else typ
        if not ok:
            raise SimplevlaError(f"{path}: column '{k}' has {got}, but info.json says feature shape {shape}")
        if ft["dtype"] == "string":
            ok = pa.types.is_string(value) or pa.types.is_large_string(value)
        else:
            ok = pa.types.is_integer(value) or pa.types.is_floating(value) or pa.types.is_boolean(value)
        if not ok:
            raise SimplevlaError(
                f"{path}: column '{k}' holds {value} values, but info.json says dtype {ft['dtype']!r}"
            )


def check_image_shape(path: Path, key: str, img: np.ndarray, shape: list[int], row: int = 0) -> None:
    if list(img.shape) != list(shape):
        raise SimplevlaError(
            f"{path}: image column '{key}' row {row} decodes to shape {list(img.shape)}, "
            f"but info.json says feature shape {list(shape)}"
        )


def check_finite(path: Path, key: str, values: np.ndarray, row0: int = 0) -> None:
    """A float column with NaN or inf would poison every loss it reaches: refuse it, naming the row."""
    if values.dtype.kind != "f" or not len(values):  # a file of no rows has no bad row
        return
    bad = ~np.isfinite(values.reshape(len(values), -1)).all(axis=1)
    if bad.any():
        row = int(np.argmax(bad))
        raise SimplevlaError(
            f"{path}: column '{key}' row {row0 + row} holds {values[row].tolist()} (NaN or inf); "
            f"{int(bad.sum())} rows are not finite. Drop or repair those frames"
        )


def check_indices(
    root: Path,
    info: dict,
    episodes: list[dict],
    index: np.ndarray,
    episode_index: np.ndarray,
    frame_index: np.ndarray,
    task_index: np.ndarray,
    n_tasks: int,
) -> None:
    """Totals, episode ranges and the per-frame index columns must all agree."""
    info_path, ep_path = root / fmt.INFO_PATH, root / "meta/episodes"
    n = len(index)
    if info["total_frames"] != n:
        raise SimplevlaError(
            f"{info_path}: field 'total_frames' is {info['total_frames']} but data files hold {n} rows"
        )
    if info["total_episodes"] != len(episodes):
        raise SimplevlaError(
            f"{info_path}: field 'total_episodes' is {info['total_episodes']} "
            f"but {ep_path} lists {len(episodes)} episodes"
        )
    if not np.array_equal(index, np.arange(n)):
        bad = int(np.argmax(index != np.arange(n)))
        raise SimplevlaError(
            f"{root / 'data'}: column 'index' should count 0..{n - 1}; row {bad} holds {index[bad]}"
        )
    expect = 0
    for i, ep in enumerate(episodes):
        a, b, length = ep["dataset_from_index"], ep["dataset_to_index"], ep["length"]
        if ep["episode_index"] != i or a != expect or b - a != length or b > n:
            raise SimplevlaError(
                f"{ep_path}: episode row {i} (episode_index {ep['episode_index']}, dataset_from_index {a}, "
                f"dataset_to_index {b}, length {length}) does not add up (expected episode {i} from {expect})"
            )
        if (episode_index[a:b] != i).any() or not np.array_equal(frame_index[a:b], np.arange(length)):
            raise SimplevlaError(
                f"{root / 'data'}: columns 'episode_index'/'frame_index' of rows {a}..{b - 1} "
                f"do not match episode {i}"
            )
        expect = b
    if expect != n:
        raise SimplevlaError(f"{ep_path}: episodes cover {expect} frames but data files hold {n}")
    if n and (task_index.min() < 0 or task_index.max() >= n_tasks):
        raise SimplevlaError(
            f"{root / 'data'}: column 'task_index' holds {int(task_index.max())}, "
            f"but {root / fmt.TASKS_PATH} has {n_tasks} tasks"
        )
