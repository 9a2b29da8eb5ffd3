"""Mutations of one file, drawn by Hypothesis and applied to a fresh copy of a valid artefact.

Each mutation is a plain tuple (readable in Hypothesis' output): `(kind, op, *args)`.

- `bytes`: flip bits, truncate, insert, delete or overwrite a range, empty the file, replace or extend it
  with random bytes (positions biased to both ends, where the headers and footers are).
- `file`: delete it, replace it by a directory, a FIFO, a symlink out to the canary directory or a symlink
  loop.
- `json`: replace a value (any depth) with another type, a huge, negative or NaN number, a long or
  path-like string, a deep nesting (up to 100,000 levels) or a list of 100,000 numbers; delete or rename
  a key; add one; wrap a value in a list.
- `parquet`: set one cell to a value of another type, a NaN, inf or huge number, null, a list of another
  length; retype a column; drop or rename it; drop, repeat, reorder rows; corrupt an image cell's PNG bytes
  or point it at a path; replace or drop the schema metadata; rewrite it in one-row row groups.
- `safetensors`: corrupt the header length, the header JSON (dtype, shape, data_offsets of a tensor, any
  JSON mutation), write NaN, inf or huge values into a tensor, flip bits in the data.
- `lines` (text files): replace, insert or delete a line, with generated tab-separated or JSON lines.
"""

from __future__ import annotations

import json
import math
import os
import struct
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from hypothesis import strategies as st

NAN, INF = math.nan, math.inf

# ------------------------------------------------------------------------------------------- values


class Deep:
    """A JSON value nested `n` lists deep (written as text: json.dumps would recurse)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __repr__(self) -> str:
        return f"Deep({self.n})"

    def text(self) -> str:
        return "[" * self.n + "]" * self.n


class Big:
    """A JSON list of `n` zeros."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __repr__(self) -> str:
        return f"Big({self.n})"

    def text(self) -> str:
        return "[" + ",".join(["0"] * self.n) + "]"


SCALARS = [
    None, True, False, 0, -1, 1, 2, 3, 7, 64, 2**31, 2**53 + 1, 2**63, -(2**63) - 1, 2**64, 10**30,
    10**400, 0.5, -0.0, 1e-320, 1e308, -1e308, NAN, INF, -INF,
]  # fmt: skip
STRINGS = [
    "", " ", "0", "1", "-1", "nan", "true", "null", "image", "video", "string", "float32", "int64", "bool",
    "{chunk_index}", "{nope}", "{0}", "{chunk_index:999999999d}", "{file_index:0100000000d}", "{video_key}",
    "%s%n", "\x00", "\n", "\t", "a" * 10000, "é🟥\u202eブロック", "../", "/", "..", "lstm", "wordllama",
    "simple", "default", "convnet", "film", "chunk", "flow", "tanh", "mse", "l1", "mean_std", "min_max",
    "F32", "F64", "I64", "BOOL", "U8", "XYZ",
]  # fmt: skip
CONTAINERS = [
    [], {}, [1, 2, 3], [[1], [2, 3]], {"a": 1}, ["x"], [None], [NAN], [1e308, 1e308, 1e308], [0] * 5,
    {"dtype": "float32", "shape": [2]}, {"dtype": "image", "shape": [60000, 60000, 3]}, [-1], [2**40],
    {"min": [0], "max": [1]},
]  # fmt: skip


def json_values(extra_strings: list[str] = ()) -> st.SearchStrategy:
    """Hostile JSON values: other types, extreme numbers, NaN, path-like strings, deep and big lists."""
    scalar = st.sampled_from(SCALARS + STRINGS + list(extra_strings))
    return st.one_of(
        scalar,
        scalar,
        st.integers(),
        st.floats(),
        st.text(max_size=20),
        st.sampled_from(CONTAINERS),
        st.lists(scalar, max_size=4),
        st.sampled_from([100, 1000, 100_000]).map(Deep),
        st.just(Big(100_000)),
    )


