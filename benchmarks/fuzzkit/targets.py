"""One target per reader: what it mutates (`cases()`, a Hypothesis strategy) and how it reads it (`run`).

| suite | artefact | reader called |
|---|---|---|
| dataset | a recorded 2-episode 32x32 dataset | `load_dataset`, every frame through `ds[i]`, `build_cache` |
| video | LeRobot's 4-episode video fixture | the same (frames decoded from the mp4 with PyAV) |
| checkpoint | tiny `default` and `simple` policies | `load_policy`, one `select_action` on a dummy batch |
| instructions | an instruction file | `simplevla.eval.freetext.read_instruction_file` |
| cli | the dataset and checkpoint | `simplevla.cli.main(argv)` with generated numeric and path flags |
| web | the `default` checkpoint served | `simplevla serve`'s app through FastAPI's TestClient |
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import math
import re
import urllib.parse
from pathlib import Path

import numpy as np
from hypothesis import strategies as st

from . import mutate as M
from .artefacts import Workspace
from .guard import Invalid, Outcome

FIELD = re.compile(
    r"'[^']*'|\b(field|fields|column|row|header|tensor|key|line|shape|dtype|json|parquet|safetensors|missing|"
    r"truncated|empty|directory|symlink|outside|exist|file)\b|:\d+",
    re.IGNORECASE,
)


def names_in(*roots: Path):
    """A refusal's message must name a path under one of `roots` (the file) and a field."""

    def names(msg: str) -> str | None:
        if not any(str(r) in msg for r in roots):
            return "names no file of the input"
        if not FIELD.search(msg.replace(str(roots[0]), "")):
            return "names no field"
        return None

    return names


def _read_json(path: Path):
    return json.loads(path.read_text())


def _mutate(path: Path, m: tuple, outside: Path, other) -> None:
    """Apply mutation `m` to the file at path: bytes, the file itself, JSON values, or `other(path, m)` for the
    file's own format (parquet cells, the safetensors header and tensors)."""
    if m[0] == "bytes":
        path.write_bytes(M.apply_bytes(path.read_bytes(), m))
    elif m[0] == "file":
        M.apply_file(path, m, outside)
    elif m[0] == "json":
        path.write_text(M.dumps(M.apply_json(_read_json(path), m)))
    else:
        other(path, m)


def _apply_safetensors(path: Path, m: tuple) -> None:
    path.write_bytes(M.apply_safetensors(path.read_bytes(), m))


def _weighted(*pairs: tuple[int, st.SearchStrategy]) -> st.SearchStrategy:
    return st.one_of(*[s for w, s in pairs for _ in range(w)])


# ------------------------------------------------------------------------------------------ dataset

DATASET_FILES = {
    "meta/info.json": "json",
    "meta/stats.json": "json",
    "meta/tasks.parquet": "parquet",
    "meta/episodes/chunk-000/file-000.parquet": "parquet",
    "data/chunk-000/file-000.parquet": "parquet",
}


VIDEO_FILES = {
    "videos/observation.image/chunk-000/file-000.mp4": "bytes",
    "meta/info.json": "json",
    "meta/episodes/chunk-000/file-000.parquet": "parquet",
    "data/chunk-000/file-000.parquet": "parquet",
}


