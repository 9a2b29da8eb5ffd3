"""Loss and accuracy curves as a PNG, drawn with matplotlib's Agg backend and written atomically."""

from __future__ import annotations

import io
from pathlib import Path

from simplevla.atomic import atomic_write_bytes


def save_curves(path: str | Path, history: dict[str, list[float]], title: str = "") -> Path:
    """Plot every `*loss*` series on the left and every `*accuracy*` series on the right; return `path`."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 3.5))
    ax_loss, ax_acc = fig.subplots(1, 2)
    for name, values in history.items():
        ax = ax_loss if "loss" in name else ax_acc if "accuracy" in name else None
        if ax is not None:
            ax.plot(range(1, len(values) + 1), values, label=name)
    for ax, label in ((ax_loss, "cross-entropy"), (ax_acc, "accuracy")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    path = Path(path)
    atomic_write_bytes(path, buf.getvalue())
    return path