def dumps(doc) -> str:
    """JSON text of `doc` (NaN and inf as Python writes them), Deep and Big values written out."""
    subs: dict[str, str] = {}

    def walk(v):
        if isinstance(v, (Deep, Big)):
            key = f"@@sub{len(subs)}@@"
            subs[json.dumps(key)] = v.text()
            return key
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v

    text = json.dumps(walk(doc), indent=1)
    for key, sub in subs.items():
        text = text.replace(key, sub)
    return text


# -------------------------------------------------------------------------------------------- bytes


@st.composite
def bytes_mutation(draw, size: int):
    last = max(size - 1, 0)
    pos = st.one_of(st.integers(0, last), st.integers(max(0, size - 64), last), st.integers(0, min(last, 64)))
    op = draw(
        st.sampled_from(
            ["flip", "flip", "truncate", "insert", "delete", "overwrite", "empty", "random", "append"]
        )
    )
    if op == "flip":
        return (
            "bytes",
            op,
            tuple(draw(st.lists(st.tuples(pos, st.integers(1, 255)), min_size=1, max_size=8))),
        )
    if op == "truncate":
        return ("bytes", op, draw(pos))
    if op in ("insert", "overwrite"):
        return ("bytes", op, draw(pos), draw(st.binary(min_size=1, max_size=64)))
    if op == "delete":
        return ("bytes", op, draw(pos), draw(st.integers(1, 256)))
    if op == "empty":
        return ("bytes", op)
    if op == "random":
        return ("bytes", op, draw(st.binary(max_size=2048)))
    return ("bytes", op, draw(st.binary(min_size=1, max_size=256)))


def apply_bytes(data: bytes, m: tuple) -> bytes:
    op = m[1]
    if op == "flip":
        b = bytearray(data)
        for p, mask in m[2]:
            if p < len(b):
                b[p] ^= mask
        return bytes(b)
    if op == "truncate":
        return data[: m[2]]
    if op == "insert":
        return data[: m[2]] + m[3] + data[m[2] :]
    if op == "overwrite":
        return data[: m[2]] + m[3] + data[m[2] + len(m[3]) :]
    if op == "delete":
        return data[: m[2]] + data[m[2] + m[3] :]
    if op == "empty":
        return b""
    if op == "random":
        return m[2]
    return data + m[2]


# --------------------------------------------------------------------------------------------- file

FILE_OPS = ("delete", "directory", "fifo", "symlink_out", "symlink_loop")


def file_mutation(ops=FILE_OPS) -> st.SearchStrategy:
    return st.sampled_from(ops).map(lambda op: ("file", op))


def apply_file(path: Path, m: tuple, outside: Path) -> None:
    op = m[1]
    if path.is_dir() and not path.is_symlink():
        import shutil

        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
    if op == "directory":
        path.mkdir()
    elif op == "fifo":
        os.mkfifo(path)
    elif op == "symlink_out":
        target = outside / ("secret" + (path.suffix or ".txt"))
        path.symlink_to(target if target.exists() else outside / "secret.txt")
    elif op == "symlink_loop":
        path.symlink_to(path.name)


# --------------------------------------------------------------------------------------------- json


def json_paths(doc, prefix=()) -> list[tuple]:
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += json_paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc[:8]):
            out += json_paths(v, (*prefix, i))
    return out


@st.composite
def json_mutation(draw, doc, values: st.SearchStrategy):
    paths = json_paths(doc)
    path = draw(st.sampled_from(paths))
    op = draw(st.sampled_from(["replace", "replace", "replace", "delete", "rename", "add", "wrap"]))
    if op in ("delete", "rename") and not path:
        op = "replace"
    if op == "replace":
        return ("json", op, path, draw(values))
    if op == "delete":
        return ("json", op, path)
    if op == "rename":
        keys = sorted({p[-1] for p in paths if p and isinstance(p[-1], str)})
        return ("json", op, path, draw(st.one_of(st.sampled_from(keys or ["x"]), st.text(max_size=12))))
    if op == "add":
        return ("json", op, path, draw(st.text(max_size=12)), draw(values))
    return ("json", op, path)


def _parent(doc, path):
    node = doc
    for k in path[:-1]:
        node = node[k]
    return node


