"""Training logs: RUN/train_log.csv (one row per logged step), optional TensorBoard, RUN/loss.png."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from simplevla.atomic import atomic_write_bytes
from simplevla.errors import SimplevlaError

FIELDS = ("step", "loss", "val_loss", "lr", "grad_norm", "samples_per_s", "wall_s")


class TrainLog:
    """Appends rows to train_log.csv; on resume, drops rows past the resumed step first."""

    def __init__(self, run: Path, resume_step: int = 0, tensorboard: bool = False) -> None:
        self.path = run / "train_log.csv"
        rows = self.read(self.path) if resume_step > 0 and self.path.is_file() else []
        rows = [r for r in rows if int(r["step"]) <= resume_step]
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
        atomic_write_bytes(self.path, buf.getvalue().encode())
        self._file = open(self.path, "a", newline="")  # noqa: SIM115  (closed in close())
        self._csv = csv.DictWriter(self._file, fieldnames=FIELDS)
        self._tb = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError as e:
                raise SimplevlaError(
                    "--tensorboard needs the extra: pip install 'simplevla[tensorboard]'"
                ) from e
            self._tb = SummaryWriter(str(run / "tensorboard"))

    def write(self, row: dict) -> None:
        self._csv.writerow({k: row.get(k, "") for k in FIELDS})
        self._file.flush()
        if self._tb is not None:
            for k, v in row.items():
                if k != "step" and isinstance(v, (int, float)):
                    self._tb.add_scalar(f"train/{k}", v, row["step"])

    def close(self) -> None:
        self._file.close()
        if self._tb is not None:
            self._tb.close()

    @staticmethod
    def read(path: Path) -> list[dict]:
        with open(path, newline="") as f:
            return list(csv.DictReader(f))


def plot_loss(csv_path: Path, png_path: Path, title: str = "") -> None:
    """Training (and validation) loss against step, log scale, written atomically as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = TrainLog.read(csv_path)
    train = [(int(r["step"]), float(r["loss"])) for r in rows if r["loss"]]
    val = [(int(r["step"]), float(r["val_loss"])) for r in rows if r["val_loss"]]
    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    if train:
        ax.plot(*zip(*train, strict=True), label="train")
    if val:
        ax.plot(*zip(*val, strict=True), "o-", label="val")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    if train and min(v for _, v in train) > 0:
        ax.set_yscale("log")
    ax.set_title(title or "training loss")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    atomic_write_bytes(png_path, buf.getvalue())
