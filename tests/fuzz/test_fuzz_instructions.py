"""Generated hostile instruction files (fuzzkit's `instructions` suite) for `eval --instruction-file`:
lines replaced, inserted or deleted (tab-separated or JSON, with hostile families, seeds and wording), bytes
mutated, the file deleted or a directory: every file reads as valid rows or is refused with a
SimplevlaError naming the file and line.

Three failures found by the fuzzer are in src/simplevla/eval/freetext.py, which this work could not change:
they are reported (fuzzkit.KNOWN), kept out of the generated inputs here, and pinned below as strict xfails
(remove the xfail when freetext.py is fixed)."""

from __future__ import annotations

import pytest
from fuzz_settings import FUZZ
from fuzzkit import KNOWN, target
from hypothesis import given
from hypothesis import strategies as st


@FUZZ
@given(case=st.deferred(lambda: target("instructions").cases(known=False)))
def test_generated_instruction_files_read_or_are_refused_cleanly(case):
    outcome = target("instructions").run(case)
    assert outcome.clean, outcome.message


@pytest.mark.xfail(strict=True, reason=KNOWN["instructions-deep-json"])
def test_known_json_line_nested_deep():
    line = '{"family": "reach", "seed": 1, "instruction": ' + "[" * 5000 + "]" * 5000 + "}"
    outcome = target("instructions").run(("lines", "insert", 1, line))
    assert outcome.clean, outcome.message


@pytest.mark.xfail(strict=True, reason=KNOWN["instructions-seed-overflow"])
def test_known_seed_of_infinity():
    outcome = target("instructions").run(
        ("lines", "insert", 1, '{"family": "reach", "seed": 1e999, "instruction": "go"}')
    )
    assert outcome.clean, outcome.message


@pytest.mark.xfail(strict=True, reason=KNOWN["instructions-fifo"])
def test_known_fifo_blocks():
    t = target("instructions")
    seconds, t.ws.guard.seconds = t.ws.guard.seconds, 1.0  # the hang is the failure: do not wait 10 s
    try:
        outcome = t.run(("file", "fifo"))
    finally:
        t.ws.guard.seconds = seconds
    assert outcome.clean, outcome.message
