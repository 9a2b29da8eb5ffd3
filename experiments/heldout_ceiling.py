"""How much of the held-out gap is unknown synonyms, and how much is unseen templates?

    python experiments/heldout_ceiling.py --policy runs/quickstart/default [--episodes 50] [--out DIR]

Evaluates the policy closed-loop on `split="heldout"` instructions twice, through `simplevla.eval.closed_loop`
(same seeds, scenes and tasks): once as written, and once with every held-out synonym (crimson, west,
upper-left, shove, ...) replaced by its training-split word, so only the held-out *templates* stay unseen.
That second number is what a text encoder that knew every synonym could reach with this policy; the gap
to it is what knowing the synonyms is worth. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from pathlib import Path

import torch

import simplevla
from simplevla import keys
from simplevla.envs.tabletop import language


def synonym_map() -> dict[str, str]:
    """Held-out phrase -> the first training phrase of the same group (longest phrases first)."""
    groups = [*language.COLOUR_WORDS.values(), *language.SHAPE_WORDS.values(), language.COLOUR_NOUNS]
    groups += [*language.VERBS.values(), *language.PLACE_WORDS.values()]
    groups += list(language.DIRECTION_WORDS.values())
    mapping = {}
    for items in groups:
        canonical = next(text for text, held in items if not held)
        mapping.update({text: canonical for text, held in items if held})
    return dict(sorted(mapping.items(), key=lambda kv: -len(kv[0])))


class Reworded(torch.nn.Module):
    """Wraps a policy; rewrites every instruction with `mapping` before the policy reads it."""

    def __init__(self, policy: torch.nn.Module, mapping: dict[str, str]) -> None:
        super().__init__()
        self.policy, self.config = policy, policy.config
        self.pattern = re.compile("|".join(rf"\b{re.escape(k)}\b" for k in mapping))
        self.mapping = mapping

    def reword(self, text: str) -> str:
        return self.pattern.sub(lambda m: self.mapping[m.group(0)], text)

    def reset(self) -> None:
        self.policy.reset()

    def select_action(self, batch: dict) -> torch.Tensor:
        batch = dict(batch, **{keys.TASK: [self.reword(t) for t in batch[keys.TASK]]})
        return self.policy.select_action(batch)


def main() -> None:
    from simplevla.eval.closed_loop import evaluate

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--policy", required=True)
    ap.add_argument("--episodes", type=int, default=50, help="per family")
    ap.add_argument("--envs", type=int, default=25)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=None, help="keep both eval_info.json here")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    policy = simplevla.load_policy(args.policy).eval()
    out_dir = args.out or Path(tempfile.mkdtemp(prefix="heldout_ceiling_"))
    result = {"policy": args.policy, "episodes_per_family": args.episodes}
    for name, pol in (("as_written", policy), ("synonyms_mapped", Reworded(policy, synonym_map()))):
        info = evaluate(pol, out_dir / name, episodes=args.episodes, split="heldout", envs=args.envs)
        result[name] = {
            "overall": round(info["overall"]["pc_success"], 1),
            **{family: round(g["pc_success"], 1) for family, g in info["per_group"].items()},
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