class DatasetTarget:
    name, artefact, files = "dataset", "dataset", DATASET_FILES

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def cases(self) -> st.SearchStrategy:
        import pyarrow.parquet as pq

        base, values = getattr(self.ws, self.artefact), M.json_values(self.ws.outside_strings())
        per_file = []
        for rel, kind in self.files.items():
            path = base / rel
            if kind == "json":
                structured = M.json_mutation(_read_json(path), values)
            elif kind == "bytes":
                structured = M.bytes_mutation(path.stat().st_size)
            else:
                pf = pq.ParquetFile(path)
                structured = M.parquet_mutation(
                    pf.schema_arrow, pf.metadata.num_rows, self.ws.outside_strings()
                )
            s = _weighted((6, structured), (2, M.bytes_mutation(path.stat().st_size)), (1, M.file_mutation()))
            per_file.append(st.tuples(st.just(rel), s))
        return st.one_of(*per_file)

    def apply(self, root: Path, case: tuple) -> None:
        rel, m = case
        _mutate(root / rel, m, self.ws.outside, M.apply_parquet)

    def run(self, case: tuple) -> Outcome:
        from simplevla import keys
        from simplevla.data import build_cache, load_dataset
        from simplevla.models.normalize import Normalizer

        root = self.ws.fresh(self.artefact)
        self.apply(root, case)
        cache_dir = self.ws.fresh_out() / "cache"

        def call() -> None:
            ds = load_dataset(root)
            feats, n = ds.meta.features, len(ds)
            if n != ds.meta.total_frames:
                raise Invalid(f"{n} frames but total_frames {ds.meta.total_frames}")
            for i in range(n):
                item = ds[i]
                for k in ds.image_keys + ds.video_keys:
                    if item[k].dtype != np.uint8 or list(item[k].shape) != list(feats[k]["shape"]):
                        raise Invalid(f"frame {i} '{k}' is {item[k].dtype} {item[k].shape}")
                for k in (keys.STATE, keys.ACTION):  # the reader requires both features
                    v = np.asarray(item[k], np.float64)
                    if v.shape != tuple(feats[k]["shape"]) or not np.isfinite(v).all():
                        raise Invalid(f"frame {i} '{k}' is {v.tolist()}")
                if not isinstance(item[keys.TASK], str):
                    raise Invalid(f"frame {i} task is {item[keys.TASK]!r}")
            cache = build_cache(root, cache_dir)
            if len(cache) != n or len(cache.images) != n or cache.actions.shape[0] != n:
                raise Invalid(f"cache of {len(cache)} frames for {n}")
            frames = cache.images[np.arange(min(n, 4))]
            if frames.dtype != np.uint8 or not np.isfinite(cache.actions).all():
                raise Invalid("cache frames or actions malformed")
            stats = cache.stats
            if keys.STATE in stats and keys.ACTION in stats:  # what training builds its normalizer from
                Normalizer(stats, cache.states.shape[1], cache.actions.shape[1])

        return self.ws.guard.run(root, call, names_in(root), allow=(self.ws.out,))


class VideoTarget(DatasetTarget):
    """The dataset suite on LeRobot's video fixture: the mp4 (bytes, the file itself), the episodes table
    that indexes into it (from_timestamp, chunk and file indices), info.json and the data file."""

    name, artefact, files = "video", "video_dataset", VIDEO_FILES


# --------------------------------------------------------------------------------------- checkpoint

CKPT_FILES = {
    "config.json": "json",
    "stats.json": "json",
    "tokenizer.json": "json",
    "model.safetensors": "st",
}


class CheckpointTarget:
    name = "checkpoint"

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def cases(self) -> st.SearchStrategy:
        values = M.json_values(self.ws.outside_strings())
        out = []
        for which in ("ckpt_default", "ckpt_simple"):
            base = getattr(self.ws, which)
            for rel, kind in CKPT_FILES.items():
                path = base / rel
                if kind == "json":
                    structured = M.json_mutation(_read_json(path), values)
                else:
                    structured = M.safetensors_mutation(path.read_bytes(), values)
                s = _weighted(
                    (6, structured), (2, M.bytes_mutation(path.stat().st_size)), (1, M.file_mutation())
                )
                out.append(st.tuples(st.just(which), st.just(rel), s))
        return st.one_of(*out)

    def run(self, case: tuple) -> Outcome:
        import torch

        from simplevla import keys
        from simplevla.models import load_policy

        which, rel, m = case
        root = self.ws.fresh(which)
        _mutate(root / rel, m, self.ws.outside, _apply_safetensors)

        def call() -> None:
            policy = load_policy(root)
            for name, t in [*policy.named_parameters(), *policy.named_buffers()]:
                if t.is_floating_point() and not torch.isfinite(t).all():
                    raise Invalid(f"loaded with NaN or inf in '{name}'")
            cfg = policy.config
            size = int(cfg.image_size)
            batch = {
                keys.IMAGE: torch.rand(1, 3, size, size),
                keys.STATE: torch.rand(1, int(cfg.state_dim)),
                keys.TASK: ["push the red block left"],
            }
            action = policy.select_action(batch)
            if tuple(action.shape) != (1, int(cfg.action_dim)) or action.dtype != torch.float32:
                raise Invalid(f"select_action gave {action.dtype} {tuple(action.shape)}")

        return self.ws.guard.run(root, call, names_in(root))


