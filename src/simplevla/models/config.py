"""`PolicyConfig`: which parts a policy is built from, with presets that fill every unset field.

A preset is a plain dict of field values. `PolicyConfig(preset="default", chunk_size=4)` takes every field
you leave as `None` from the preset, then validates the whole config. The CLI exposes the preset as
`--preset` and every field as a dotted override (`--policy.vision convnet`).
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, Literal

import numpy as np
import tyro

from simplevla.errors import SimplevlaError

TEXTS = ("lstm", "wordllama")
# Text encoders that measured no better and left the code, with the release that last had them.
RETIRED_TEXTS = {"minilm": "0.1.0", "minilm_words": "0.1.0"}
MAX_SIZE = 4096  # upper bound of every width, size and count field of a policy config
FORMAT_VERSION = 1  # bump when config.json / model.safetensors layouts change incompatibly

PRESETS: dict[str, dict[str, Any]] = {
    # The tutorial's SimpleVLA, exactly: its CNN, Embedding+LSTM, concatenation and tanh MLP decoder, one
    # action per prediction, MSE, no effector state. Only the image size (64) and the action size differ.
    "simple": dict(
        vision="simple",
        text="lstm",
        fusion="concat",
        head="tanh",
        use_state=False,
        chunk_size=1,
        n_action_steps=1,
        loss="mse",
        image_size=64,
        vision_channels=(32, 64, 128, 256),
        keypoints=0,
        vision_dim=512,
        text_embed_dim=256,
        text_dim=512,
        head_hidden=512,
        word_dropout=0.0,
        text_noise=0.0,
        text_snap=0.0,
        keypoint_offsets=False,
        wrist_crop=0,
        action_modes=1,
        aux_weight=0.0,
        head_film=False,
        relative_keypoints=False,
        plan_input=False,
        parse_weight=0.0,
    ),
    # The strongest combination measured (see docs/policies.md): FiLM-conditioned GroupNorm
    # CNN with spatial-softmax keypoints, an LSTM instruction encoder whose words are read through the
    # pretrained wordllama vectors (each word as its nearest training words, so unseen synonyms land on
    # known ones), effector state, chunked L1 head that also reads the policy's own estimate of the task
    # object and its goal (the plan input) and predicts four alternative chunks (e.g. each way round an
    # object) with a score each.
    "default": dict(
        vision="convnet",
        text="wordllama",
        text_snap=0.02,  # vs the plain LSTM: paraphrases 50.5-58% vs 36.5-38%, train wording 90-94% vs 91-95%
        fusion="film",
        head="chunk",
        use_state=True,
        chunk_size=8,
        n_action_steps=4,
        loss="l1",
        image_size=64,
        vision_channels=(32, 64, 64),
        keypoints=32,
        vision_dim=256,
        text_embed_dim=64,
        text_dim=128,
        head_hidden=256,
        word_dropout=0.1,
        text_noise=0.0,
        keypoint_offsets=True,
        action_modes=4,  # alternative chunks, the best-scored one executed: 94.3% (2: 92.0%, 1: 87.4%; docs/results.md)
        aux_weight=1.0,  # learn to read task_xy (needs a dataset recorded with --task-xy) ...
        plan_input=True,  # ... and give that reading to the head: 85.2% vs 75% (docs/results.md)
        head_film=False,
        relative_keypoints=False,
        parse_weight=1.0,  # the parse head (understood vs done in eval): train wording 93.6% vs 90.8% at 0.1
        wrist_crop=0,  # 16 lowers validation loss (0.268 vs 0.312) but not success, and costs ~12% speed
    ),
}


# Fields added after FORMAT_VERSION 1 was released, with the value a config.json that lacks them meant.
LEGACY_DEFAULTS: dict[str, Any] = {
    "word_dropout": 0.0,
    "keypoint_offsets": False,
    "wrist_crop": 0,
    "action_modes": 1,
    "aux_weight": 0.0,
    "head_film": False,
    "relative_keypoints": False,
    "plan_input": False,
    "aux_dim": 4,
    "text_noise": 0.0,
    "text_snap": 0.0,
    "parse_weight": 0.0,
}


@dataclasses.dataclass
class PolicyConfig:
    """Every knob of a policy. Fields left `None` are filled from `preset` in `__post_init__`."""

    preset: Annotated[Literal["simple", "default"], tyro.conf.arg(prefix_name=False)] = "default"
    vision: Literal["simple", "convnet"] | None = None  # tutorial CNN, or GroupNorm CNN
    text: Literal["lstm", "wordllama"] | None = None  # see docs/policies.md
    fusion: Literal["concat", "film"] | None = None  # concatenate, or FiLM the CNN's feature maps
    head: Literal["tanh", "chunk", "flow"] | None = None  # tutorial tanh x scale, chunk MLP, flow matching
    use_state: bool | None = None  # feed observation.state (effector position) to the head
    chunk_size: int | None = None  # future actions predicted per forward
    action_modes: int | None = None  # chunk head: alternative chunks, trained winner-takes-all (1 = plain)
    n_action_steps: int | None = None  # of those, how many select_action executes before predicting again
    loss: Literal["mse", "l1"] | None = None
    image_size: int | None = None  # square images, pixels
    state_dim: int | None = (
        None  # observation.state's size; None: the dataset's (set when the policy is made)
    )
    action_dim: int | None = None  # action's size; None: the dataset's
    vision_channels: tuple[int, ...] | None = None  # conv widths
    strided_convs: int = 2  # convnet: how many of the first convs have stride 2 (feature map = image / 2**n)
    keypoints: int | None = None  # convnet: spatial-softmax keypoints (0 = flattened 4x4 grid instead)
    keypoint_offsets: bool | None = None  # convnet keypoints: learn a sub-cell shift per cell (CenterNet)
    wrist_crop: int | None = None  # side of a crop centred on the effector, read by a small CNN; 0 = none
    vision_dim: int | None = None  # vision feature size (simple: tutorial's 512; convnet grid: projection)
    text_embed_dim: int | None = None  # word embedding size (lstm)
    text_dim: int | None = None  # instruction embedding size
    head_hidden: int | None = None  # hidden width of the action head MLP
    head_film: bool | None = None  # chunk head: the instruction FiLM-modulates its hidden layers
    relative_keypoints: bool | None = None  # convnet keypoints: also feed them relative to the effector
    aux_weight: float | None = None  # weight of the auxiliary aux.task_xy loss (0 = off)
    plan_input: bool | None = None  # the head also reads the predicted task_xy (object, goal) vs the effector
    aux_dim: int | None = None  # task_xy columns read: 4, or 6 with the reference; None: the dataset's
    word_dropout: float | None = None  # lstm, wordllama: chance training drops a word
    text_noise: float | None = None  # wordllama: norm of the Gaussian noise added to unit-norm word vectors
    text_snap: float | None = None  # read words as their nearest training words (softmax temp.; 0: off)
    parse_weight: float | None = None  # weight of the parse head's loss (Tabletop; 0 = no parse head)
    normalization: Literal["min_max", "mean_std"] = "min_max"

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise SimplevlaError(f"policy preset {self.preset!r} is unknown; use one of {sorted(PRESETS)}")
        unset = {name for name in PRESETS[self.preset] if getattr(self, name) is None}
        for name in unset:
            setattr(self, name, PRESETS[self.preset][name])
        if "action_modes" in unset and self.head != "chunk":
            self.action_modes = 1  # the preset's alternative chunks belong to its chunk head, not to yours
        if "text_snap" in unset and (self.text != "wordllama" or self.text_noise > 0):
            self.text_snap = 0.0  # the preset's snapping belongs to its snapping encoder, without noise
        self.vision_channels = tuple(int(c) for c in self.vision_channels)
        self._validate()

    def _validate(self) -> None:
        def bad(field: str, why: str) -> SimplevlaError:
            return SimplevlaError(f"policy config field {field!r} = {getattr(self, field)!r}: {why}")

        if self.text in RETIRED_TEXTS:
            raise bad(
                "text",
                f"this text encoder measured no better than wordllama and was removed after simplevla "
                f"{RETIRED_TEXTS[self.text]} (docs/results.md keeps its figures); load the checkpoint with "
                f"pip install 'simplevla=={RETIRED_TEXTS[self.text]}', or retrain with --policy.text wordllama",
            )
        if self.text not in TEXTS:
            raise bad("text", f"must be one of {list(TEXTS)}")
        for f in (
            "chunk_size",
            "n_action_steps",
            "image_size",
            *(f for f in ("state_dim", "action_dim") if getattr(self, f) is not None),
            "text_dim",
            "text_embed_dim",
            "vision_dim",
            "head_hidden",
        ):
            v = getattr(self, f)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise bad(f, "must be a positive integer")
            if v > MAX_SIZE:  # a stranger's config.json must not make us allocate gigabytes
                raise bad(f, f"is larger than this small-policy library builds (at most {MAX_SIZE})")
        for f in ("keypoints", "wrist_crop", "strided_convs", "action_modes"):
            v = getattr(self, f)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v > MAX_SIZE:
                raise bad(f, f"must be an integer of at most {MAX_SIZE}")
        for f in ("aux_weight", "word_dropout", "text_noise", "text_snap", "parse_weight"):
            if isinstance(getattr(self, f), bool) or not isinstance(getattr(self, f), (int, float)):
                raise bad(f, "must be a number")
        if self.aux_dim is not None and (isinstance(self.aux_dim, bool) or self.aux_dim not in (4, 6)):
            raise bad(
                "aux_dim", "must be 4 (object, goal) or 6 (and the reference object), as aux.task_xy stores"
            )
        if self.n_action_steps > self.chunk_size:
            raise bad("n_action_steps", f"cannot exceed chunk_size ({self.chunk_size})")
        if self.fusion == "film" and self.vision != "convnet":
            raise bad(
                "fusion", "FiLM modulates the GroupNorm CNN's feature maps; set --policy.vision convnet"
            )
        if (
            not 2 <= len(self.vision_channels) <= 16
            or not 1 <= min(self.vision_channels) <= max(self.vision_channels) <= MAX_SIZE
        ):
            raise bad("vision_channels", f"needs 2 to 16 widths between 1 and {MAX_SIZE}, e.g. 32 64 64")
        if self.vision == "convnet" and any(c % 8 for c in self.vision_channels):
            raise bad("vision_channels", "convnet widths must be multiples of 8 (GroupNorm uses 8 groups)")
        if self.action_modes < 1:
            raise bad("action_modes", "must be >= 1 (1 = a single action chunk)")
        if self.action_modes > 1 and self.head != "chunk":
            raise bad("action_modes", "several modes need the chunk head; set --policy.head chunk")
        if self.wrist_crop < 0 or (self.wrist_crop and not 4 <= self.wrist_crop <= self.image_size):
            raise bad("wrist_crop", f"must be 0 (off) or between 4 and image_size ({self.image_size})")
        if self.wrist_crop and not self.use_state:
            raise bad("wrist_crop", "the crop is centred on the effector state; set --policy.use-state")
        if self.head == "flow" and self.chunk_size < 2:
            raise bad("head", "the flow head samples action chunks; set --policy.chunk-size 2 or more")
        if self.head_film and self.head != "chunk":
            raise bad("head_film", "FiLM in the head needs the chunk head; set --policy.head chunk")
        if self.relative_keypoints and not (self.keypoints and self.use_state and self.vision == "convnet"):
            raise bad("relative_keypoints", "needs convnet keypoints (> 0) and --policy.use-state")
        if not self.aux_weight >= 0.0:
            raise bad("aux_weight", "must be >= 0 (0 turns the auxiliary task_xy loss off)")
        if self.plan_input and not (self.aux_weight > 0 and self.use_state):
            raise bad(
                "plan_input",
                "the plan is the auxiliary task_xy prediction, placed relative to the effector; set "
                "--policy.aux-weight 1 (record with --task-xy) and --policy.use-state",
            )
        if not self.parse_weight >= 0.0:
            raise bad("parse_weight", "must be >= 0 (0 = no parse head)")
        if not 0.0 <= self.word_dropout < 1.0:
            raise bad("word_dropout", "must be in [0, 1), e.g. 0.1")
        if not self.text_noise >= 0.0:
            raise bad("text_noise", "must be >= 0 (0 = off; 0.5 = half the mean vector norm)")
        if self.text_noise > 0 and self.text != "wordllama":
            raise bad("text_noise", "noise on word vectors needs --policy.text wordllama")
        if not self.text_snap >= 0.0:
            raise bad("text_snap", "must be >= 0 (0 = off; 0.05 = a sharp pick of the nearest training word)")
        if self.text_snap > 0 and self.text != "wordllama":
            raise bad("text_snap", "snapping to training words needs --policy.text wordllama")
        if self.text_snap > 0 and self.text_noise > 0:
            raise bad(
                "text_noise", "noise applies to the raw word vectors, which --policy.text-snap replaces"
            )
        if self.keypoints < 0:
            raise bad("keypoints", "must be >= 0 (0 selects the flattened grid)")
        if not 1 <= self.strided_convs <= len(self.vision_channels):
            raise bad(
                "strided_convs",
                f"must be between 1 and the number of conv layers ({len(self.vision_channels)})",
            )
        if self.image_size % 2**self.strided_convs:
            raise bad(
                "image_size",
                f"must be a multiple of {2**self.strided_convs} ({self.strided_convs} stride-2 convs)",
            )

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["vision_channels"] = list(self.vision_channels)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any], source: str = "config") -> PolicyConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise SimplevlaError(
                f"{source}: unknown policy fields {unknown}; was it written by a newer simplevla?"
            )
        d = dict(d)
        for name, written_before in LEGACY_DEFAULTS.items():
            d.setdefault(name, written_before)  # a config.json from before the field existed
        nulls = sorted(k for k, v in d.items() if v is None)
        if nulls:  # a saved config holds every field; None would silently mean "the preset's value"
            raise SimplevlaError(f"{source}: policy fields {nulls} are null; a saved config sets every field")
        try:
            if not isinstance(d.get("vision_channels", ()), (list, tuple)):
                raise TypeError("vision_channels must be a list of widths")
            if "vision_channels" in d:
                d["vision_channels"] = tuple(d["vision_channels"])
            return cls(**d)
        except SimplevlaError as e:
            raise SimplevlaError(f"{source}: {e}") from None
        except (TypeError, ValueError, OverflowError) as e:
            raise SimplevlaError(f"{source}: a policy field has the wrong type ({e})") from None
