"""Generated hostile instruction files (fuzzkit's `instructions` suite) for `eval --instruction-file`:
lines replaced, inserted or deleted (tab-separated or JSON, with hostile families, seeds and wording), bytes
mutated, the file deleted, a directory or a FIFO: every file reads as valid rows or is refused with a
SimplevlaError naming the file and line.

The three tests after the generated one are the failures the fuzzer found in eval/freetext.py, fixed
(docs/reliability.md)."""

from __future__ import annotations

from fuzz_settings import FUZZ
from fuzzkit import target
from hypothesis import given
from hypothesis import strategies as st


@FUZZ
@given(case=st.deferred(lambda: target("instructions").cases()))
def test_generated_instruction_files_read_or_are_refused_cleanly(case):
    outcome = target("instructions").run(case)
    assert outcome.clean, outcome.message


def test_json_line_nested_deep_is_refused():  # was a RecursionError
    line = '{"family": "reach", "seed": 1, "instruction": ' + "[" * 5000 + "]" * 5000 + "}"
    outcome = target("instructions").run(("lines", "insert", 1, line))
    assert outcome.clean, outcome.message


def test_seed_of_infinity_is_refused():  # was an OverflowError from int()
    outcome = target("instructions").run(
        ("lines", "insert", 1, '{"family": "reach", "seed": 1e999, "instruction": "go"}')
    )
    assert outcome.clean, outcome.message


def test_fifo_is_refused_without_blocking():  # read_text() blocked for ever
    t = target("instructions")
    seconds, t.ws.guard.seconds = t.ws.guard.seconds, 1.0  # a hang would be the failure: do not wait 10 s
    try:
        outcome = t.run(("file", "fifo"))
    finally:
        t.ws.guard.seconds = seconds
    assert outcome.clean, outcome.message