# ------------------------------------------------------------------------------------- instructions

FAMILY_STRINGS = ["", "REACH", "reach ", "nope", "__class__", "reach\treach"]
SEED_STRINGS = ["0", "-1", "5000000", "1e999", "nan", "inf", "٣", "0x10", "+3", " 7", "1_000", "7.0", "9" * 5000, "", "True"]  # fmt: skip
INSTRUCTION_STRINGS = ["push the red block left", "", " ", "a" * 1000, "a" * 1001, "x\x00y", "x\ry", "x\x1by", "\u202eabc", "é🟥", "\t\t"]  # fmt: skip


class InstructionsTarget:
    name = "instructions"

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def cases(self) -> st.SearchStrategy:
        from simplevla.envs.tabletop.tasks import FAMILIES

        family = st.one_of(st.sampled_from(FAMILIES), st.sampled_from(FAMILY_STRINGS), st.text(max_size=8))
        seed = st.one_of(st.sampled_from(SEED_STRINGS), st.integers().map(str))
        text = st.one_of(st.sampled_from(INSTRUCTION_STRINGS), st.text(max_size=30))
        values = M.json_values()
        tsv = st.tuples(family, seed, text).map("\t".join)
        odd = st.lists(st.text(max_size=6), max_size=5).map("\t".join)
        obj = st.fixed_dictionaries(
            {},
            optional={
                "family": st.one_of(family, values),
                "seed": st.one_of(st.integers(), values),
                "instruction": st.one_of(text, values),
                "extra": values,
            },
        ).map(lambda d: " ".join(M.dumps(d).split("\n")))
        line = st.one_of(tsv, tsv, odd, obj, obj, st.sampled_from(["{", "{}", "[1]", "#", "{" + "[" * 50000]))
        size = self.ws.instructions.stat().st_size
        lines = self.ws.instructions.read_text().split("\n")
        # a symlink out is the user's own choice of file here (the path is given on the command line)
        file_ops = tuple(op for op in M.FILE_OPS if op != "symlink_out")
        return _weighted(
            (6, M.lines_mutation(lines, line)), (2, M.bytes_mutation(size)), (1, M.file_mutation(file_ops))
        )

    def run(self, case: tuple) -> Outcome:
        from simplevla.envs.tabletop.tasks import FAMILIES
        from simplevla.eval.freetext import MAX_INSTRUCTION_CHARS, read_instruction_file

        path = self.ws.fresh("instructions")
        if case[0] == "lines":
            path.write_text(M.apply_lines(path.read_text(), case), encoding="utf-8")
        elif case[0] == "bytes":
            path.write_bytes(M.apply_bytes(path.read_bytes(), case))
        else:
            M.apply_file(path, case, self.ws.outside)

        def call() -> None:
            for row in read_instruction_file(path):
                text = row["instruction"]
                ok = row["family"] in FAMILIES and type(row["seed"]) is int and row["seed"] >= 0
                ok = ok and isinstance(text, str) and 0 < len(text) <= MAX_INSTRUCTION_CHARS
                if not ok or text != " ".join(text.split()) or any(ord(c) < 32 for c in text):
                    raise Invalid(f"read the row {row!r}")

        return self.ws.guard.run(path.parent, call, names_in(path))


# ---------------------------------------------------------------------------------------------- cli