def apply_json(doc, m: tuple):
    """The mutated document (a new object; `doc` unchanged)."""
    doc = json.loads(json.dumps(doc))
    op, path = m[1], m[2]
    if op == "replace":
        if not path:
            return m[3]
        _parent(doc, path)[path[-1]] = m[3]
        return doc
    parent = _parent(doc, path) if path else None
    if op == "delete":
        del parent[path[-1]]
    elif op == "rename":
        if isinstance(parent, dict):
            parent[m[3]] = parent.pop(path[-1])
        else:
            parent[path[-1]] = {m[3]: parent[path[-1]]}
    elif op == "add":
        node = parent[path[-1]] if path else doc
        if isinstance(node, dict):
            node[m[3]] = m[4]
        elif isinstance(node, list):
            node.append(m[4])
        elif path:
            parent[path[-1]] = [node, m[4]]
        else:
            return [node, m[4]]
    elif op == "wrap":
        if not path:
            return [doc]
        parent[path[-1]] = [parent[path[-1]]]
    return doc


# ------------------------------------------------------------------------------------------ parquet

RETYPES = ("string", "float64", "float16", "int8", "uint64", "bool", "null", "binary", "list", "dictionary")
CELLS = [
    None, NAN, INF, -INF, 1e308, -1e308, 0, -1, 2**31, 2**63 - 1, -(2**63), 2**64 - 1, 0.5, True, "x", "",
    b"\x00", [], [NAN], [1.0], [1.0, 2.0, 3.0], [[1.0]], {"a": 1},
]  # fmt: skip


@st.composite
def parquet_mutation(draw, schema: pa.Schema, num_rows: int, extra_strings: list[str] = ()):
    cols = schema.names
    col = draw(st.sampled_from(cols))
    row = draw(st.integers(0, max(num_rows - 1, 0)))
    ops = [
        "set",
        "set",
        "set",
        "retype",
        "drop",
        "rename",
        "drop_rows",
        "repeat_rows",
        "swap_rows",
        "metadata",
        "row_groups",
    ]
    image_cols = [c for c in cols if pa.types.is_struct(schema.field(c).type)]
    if image_cols:
        ops += ["image_bytes", "image_bytes", "image_path"]
    op = draw(st.sampled_from(ops))
    if op == "set":
        value = draw(st.one_of(st.sampled_from(CELLS), st.integers(), st.floats(), st.text(max_size=8)))
        return ("parquet", op, col, row, draw(st.sampled_from(["cell", "element", "list_of"])), value)
    if op == "retype":
        return ("parquet", op, col, draw(st.sampled_from(RETYPES)))
    if op == "drop":
        return ("parquet", op, col)
    if op == "rename":
        return ("parquet", op, col, draw(st.one_of(st.sampled_from(cols), st.text(max_size=12))))
    if op in ("drop_rows", "repeat_rows"):
        return ("parquet", op, row, draw(st.integers(1, max(num_rows, 1))))
    if op == "swap_rows":
        return ("parquet", op, row, draw(st.integers(0, max(num_rows - 1, 0))))
    if op == "metadata":
        keys = sorted((schema.metadata or {b"huggingface": b""}).keys())
        key = draw(st.sampled_from(keys))
        return (
            "parquet",
            op,
            key,
            draw(st.one_of(st.none(), st.binary(max_size=64), st.sampled_from([b"{}", b"[", b"null"]))),
        )
    if op == "row_groups":
        return ("parquet", op, draw(st.integers(1, 8)))
    col = draw(st.sampled_from(image_cols))
    if op == "image_bytes":
        return ("parquet", op, col, row, draw(bytes_mutation(200)))
    path = draw(st.one_of(st.sampled_from(list(extra_strings) or ["../x.png"]), st.text(max_size=20)))
    return ("parquet", op, col, row, path)


def _array(values: list, typ: pa.DataType) -> pa.Array:
    """`values` as an array of `typ` if they fit, else of whatever type Arrow infers, else as strings."""
    for attempt in (lambda: pa.array(values, typ), lambda: pa.array(values)):
        try:
            return attempt()
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            pass
    return pa.array([None if v is None else repr(v) for v in values], pa.string())


