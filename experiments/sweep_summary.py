"""One line per run of `text_sweep.sh OUT`: success on training wording and on the paraphrase file, per family."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def families(result: dict) -> str:
    return " ".join(
        f"{k.split('.')[-1][:6]} {v:.0f}" for k, v in result.items() if k.startswith("pc_success.")
    )


def main(out: Path) -> None:
    for f in sorted(out.glob("*.train.json")):
        name = f.name[: -len(".train.json")]
        row = f"{name:22s}"
        for label, path in (("train", f), ("paraphrase", out / f"{name}.para.json")):
            try:
                result = json.loads(path.read_text())
                row += f" | {label} {result['pc_success']:5.1f} ({families(result)})"
            except (OSError, ValueError, KeyError):
                row += f" | {label} missing"
        print(row)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