NUMBERS = [
    "0", "-1", "1", "2", "-0", "nan", "NaN", "inf", "-inf", "Infinity", "1e309", "-1e309", "1e-320",
    "9223372036854775807", "9223372036854775808", "-9223372036854775809", "1" + "0" * 400, "1.5", "0.5",
    "-0.5", "1e3", "0x10", "1_000", " 3", "3 ", "+5", "", "abc", "٣", "½", "None", "true", "[1]",
]  # fmt: skip
FLAGS = {
    "train": [
        "--steps", "--save-every", "--batch-size", "--lr", "--weight-decay", "--warmup-steps", "--min-lr-ratio",
        "--grad-clip", "--ema-decay", "--val-every", "--val-batches", "--val-fraction", "--log-every", "--seed",
        "--threads", "--dist-timeout", "--policy.chunk-size", "--policy.n-action-steps", "--policy.image-size",
        "--policy.action-modes", "--policy.keypoints", "--policy.vision-channels", "--policy.vision-dim",
        "--policy.text-dim", "--policy.head-hidden", "--policy.word-dropout", "--policy.aux-weight",
        "--policy.text-snap", "--policy.text-noise", "--policy.parse-weight", "--policy.wrist-crop",
        "--policy.strided-convs", "--policy.state-dim",
    ],
    "record": ["--episodes", "--size", "--workers", "--seed", "--noise", "--front-starts", "--max-steps", "--goal-marker", "--shard"],
    "eval": ["--episodes", "--envs", "--videos", "--seed", "--size", "--max-steps", "--goal-marker", "--workers"],
    "serve": ["--port", "--max-sessions", "--idle-timeout", "--fps", "--threads"],
    "view": ["--episode", "--scale"],
}  # fmt: skip
PATHS = [
    "dataset",
    "ckpt",
    "instructions",
    "nope",
    "input",
    "data_file",
    "empty",
    "dot",
    "long",
    "unicode",
    "dash",
]


class CliTarget:
    """`simplevla.cli.main(argv)`, in-process. `data info`, `data validate` and `data view` run for real on
    generated paths and numbers; `train`, `record`, `eval` and `serve` parse and validate their flags (the
    dataclasses' `__post_init__`) and stop before `run()`, whose stand-in refuses a NaN it was given."""

    name = "cli"

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def cases(self) -> st.SearchStrategy:
        number = st.one_of(st.sampled_from(NUMBERS), st.integers().map(str), st.floats().map(repr))
        validate = st.sampled_from(["train", "eval", "serve", "record"]).flatmap(
            lambda c: st.lists(st.tuples(st.sampled_from(FLAGS[c]), number), min_size=1, max_size=3).map(
                lambda flags: ("flags", c, tuple(flags))
            )
        )
        data = st.tuples(
            st.sampled_from(["info", "validate", "validate --no-frames", "view"]),
            st.sampled_from(PATHS),
            st.lists(st.tuples(st.sampled_from(FLAGS["view"]), number), max_size=2),
            st.sampled_from(["out/x.gif", "out/dir", "out/file/x.gif", "out/new/x.gif"]),
        ).map(lambda t: ("data", *t[:2], tuple(t[2]), t[3]))
        return st.one_of(validate, data)

    def _path(self, name: str, inp: Path) -> str:
        return {
            "dataset": str(inp / "dataset"),
            "ckpt": str(inp / "ckpt_default"),
            "instructions": str(inp / "instructions.txt"),
            "nope": str(inp / "nope"),
            "input": str(inp),
            "data_file": str(inp / "dataset/data/chunk-000/file-000.parquet"),
            "empty": "",
            "dot": str(inp / "dataset" / "."),
            "long": str(inp / ("a" * 5000)),
            "unicode": str(inp / "é🟥\u202e"),
            "dash": "-",
        }[name]

    def argv(self, case: tuple, inp: Path, out: Path) -> list[str]:
        if case[0] == "flags":
            _, command, flags = case
            base = {
                "train": ["train", "--dataset", str(inp / "dataset"), "--out", str(out / "run")],
                "eval": ["eval", "--policy", str(inp / "ckpt_default")],
                "serve": ["serve", "--policy", str(inp / "ckpt_default")],
                "record": ["record", "--out", str(out / "rec")],
            }[command]
            return base + [a for flag, v in flags for a in (flag, v)]
        _, sub, path, flags, dest = case
        argv = ["data", *sub.split(), self._path(path, inp)]
        if sub == "view":
            argv += ["--out", str(out.parent / dest)] + [a for flag, v in flags for a in (flag, v)]
        return argv

    def run(self, case: tuple) -> Outcome:
        import shutil

        from simplevla.errors import SimplevlaError

        ws = self.ws
        ws.canary  # noqa: B018
        if ws.input.exists():
            shutil.rmtree(ws.input)
        ws.input.mkdir(parents=True)
        for name in ("dataset", "ckpt_default", "instructions"):
            src = getattr(ws, name)
            (shutil.copytree if src.is_dir() else shutil.copy)(src, ws.input / src.name)
        out = ws.fresh_out()
        (out / "file").write_text("a file where a directory should be")
        (out / "dir").mkdir()
        argv = self.argv(case, ws.input, out)
        flags = [f.lstrip("-") for f in argv if f.startswith("--")]
        hostile = [v for v in argv[1:] if v] + [f.replace("-", "_") for f in flags]
        hostile += [
            f.rsplit(".", 1)[-1].replace("-", "_") for f in flags
        ]  # 'aux_weight' of --policy.aux-weight
        if case[0] == "data":
            hostile.append(
                str(Path(self._path(case[2], ws.input)) / "meta")
            )  # `data info ""`: ./meta/info.json

        def call() -> None:
            from simplevla.cli import main

            err = io.StringIO()
            with _stubbed_runs(), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
                try:
                    rc = main(argv)
                except SystemExit as e:  # tyro's usage errors (exit 2) and --help (exit 0)
                    rc = e.code if isinstance(e.code, int) else 1
            if rc == 2:
                raise SimplevlaError(err.getvalue().strip() or "(nothing printed)")
            if rc != 0:
                raise Invalid(f"exit code {rc}: {err.getvalue()[-500:]}")

        def names(msg: str) -> str | None:
            flat = " ".join(re.sub(r"[│╭╮╰╯─]+", " ", msg).split())  # tyro's box, unwrapped
            short = [" ".join(h[:60].split()) for h in hostile]
            return None if any(h and h in flat for h in short) else "names neither the flag nor the path"

        return ws.guard.run(ws.input, call, names, allow=(out,))