def _retype(arr: pa.ChunkedArray, name: str) -> pa.Array:
    arr = arr.combine_chunks()
    if name == "null":
        return pa.nulls(len(arr))
    if name == "list":
        return pa.array([[v] for v in arr.to_pylist()])
    if name == "dictionary":
        try:
            return arr.dictionary_encode()
        except (pa.ArrowException, NotImplementedError):
            return arr
    if name == "string":
        return pa.array([None if v is None else str(v) for v in arr.to_pylist()], pa.string())
    if name == "binary":
        return pa.array([None if v is None else str(v).encode() for v in arr.to_pylist()], pa.binary())
    typ = {
        "float64": pa.float64(),
        "float16": pa.float16(),
        "int8": pa.int8(),
        "uint64": pa.uint64(),
        "bool": pa.bool_(),
    }[name]
    try:
        return pc.cast(arr, typ, safe=False)
    except (pa.ArrowException, NotImplementedError):
        if pa.types.is_list(arr.type) or pa.types.is_fixed_size_list(arr.type):
            try:
                return pc.cast(arr, pa.list_(typ), safe=False)
            except (pa.ArrowException, NotImplementedError):
                pass
        return _array([v if not isinstance(v, (list, dict)) else None for v in arr.to_pylist()], typ)


def _set_column(t: pa.Table, name: str, arr: pa.Array) -> pa.Table:
    return t.set_column(t.schema.get_field_index(name), pa.field(name, arr.type), arr)


def apply_parquet(path: Path, m: tuple) -> None:
    t = pq.read_table(path)
    meta = t.schema.metadata
    op, row_group_size = m[1], None
    if op == "set":
        _, _, col, row, mode, value = m
        values = t[col].to_pylist()
        if row < len(values):
            old = values[row]
            if mode == "element" and isinstance(old, list) and old:
                old = list(old)
                old[0] = value
                values[row] = old
            elif mode == "list_of" and isinstance(old, list):
                values[row] = [value] * (len(old) or 1)
            else:
                values[row] = value
        t = _set_column(t, col, _array(values, t.schema.field(col).type))
    elif op == "retype":
        t = _set_column(t, m[2], _retype(t[m[2]], m[3]))
    elif op == "drop":
        t = t.drop_columns([m[2]])
    elif op == "rename":
        t = t.rename_columns([m[3] if c == m[2] else c for c in t.column_names])
    elif op == "drop_rows":
        t = pa.concat_tables([t.slice(0, m[2]), t.slice(m[2] + m[3])])
    elif op == "repeat_rows":
        t = pa.concat_tables([t, t.slice(m[2], m[3])])
    elif op == "swap_rows":
        idx = list(range(t.num_rows))
        if idx:
            i, j = min(m[2], len(idx) - 1), min(m[3], len(idx) - 1)
            idx[i], idx[j] = idx[j], idx[i]
        t = t.take(idx)
    elif op == "metadata":
        meta = dict(meta or {})
        if m[3] is None:
            meta.pop(m[2], None)
        else:
            meta[m[2]] = m[3]
    elif op == "row_groups":
        row_group_size = m[2]
    elif op in ("image_bytes", "image_path"):
        col, row = m[2], m[3]
        values = t[col].to_pylist()
        if row < len(values):
            item = dict(values[row] or {})
            if op == "image_bytes":
                item["bytes"] = apply_bytes(item.get("bytes") or b"", m[4])
            else:
                item.update(bytes=None, path=m[4])
            values[row] = item
        t = _set_column(t, col, _array(values, t.schema.field(col).type))
    t = t.replace_schema_metadata(meta)
    try:
        pq.write_table(t, path, row_group_size=row_group_size)
    except (pa.ArrowException, TypeError, ValueError):
        pass  # a table Arrow cannot write: the file keeps its previous bytes


# -------------------------------------------------------------------------------------- safetensors

