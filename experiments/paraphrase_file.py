"""Does a policy follow wording that is in neither split? Writes an instruction file for `simplevla eval`.

Each line is an evaluation scene (seeds from 3,000,000, far from the recording and evaluation seeds) with
the scene's own task reworded by the probe's paraphrase vocabulary (`wordllama_probe.py`: words and
templates in neither the training nor the held-out wording). Objects are named by colour and shape. Run:

    python experiments/paraphrase_file.py --per-family 50 --out paraphrases.tsv
    simplevla eval --policy RUN --instruction-file paraphrases.tsv --videos 0
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

from wordllama_probe import P_COLOURS, P_DIRS, P_PLACES, P_SHAPES, PARAPHRASES

from simplevla.envs.tabletop.env import TabletopEnv
from simplevla.envs.tabletop.tasks import FAMILIES

SEED_START = 3_000_000


def reworded(spec: dict, rng: random.Random) -> str:
    objs = [
        f"the {rng.choice(P_COLOURS[o['colour']])} {rng.choice(P_SHAPES[o['shape']])}"
        for o in spec["objects"]
    ]
    values = {"obj": objs[0], "obj2": objs[-1]}
    target = spec.get("target", {})
    if spec["family"] == "push_to_place":
        values["place"] = P_PLACES[target["place"]]
    if spec["family"] == "push_direction":
        values["dir"] = rng.choice(P_DIRS[target["direction"]])
    return rng.choice(PARAPHRASES[spec["family"]]).format(**values)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-family", type=int, default=50)
    ap.add_argument("--out", type=Path, default=Path("paraphrases.tsv"))
    args = ap.parse_args()
    rng = random.Random(0)
    lines = []
    for j, family in enumerate(FAMILIES):
        env = TabletopEnv(families=[family])
        for i in range(args.per_family):
            seed = SEED_START + j * 100_000 + i
            _, info = env.reset(seed=seed)
            lines.append(f"{family}\t{seed}\t{reworded(info['task_spec'], rng)}")
    args.out.write_text("\n".join(lines) + "\n")
    print(f"{len(lines)} lines -> {args.out}; e.g. {lines[0]!r}")


if __name__ == "__main__":
    main()