@contextlib.contextmanager
def _stubbed_runs():
    """`train`, `record`, `eval` and `serve` stop after parsing: their `run` checks the parsed config holds
    no NaN (a NaN passes every `x < 0` test) and returns."""
    from simplevla.collect.commands import RecordCommand
    from simplevla.eval.commands import EvalCommand
    from simplevla.serve.command import ServeCommand
    from simplevla.train.loop import TrainCommand

    def run(self) -> dict:
        bad = _nan_fields(self)
        if bad:
            raise Invalid(f"accepted NaN for {bad}")
        return {"parsed": True}

    classes = (TrainCommand, RecordCommand, EvalCommand, ServeCommand)
    old = [c.__dict__["run"] for c in classes]
    for c in classes:
        c.run = run
    try:
        yield
    finally:
        for c, r in zip(classes, old, strict=True):
            c.run = r


def _nan_fields(obj, prefix: str = "") -> list[str]:
    out = []
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        if dataclasses.is_dataclass(v):
            out += _nan_fields(v, f"{prefix}{f.name}.")
        elif isinstance(v, float) and math.isnan(v):
            out.append(prefix + f.name)
    return out


# ---------------------------------------------------------------------------------------------- web

RAW_BODIES = [
    "",
    "null",
    "[]",
    "1e999",
    "NaN",
    "{",
    '"x"',
    '{"seed": 1e999}',
    '{"seed": NaN}',
    "[" * 100_000,
    "\xff",
]
ROUTES = [
    "create",
    "reset",
    "step",
    "state",
    "download",
    "close",
    "info",
    "stats",
    "static",
    "page",
    "unknown",
]


