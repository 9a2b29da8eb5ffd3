"""Generated command lines (fuzzkit's `cli` suite), run in-process through `simplevla.cli.main`:
`data info`, `data validate` and `data view` on generated paths (missing, a file, a name too long, ...)
with generated numbers for --episode and --scale and output paths (a directory, under a file); `train`,
`eval`, `serve` and `record` with generated numeric flags (NaN, inf, huge, negative, words), parsed and
validated but not run. Every command line runs, or exits 2 with one line (or tyro's usage box) naming the
flag or the path; never a traceback, and a parsed command never holds a NaN.

The @example inputs are the failures the fuzzer found, fixed (docs/reliability.md)."""

from __future__ import annotations

from fuzz_settings import FUZZ
from fuzzkit import target
from hypothesis import example, given
from hypothesis import strategies as st


@FUZZ
@given(case=st.deferred(lambda: target("cli").cases()))
# data view: a scale that allocates terabytes, a scale of 0, an --out that is a directory or under a file
@example(case=("data", "view", "dataset", (("--scale", "100000"),), "out/x.gif"))
@example(case=("data", "view", "dataset", (("--scale", "0"),), "out/x.gif"))
@example(case=("data", "view", "dot", (), "out/file/x.gif"))
@example(case=("data", "view", "dataset", (), "out/dir"))
# a dataset path longer than the system allows (OSError from is_dir)
@example(case=("data", "info", "long", (), "out/x.gif"))
# train flags that accepted NaN (every `x <= 0` test lets it through)
@example(case=("flags", "train", (("--lr", "nan"),)))
@example(case=("flags", "train", (("--weight-decay", "nan"),)))
@example(case=("flags", "train", (("--grad-clip", "NaN"),)))
@example(case=("flags", "train", (("--val-fraction", "nan"),)))
@example(case=("flags", "train", (("--dist-timeout", "nan"),)))
# record and eval flags that accepted NaN
@example(case=("flags", "record", (("--noise", "nan"),)))
@example(case=("flags", "record", (("--goal-marker", "nan"),)))
@example(case=("flags", "eval", (("--goal-marker", "nan"),)))
def test_generated_command_lines_run_or_are_refused_cleanly(case):
    outcome = target("cli").run(case)
    assert outcome.clean, outcome.message
