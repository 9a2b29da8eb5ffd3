"""`VLAPolicy`: vision + instruction (+ state) -> a chunk of actions, with the four-method contract.

    loss, metrics = policy(batch)              training; `action_is_pad` steps are masked out of the loss;
                                               metrics are detached 0-d tensors (no host sync per step)
    policy.predict_action_chunk(batch)         (B, chunk_size, A) in env units
    policy.select_action(batch)                (B, A); runs the network once every n_action_steps calls
    policy.reset()                             clear the action queue (call at every env reset)

The normalizer is a submodule, so the saved state dict holds the dataset stats too.
"""

from __future__ import annotations

from collections import deque

import torch
import torch.distributed as dist
from torch import nn

from simplevla import keys
from simplevla.errors import SimplevlaError
from simplevla.models.config import PolicyConfig
from simplevla.models.fusion import FiLMGenerator, concat
from simplevla.models.normalize import Normalizer
from simplevla.models.plan import plan_features, table_to_unit, unit_to_table

MODES_RELAX = 0.05  # share of the plain loss every mode gets besides the winner's (relaxed WTA)
MODES_CHOICE_WEIGHT = 0.5
TEXT_CACHE_SIZE = 4096  # distinct instructions kept by `encode_text` before the cache starts over  # weight of the cross-entropy that teaches the logits the winning mode


