"""`simplevla export`: a policy's network as an ONNX graph, and `OnnxPolicy` to run one closed loop.

The graph takes `image` float32 (B, 3, H, W) in [0, 1], `state` float32 (B, S) in table units (ignored by a
policy without state input) and `instruction` float32 (B, Dt), the instruction embedding that the policy's
own text encoder computes (`policy.text(["push the red one left"])`: tokenizing, the packaged word vectors
and the LSTM stay in Python, since they are string work). It returns `actions` float32 (B, K, chunk, A) in
env units (normalization is inside the graph) and `scores` (B, K): execute the chunk with the highest score.
Needs the `onnx` extra (onnx, onnxscript, onnxruntime). The flow head samples with noise and is not exported.
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from collections import deque
from pathlib import Path

import numpy as np
import torch
from torch import nn

from simplevla import keys
from simplevla.errors import SimplevlaError
from simplevla.models import load_policy
from simplevla.models.policy import queued_action

INPUTS, OUTPUTS = ("image", "state", "instruction"), ("actions", "scores")


class PolicyGraph(nn.Module):
    """The part of a policy after the text encoder, with tensors in and out."""

    def __init__(self, policy: nn.Module) -> None:
        super().__init__()
        self.policy = policy

    def forward(self, image: torch.Tensor, state: torch.Tensor, instruction: torch.Tensor):
        raw_state = state if self.policy.config.use_state else None
        return self.policy.chunks_from_features(image, instruction, raw_state)  # (B, K, C, A), (B, K)


def _needs_onnx() -> None:
    try:
        import onnx  # noqa: F401
        import onnxscript  # noqa: F401
    except ImportError as e:
        raise SimplevlaError("ONNX export needs the extra: pip install 'simplevla[onnx]'") from e


def example_inputs(policy: nn.Module, batch: int = 2) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Inputs of the graph's shapes: (image, state, instruction embedding of two training-like texts)."""
    cfg = policy.config
    g = torch.Generator().manual_seed(0)
    image = torch.rand(batch, 3, cfg.image_size, cfg.image_size, generator=g)  # (B, 3, H, W)
    state = torch.rand(batch, cfg.state_dim, generator=g)  # (B, S)
    with torch.no_grad():
        text = policy.text(["push the red circle to the left", "reach the blue square"][:batch] * batch)[
            :batch
        ]
    return image, state, text


def export_onnx(policy: nn.Module, path: str | Path) -> Path:
    """Write the policy's graph to `path` (any batch size); returns the path."""
    _needs_onnx()
    if policy.config.head == "flow":
        raise SimplevlaError("the flow head samples its chunk from noise; export a chunk or tanh policy")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for name in ("onnx_ir", "onnxscript", "torch.onnx"):  # their INFO lines are not the user's business
        logging.getLogger(name).setLevel(logging.WARNING)
    graph = PolicyGraph(policy.eval())
    batch = torch.export.Dim("batch", min=1, max=4096)
    shapes = {"image": {0: batch}, "state": {0: batch}, "instruction": {0: batch}}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "axis name batch will not be used": it is one axis
        program = torch.onnx.export(
            graph, example_inputs(policy), input_names=list(INPUTS), output_names=list(OUTPUTS),
            dynamic_shapes=shapes, dynamo=True, verbose=False,
        )  # fmt: skip
    tmp = path.with_name(f".{path.name}.tmp")
    program.save(str(tmp))
    tmp.replace(path)
    return path


class OnnxPolicy:
    """A policy whose network runs in onnxruntime: the same `select_action` / `reset` contract, the
    instruction embedded by the PyTorch policy's text encoder."""

    def __init__(self, policy: nn.Module, path: str | Path, threads: int = 1) -> None:
        try:
            import onnxruntime as ort
        except ImportError as e:
            raise SimplevlaError("--backend onnx needs the extra: pip install 'simplevla[onnx]'") from e
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.policy = policy.eval()
        self.config = policy.config
        self._queue: deque[torch.Tensor] = deque()

    def run(
        self, image: np.ndarray, state: np.ndarray, instruction: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        feeds = {"image": image.astype(np.float32), "state": state.astype(np.float32)}
        feeds["instruction"] = instruction.astype(np.float32)
        actions, scores = self.session.run(list(OUTPUTS), feeds)
        return actions, scores  # (B, K, C, A), (B, K)

    @torch.no_grad()
    def predict_action_chunk(self, batch: dict) -> torch.Tensor:
        text = self.policy.encode_text(batch[keys.TASK]).cpu().numpy()  # (B, Dt)
        actions, scores = self.run(batch[keys.IMAGE].cpu().numpy(), batch[keys.STATE].cpu().numpy(), text)
        best = actions[np.arange(len(actions)), scores.argmax(1)]  # (B, C, A)
        return torch.from_numpy(best)

    def select_action(self, batch: dict) -> torch.Tensor:
        return queued_action(self._queue, self.predict_action_chunk, batch, self.config.n_action_steps)

    def reset(self) -> None:
        self._queue.clear()


@dataclasses.dataclass
class ExportCommand:
    """Export a policy's network to ONNX (image, state and instruction embedding in; chunks and scores out)."""

    policy: str
    """A checkpoint directory, or a run directory (its last checkpoint)."""
    onnx: str = "policy.onnx"
    """Where to write the graph."""
    json: bool = False

    def run(self) -> dict:
        policy = load_policy(self.policy)
        path = export_onnx(policy, self.onnx)
        session = OnnxPolicy(policy, path)
        image, state, text = example_inputs(policy)
        with torch.no_grad():
            want = [
                t.numpy()
                for t in policy.chunks_from_features(image, text, state if policy.config.use_state else None)
            ]
        got = session.run(image.numpy(), state.numpy(), text.numpy())
        err = max(float(np.abs(a - b).max()) for a, b in zip(want, got, strict=True))
        return {"onnx": str(path), "bytes": path.stat().st_size, "max_abs_diff_vs_torch": err}
