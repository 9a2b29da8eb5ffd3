"""`merge_datasets`: several LeRobot v3.0 datasets of the same features as one, written atomically.

Episodes keep their order (the first dataset's, then the second's, ...) and are renumbered from 0; tasks are
the union, indexed in order of first appearance; stats are recomputed over all frames. So merging the
shards of a recording (`simplevla record --shard I/N`) gives the dataset one recording of all their seeds
would have given (tests/data/test_merge.py). As LeRobot's `lerobot-edit-dataset` merge does, datasets whose
features (names, dtypes, shapes) or fps differ are refused; so are recordings whose seed ranges overlap,
which would hold the same episodes twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from simplevla.data.reader import LeRobotDataset, load_dataset
from simplevla.data.writer import Episode, episodes_of, write_dataset
from simplevla.errors import SimplevlaError
from simplevla.locking import writer_lock


def check_mergeable(datasets: Sequence[LeRobotDataset], roots: Sequence[Path]) -> None:
    """Raise SimplevlaError naming the first feature, fps or seed range on which the datasets disagree."""
    first, where = datasets[0].meta, roots[0] / "meta/info.json"
    for ds, root in zip(datasets[1:], roots[1:], strict=True):
        info = root / "meta/info.json"
        if ds.meta.fps != first.fps:
            raise SimplevlaError(
                f"{info}: field 'fps' is {ds.meta.fps}, {where} has {first.fps}; cannot merge"
            )
        names = sorted(set(first.features) | set(ds.meta.features))
        for name in names:
            a, b = first.features.get(name), ds.meta.features.get(name)
            if a is None or b is None:
                has, lacks = (where, info) if b is None else (info, where)
                raise SimplevlaError(
                    f"{lacks}: field 'features.{name}' is missing, {has} has it; the datasets' features differ, "
                    "cannot merge"
                )
            for key in ("dtype", "shape", "names"):
                if a.get(key) != b.get(key):
                    raise SimplevlaError(
                        f"{info}: field 'features.{name}.{key}' is {b.get(key)!r}, {where} has {a.get(key)!r}; "
                        "the datasets' features differ, cannot merge"
                    )
    seen: list[tuple[int, int, Path, str]] = []
    for ds, root in zip(datasets, roots, strict=True):
        meta = ds.meta.info.get("simplevla", {})
        env = meta.get("env", {}).get("id", "")
        for a, b in meta.get("seed_ranges", []):
            for a2, b2, other, env2 in seen:
                if env == env2 and a < b2 and a2 < b:
                    raise SimplevlaError(
                        f"{root / 'meta/info.json'}: field 'simplevla.seed_ranges' holds seeds {a}..{b - 1}, which "
                        f"overlap {a2}..{b2 - 1} of {other}: the merge would hold the same episodes twice"
                    )
            seen.append((a, b, root, env))


def merged_info(datasets: Sequence[LeRobotDataset], roots: Sequence[Path]) -> dict:
    """The merged dataset's `simplevla` metadata: its sources, and the recordings' env, seed ranges and
    failed seeds where the sources have them (the env only when all sources share it)."""
    metas = [ds.meta.info.get("simplevla", {}) for ds in datasets]
    out: dict = {
        "merged_from": [
            {"path": str(root), "episodes": ds.meta.total_episodes, "frames": ds.meta.total_frames}
            for ds, root in zip(datasets, roots, strict=True)
        ]
    }
    envs = [m.get("env") for m in metas]
    if envs[0] is not None and all(e == envs[0] for e in envs):
        out["env"] = envs[0]
    ranges = sorted(tuple(r) for m in metas for r in m.get("seed_ranges", []))
    if ranges:
        out["seed_ranges"] = _join(ranges)
        out["failed_seeds"] = sorted(s for m in metas for s in m.get("failed_seeds", []))
        out["note"] = "episode seeds are seed_ranges minus failed_seeds, in order of the merged sources"
    return out


def _join(ranges: list[tuple[int, int]]) -> list[list[int]]:
    """Sorted [start, end) ranges with touching ones joined."""
    out: list[list[int]] = []
    for a, b in ranges:
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return out


def merge_datasets(sources: Sequence[str | Path], out: str | Path) -> dict:
    """Merge `sources` (at least two dataset directories) into a new dataset at `out`; returns its info."""
    roots, out = [Path(s) for s in sources], Path(out)
    if len(roots) < 2:
        raise SimplevlaError(f"data merge: give at least two datasets to merge, got {len(roots)}")
    if out.exists():
        raise SimplevlaError(f"{out}: already exists; choose another --out")
    if any(out.resolve() == r.resolve() for r in roots):
        raise SimplevlaError(f"{out}: is one of the datasets to merge; choose another --out")
    datasets = [load_dataset(r) for r in roots]  # each validated before anything is written
    for ds, root in zip(datasets, roots, strict=True):
        if ds.meta.video_keys:
            raise SimplevlaError(
                f"{root / 'meta/info.json'}: field 'features.{ds.meta.video_keys[0]}' is a video; merge reads "
                "image (PNG) datasets, as `simplevla record` writes them"
            )
    check_mergeable(datasets, roots)

    def episodes() -> Iterator[Episode]:
        for ds in datasets:
            yield from episodes_of(ds)

    with writer_lock(out, "data merge"):  # one writer per dataset; freed even on SIGKILL
        return write_dataset(out, datasets[0].meta.features, episodes(), merged_info(datasets, roots))