class VLAPolicy(nn.Module):
    """Composes the parts chosen by `PolicyConfig` (see `factory.make_policy`)."""

    def __init__(
        self,
        config: PolicyConfig,
        normalizer: Normalizer,
        vision: nn.Module,
        text: nn.Module,
        film: FiLMGenerator | None,
        head: nn.Module,
        wrist: nn.Module | None = None,
        aux: nn.Module | None = None,
        parse: nn.Module | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.normalizer = normalizer
        self.vision = vision
        self.text = text
        self.film = film
        self.head = head
        self.wrist = wrist
        self.aux = aux  # reads the auxiliary task_xy target off the fused features (probe or plan), or None
        self.parse_head = parse  # names the task from the instruction alone (models/parse.py), or None
        self._queue: deque[torch.Tensor] = deque()
        self._text_cache: dict[str, torch.Tensor] = {}  # eval only: instruction -> (Dt,) features
        self._text_stamp: tuple = ()

    @property
    def tokenizer(self):  # the word tokenizer of an `lstm` text encoder, else None
        return getattr(self.text, "tokenizer", None)

    def _device(self) -> torch.device:
        return next(self.parameters()).device

    def _check(self, batch: dict) -> None:
        image = batch[keys.IMAGE]
        size = self.config.image_size
        if image.ndim != 4 or tuple(image.shape[1:]) != (3, size, size):
            raise SimplevlaError(
                f"policy expects '{keys.IMAGE}' of shape (B, 3, {size}, {size}), got {tuple(image.shape)}; "
                f"image_size differs (policy config image_size={size})"
            )
        if any(not isinstance(t, str) or not t.strip() for t in batch[keys.TASK]):
            raise SimplevlaError(
                f"batch '{keys.TASK}' holds an empty instruction: {list(batch[keys.TASK])!r}"
            )
        state = batch[keys.STATE]
        # a GPU training batch skips this read-back (a host sync per step); a NaN state there still makes
        # the loss NaN, which the training loop stops on
        host_check = not self.training or state.device.type == "cpu"
        if self.config.use_state and host_check and not torch.isfinite(state).all():
            raise SimplevlaError(f"batch '{keys.STATE}' contains NaN or inf")
        if self.config.use_state and state.shape[-1] != self.config.state_dim:
            raise SimplevlaError(
                f"policy expects '{keys.STATE}' of size {self.config.state_dim}, got {state.shape[-1]}"
            )

    def _predict(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
        """Normalized action chunks (B, K, chunk, A) and their mode logits (B, K) (K = action_modes)."""
        fused, cond, _ = self._fused(batch)  # (B, D), (B, Dt) or None
        return self.head(fused, cond)  # (B, K, chunk, A), (B, K)

    def _fused(
        self, batch: dict, text: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """The head's input (vision, instruction and state features side by side, then the plan features
        if `plan_input`; (B, D)), its FiLM condition (the instruction embedding (B, Dt), or None) and the
        auxiliary task_xy reading ((B, aux_dim) in [-1, 1], or None). `text`: the instructions' features (B, Dt)
        when the caller has encoded them already."""
        self._check(batch)
        device = self._device()
        image = batch[keys.IMAGE].to(device, non_blocking=True)  # (B, 3, H, W)
        if text is None:
            text = self.encode_text(batch[keys.TASK])  # (B, Dt)
        raw_state = (
            batch[keys.STATE].to(device, non_blocking=True).float() if self.config.use_state else None
        )  # (B, S)
        return self.fuse(image, text, raw_state)

    def encode_text(self, texts: list[str]) -> torch.Tensor:
        """(B, Dt) instruction features. Without gradients and in eval mode (rollouts, where one episode
        repeats one instruction), each distinct string is encoded once and kept until the text encoder's
        weights change (an optimizer step, load_state_dict or .to() moves them)."""
        if self.training or torch.is_grad_enabled():
            return self.text(texts)
        stamp = tuple((p.data_ptr(), p._version) for p in self.text.parameters())
        if stamp != self._text_stamp or len(self._text_cache) > TEXT_CACHE_SIZE:
            self._text_cache, self._text_stamp = {}, stamp
        missing = [t for t in dict.fromkeys(texts) if t not in self._text_cache]
        if missing:
            self._text_cache.update(zip(missing, self.text(missing), strict=True))
        return torch.stack([self._text_cache[t] for t in texts])  # (B, Dt)

    def fuse(
        self, image: torch.Tensor, text: torch.Tensor, raw_state: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """`_fused` from tensors: image (B, 3, H, W) in [0, 1], the instruction embedding (B, Dt) from
        `self.text`, the state (B, S) in table units (None when the policy does not use it)."""
        film = self.film(text) if self.film is not None else None
        vision = self.vision(image, film)  # (B, Dv)
        state = None
        if self.config.use_state:
            state = self.normalizer.state(raw_state)  # (B, S)
            if self.config.relative_keypoints:  # keypoints are (x right, y down) in [-1, 1]
                k = self.config.keypoints
                eff = torch.stack([2 * raw_state[:, 0] - 1, 1 - 2 * raw_state[:, 1]], dim=-1)  # (B, 2)
                rel = vision[:, : 2 * k].view(-1, k, 2) - eff[:, None]  # (B, K, 2)
                vision = torch.cat([vision, rel.flatten(1)], dim=-1)  # (B, Dv + 2K)
            if self.wrist is not None:
                vision = torch.cat([vision, self.wrist(image, raw_state[:, :2])], dim=-1)  # (B, Dv + Dw)
        fused = concat(vision, text, state)  # (B, D)
        task_xy = self.aux(fused) if self.aux is not None else None  # (B, aux_dim) or None
        if self.config.plan_input:
            plan = plan_features(task_xy.detach(), raw_state[:, :2])  # (B, PLAN_DIM)
            fused = torch.cat([fused, plan], dim=-1)  # (B, D + PLAN_DIM)
        return fused, (text if self.config.head_film else None), task_xy

    def forward(self, batch: dict) -> tuple[torch.Tensor, dict[str, float]]:
        parse_texts = batch.get(keys.PARSE_TEXTS) if self.parse_head is not None else None
        text = None
        if parse_texts is not None:  # the batch's and the parse instructions in one text-encoder call
            n = len(batch[keys.TASK])
            text = self.encode_text([*batch[keys.TASK], *parse_texts])  # (B + P, Dt)
            text, parse_features = text[:n], text[n:]  # (B, Dt), (P, Dt)
        fused, cond, task_xy = self._fused(batch, text)  # (B, D), (B, Dt) or None, (B, 4) or None
        device = fused.device
        target = self.normalizer.action(
            batch[keys.ACTION].to(device, non_blocking=True).float()
        )  # (B, chunk, A)
        expected = (fused.shape[0], self.config.chunk_size, self.config.action_dim)
        if tuple(target.shape) != expected:
            raise SimplevlaError(
                f"batch '{keys.ACTION}' has shape {tuple(target.shape)}, the policy predicts "
                f"{expected} (chunk_size={self.config.chunk_size})"
            )
        pad = batch.get(keys.ACTION_IS_PAD)
        valid = (
            torch.ones(target.shape[:2], device=device)
            if pad is None
            else (~pad.to(device, non_blocking=True)).float()
        )  # (B, chunk)
        if self.config.head == "flow":
            loss = self.head.loss(fused, target, valid)
            metrics = {"loss": loss.detach()}
        else:
            loss, metrics = self._regression_loss(fused, cond, target, valid)
        if task_xy is not None:
            aux = self._aux_loss(task_xy, batch)
            loss = loss + self.config.aux_weight * aux
            metrics.update(loss=loss.detach(), aux=aux.detach())
        if parse_texts is not None:
            logits = self.parse_head(parse_features)  # 7 x (P, n_classes)
            labels = batch[keys.PARSE_LABELS].to(device, non_blocking=True)  # (P, 7)
            parse_loss, parse_acc = self.parse_head.loss(logits, labels)
            loss = loss + self.config.parse_weight * parse_loss
            metrics.update(loss=loss.detach(), parse=parse_loss.detach(), parse_acc=parse_acc.detach())
        return loss, metrics

    @torch.no_grad()
    def read_instruction(self, texts: list[str]) -> list[list[int]] | None:
        """What the parse head reads in each instruction: one class index per slot of
        `envs.reading.SLOTS` (decode with `reading.decode`), or None when the policy has no parse head."""
        if self.parse_head is None:
            return None
        logits = self.parse_head(self.encode_text(list(texts)))  # 7 x (B, n_classes)
        return torch.stack([lg.argmax(-1) for lg in logits], -1).cpu().tolist()  # (B, 7)

    def _regression_loss(
        self, fused: torch.Tensor, cond: torch.Tensor | None, target: torch.Tensor, valid: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """L1 / MSE of the head's chunk(s) against target (B, chunk, A); valid (B, chunk) masks padding."""
        preds, logits = self.head(fused, cond)  # (B, K, chunk, A), (B, K)
        diff = preds - target[:, None]  # (B, K, chunk, A)
        frame_err = (diff.abs() if self.config.loss == "l1" else diff**2).mean(-1)  # (B, K, chunk)
        total = self._valid_total(valid)
        if preds.shape[1] == 1:
            loss = (frame_err[:, 0] * valid).sum() / total
            return loss, {"loss": loss.detach()}
        return self._modes_loss(frame_err, logits, valid, total)

    def _valid_total(self, valid: torch.Tensor) -> torch.Tensor:
        """What the masked mean over valid (B, chunk) divides by. Training under DDP, it is the count over
        all ranks / world size, so that DDP's average of the ranks' gradients is the gradient of the
        global batch's masked mean (and N processes match one process with an N-times larger batch)."""
        total = valid.sum()
        if self.training and dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            total = total.detach().clone()
            dist.all_reduce(total)
            total = total / dist.get_world_size()
        return total.clamp_min(1.0)

    def _aux_loss(self, task_xy: torch.Tensor, batch: dict) -> torch.Tensor:
        """L1 between the policy's reading of task_xy (B, aux_dim) and aux.task_xy, both mapped to [-1, 1]."""
        if keys.TASK_XY not in batch:
            raise SimplevlaError(
                f"policy config aux_weight={self.config.aux_weight} needs the dataset feature "
                f"'{keys.TASK_XY}'; record with --task-xy, or train with --policy.aux-weight 0 "
                f"--policy.plan-input False"
            )
        target = batch[keys.TASK_XY].to(task_xy.device, non_blocking=True).float()  # (B, aux_dim) table units
        target = table_to_unit(target)  # (B, aux_dim) in [-1, 1]
        if target.shape != task_xy.shape:
            raise SimplevlaError(
                f"'{keys.TASK_XY}' has {target.shape[-1]} columns in this batch, and the policy reads "
                f"{task_xy.shape[-1]} (policy config aux_dim); train on a dataset recorded with the same "
                f"columns, or a new policy with --policy.aux-dim {target.shape[-1]}"
            )
        return (task_xy - target).abs().mean()

    def _modes_loss(
        self, frame_err: torch.Tensor, logits: torch.Tensor, valid: torch.Tensor, total: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """Winner-takes-all over K modes: the closest mode regresses, the logits learn which one it was.

        frame_err (B, K, chunk), logits (B, K), valid (B, chunk). Every mode also gets RELAX of the
        plain loss, so a mode that never wins still stays near the data (relaxed WTA)."""
        per_mode = (frame_err * valid[:, None]).sum(-1) / valid.sum(-1, keepdim=True).clamp_min(1.0)  # (B, K)
        best = per_mode.detach().argmin(1)  # (B,)
        rows = torch.arange(frame_err.shape[0], device=frame_err.device)
        regression = (frame_err[rows, best] * valid).sum() / total
        relaxed = (frame_err.mean(1) * valid).sum() / total
        choice = torch.nn.functional.cross_entropy(logits, best)
        loss = regression + MODES_RELAX * relaxed + MODES_CHOICE_WEIGHT * choice
        return loss, {"loss": loss.detach(), "regression": regression.detach(), "mode_ce": choice.detach()}

    def chunks_from_features(
        self, image: torch.Tensor, text: torch.Tensor, raw_state: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Every mode's chunk (B, K, chunk, A) in env units and the mode scores (B, K), from tensors (see
        `fuse`); what `simplevla export` puts in an ONNX graph (deterministic heads only)."""
        fused, cond, _ = self.fuse(image, text, raw_state)  # (B, D), (B, Dt) or None
        preds, logits = self.head(fused, cond)  # (B, K, chunk, A), (B, K)
        return self.normalizer.unaction(preds), logits

    @torch.no_grad()
    def predict_action_chunk(self, batch: dict) -> torch.Tensor:
        """(B, chunk_size, A) actions in env units: the highest-scoring mode's chunk."""
        return self.predict_with_reading(batch)[0]

    @torch.no_grad()
    def predict_with_reading(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor | None]:
        """`predict_action_chunk` and `read_task_xy` from one forward pass: the chunk (B, chunk_size, A) in
        env units, and the task_xy reading (B, aux_dim) in table units (None without the auxiliary target)."""
        fused, cond, task_xy = self._fused(batch)  # (B, D), (B, Dt) or None, (B, aux_dim) or None
        preds, logits = self.head(fused, cond)  # (B, K, chunk, A), (B, K)
        rows = torch.arange(preds.shape[0], device=preds.device)
        chunk = self.normalizer.unaction(preds[rows, logits.argmax(1)])  # (B, chunk, A)
        return chunk, None if task_xy is None else unit_to_table(task_xy)

    @torch.no_grad()
    def read_task_xy(self, batch: dict) -> torch.Tensor | None:
        """(B, aux_dim) table units: where the policy reads the task object's centre, its goal and (aux_dim
        6) the reference object's centre, in `aux.task_xy`'s columns (keys.TASK_XY_NAMES); None for a
        policy trained without the auxiliary target."""
        _, _, task_xy = self._fused(batch)  # (B, aux_dim) in [-1, 1] or None
        return None if task_xy is None else unit_to_table(task_xy)

    @torch.no_grad()
    def select_action(self, batch: dict) -> torch.Tensor:
        """(B, A): the next queued action; predicts a new chunk and queues its first n_action_steps when empty."""
        return queued_action(self._queue, self.predict_action_chunk, batch, self.config.n_action_steps)

    def reset(self) -> None:
        self._queue.clear()


def queued_action(queue: deque, predict, batch: dict, n_action_steps: int) -> torch.Tensor:
    """(B, A): pop the next action from `queue`; when it is empty, `predict(batch)` a chunk (B, chunk, A)
    and queue its first `n_action_steps` actions. Shared by every policy with the `select_action` contract."""
    if not queue:
        chunk = predict(batch)  # (B, chunk, A)
        queue.extend(chunk[:, :n_action_steps].transpose(0, 1))  # n x (B, A)
    return queue.popleft()