DTYPES = ["F32", "F64", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL", "F8_E4M3", "XYZ", "", None, 3]
SHAPES = [[], [0], [-1], [1], [2**40, 2**40], [2**62], [1] * 12, [3, 3], [1, 1, 1, 1, 1], "8"]
FLOATS = [NAN, INF, -INF, 3e38, -3e38, 1e-45]


def split_safetensors(data: bytes) -> tuple[int, dict, bytes]:
    n = struct.unpack("<Q", data[:8])[0]
    return n, json.loads(data[8 : 8 + n]), data[8 + n :]


def join_safetensors(header, body: bytes, n: int | None = None) -> bytes:
    text = dumps(header).encode() if not isinstance(header, bytes) else header
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text) if n is None else n) + text + body


@st.composite
def safetensors_mutation(draw, data: bytes, values: st.SearchStrategy):
    n, header, body = split_safetensors(data)
    names = sorted(k for k in header if k != "__metadata__")
    name = draw(st.sampled_from(names))
    op = draw(
        st.sampled_from(["length", "dtype", "shape", "offsets", "header", "header", "value", "value", "body"])
    )
    if op == "length":
        return (
            "safetensors",
            op,
            draw(
                st.one_of(
                    st.sampled_from([0, 1, 7, n - 1, n + 1, n + 8, len(data), 2**32, 2**63, 2**64 - 1]),
                    st.integers(0, 2**64 - 1),
                )
            ),
        )
    if op == "dtype":
        return ("safetensors", op, name, draw(st.sampled_from(DTYPES)))
    if op == "shape":
        return (
            "safetensors",
            op,
            name,
            draw(st.one_of(st.sampled_from(SHAPES), st.lists(st.integers(-2, 2**33), max_size=4))),
        )
    if op == "offsets":
        a, b = header[name]["data_offsets"]
        pool = [
            [b, a],
            [a, a],
            [0, 0],
            [a, len(body) + 1],
            [a, 2**63],
            [-1, b],
            [a + 1, b + 1],
            [0, len(body)],
            [a],
            "0",
        ]
        return (
            "safetensors",
            op,
            name,
            draw(st.one_of(st.sampled_from(pool), st.lists(st.integers(-1, 2**64), max_size=3))),
        )
    if op == "header":
        return ("safetensors", op, draw(json_mutation(header, values)))
    if op == "value":
        info = header[name]
        count = max(1, math.prod(info["shape"]))
        return ("safetensors", op, name, draw(st.integers(0, count - 1)), draw(st.sampled_from(FLOATS)))
    return ("safetensors", op, draw(bytes_mutation(len(body))))


def apply_safetensors(data: bytes, m: tuple) -> bytes:
    n, header, body = split_safetensors(data)
    op = m[1]
    if op == "length":
        return struct.pack("<Q", m[2]) + data[8:]
    if op in ("dtype", "shape", "offsets"):
        header[m[2]][{"dtype": "dtype", "shape": "shape", "offsets": "data_offsets"}[op]] = m[3]
        return join_safetensors(header, body)
    if op == "header":
        return join_safetensors(apply_json(header, m[2]), body)
    if op == "value":
        info = header[m[2]]
        if info["dtype"] != "F32":
            return data
        at = info["data_offsets"][0] + 4 * m[3]
        b = bytearray(body)
        b[at : at + 4] = struct.pack("<f", m[4])
        return struct.pack("<Q", n) + data[8 : 8 + n] + bytes(b)
    return struct.pack("<Q", n) + data[8 : 8 + n] + apply_bytes(body, m[2])


# -------------------------------------------------------------------------------------------- lines


@st.composite
def lines_mutation(draw, lines: list[str], line: st.SearchStrategy):
    op = draw(st.sampled_from(["replace", "replace", "insert", "delete"]))
    i = draw(st.integers(0, max(len(lines) - 1, 0)))
    if op == "delete":
        return ("lines", op, i)
    return ("lines", op, i, draw(line))


def apply_lines(text: str, m: tuple) -> str:
    lines = text.split("\n")
    op, i = m[1], m[2]
    if op == "delete":
        del lines[i]
    elif op == "insert":
        lines.insert(i, m[3])
    else:
        lines[i] = m[3]
    return "\n".join(lines)