class WebTarget:
    """The JSON API of `simplevla serve` (FastAPI's TestClient, the app of src/simplevla/serve/app.py) on a
    tiny policy: each example opens a session, sends 1 to 3 generated requests (JSON bodies of other types,
    unknown fields, hostile seeds, groups and instructions, raw bodies that are no JSON, session ids and
    download formats that are no such thing, random query strings) and closes what it opened. Every answer
    must be 2xx, or 4xx (503: the session limit) with a JSON {"error": message}; never a 500."""

    name = "web"

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self._client = None

    def client(self):
        if self._client is None:
            import logging

            from fastapi.testclient import TestClient

            from simplevla.models import load_policy
            from simplevla.serve.app import make_app

            for name in ("httpx", "httpx2"):  # one INFO line per request otherwise
                logging.getLogger(name).setLevel(logging.WARNING)
            app = make_app(load_policy(self.ws.ckpt_default), max_sessions=4, idle_s=60, fps=1000)
            self._client = TestClient(app, raise_server_exceptions=True)
            self._client.__enter__()
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.__exit__(None, None, None)
            self._client = None

    def cases(self) -> st.SearchStrategy:
        values = M.json_values()
        fields = st.sampled_from(["suite", "seed", "group", "instruction", "extra", "op"])
        obj = st.dictionaries(
            fields,
            st.one_of(
                values, st.integers(), st.sampled_from(["tabletop", "reach", "push_to_place", "go left"])
            ),
            max_size=4,
        )
        body = st.one_of(obj, obj, values, st.sampled_from(RAW_BODIES), st.binary(max_size=32))
        sid = st.one_of(
            st.just("@own"),
            st.sampled_from(["", "..", "../../etc/passwd", "%00", "a" * 5000]),
            st.text(max_size=12),
        )
        fmt = st.one_of(st.sampled_from(["gif", "mp4", "png", "", "../x", "gif?x=1"]), st.text(max_size=6))
        query = st.dictionaries(st.text(max_size=6), st.text(max_size=12), max_size=2)
        request = st.tuples(st.sampled_from(ROUTES), body, sid, fmt, query)
        return st.lists(request, min_size=1, max_size=3).map(tuple)

    def run(self, case: tuple) -> Outcome:
        client, root = self.client(), self.ws.ckpt_default
        opened: list[str] = []

        def send(route, body, sid, fmt, query):
            if sid == "@own":
                sid = opened[0] if opened else "none"
            seg = urllib.parse.quote(sid, safe="")
            url = {
                "create": ("POST", "/api/sessions"),
                "reset": ("POST", f"/api/sessions/{seg}/reset"),
                "step": ("POST", f"/api/sessions/{seg}/step"),
                "state": ("GET", f"/api/sessions/{seg}"),
                "download": ("GET", f"/api/sessions/{seg}/episode.{urllib.parse.quote(fmt, safe='')}"),
                "close": ("DELETE", f"/api/sessions/{seg}"),
                "info": ("GET", "/api/info"),
                "stats": ("GET", "/api/stats"),
                "static": ("GET", f"/static/{urllib.parse.quote(sid, safe='/')}"),
                "page": ("GET", "/"),
                "unknown": ("POST", f"/api/{seg}"),
            }[route]
            if isinstance(body, (bytes, str)):
                content = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
            else:
                content = M.dumps(body).encode()
            r = client.request(
                url[0], url[1], content=content, params=query, headers={"content-type": "application/json"}
            )
            return url, r

        def call():
            refused = None
            try:
                r = client.post("/api/sessions", json={"seed": 1, "group": "reach"})
                if r.status_code != 201:
                    raise Invalid(f"could not open a session: {r.status_code} {r.text[:200]}")
                opened.append(r.json()["session"])
                for route, body, sid, fmt, query in case:
                    url, r = send(route, body, sid, fmt, query)
                    if r.status_code == 201 and route == "create":
                        opened.append(r.json()["session"])
                    if r.status_code < 400:
                        continue
                    try:
                        error = r.json()["error"]
                    except (ValueError, KeyError, TypeError):
                        raise Invalid(
                            f"{url}: {r.status_code} without a JSON error: {r.text[:200]}"
                        ) from None
                    if not isinstance(error, str) or not (r.status_code < 500 or r.status_code == 503):
                        raise Invalid(f"{url}: {r.status_code} {str(error)[:300]}")
                    refused = refused or f"{url[0]} {url[1][:60]}: HTTP {r.status_code}: {error[:200]}"
            finally:
                for sid in opened:
                    client.delete(f"/api/sessions/{sid}")
            return refused

        return self.ws.guard.run(root, call, lambda m: None)


SUITES = {
    "dataset": DatasetTarget,
    "video": VideoTarget,
    "checkpoint": CheckpointTarget,
    "instructions": InstructionsTarget,
    "cli": CliTarget,
    "web": WebTarget,
}
