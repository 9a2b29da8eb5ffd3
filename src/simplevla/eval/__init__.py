"""Evaluation: closed-loop rollouts (`rollout`), success statistics (`metrics`), the per-group evaluation behind
`simplevla eval` (`closed_loop`), your own wording (`freetext`), the CLI commands (`commands`) and the
quickstart's report (`report`)."""

from simplevla.eval.closed_loop import evaluate

__all__ = ["evaluate"]
