"""Generated hostile checkpoints (fuzzkit's `checkpoint` suite): a saved tiny policy (both presets) with
config.json, stats.json, tokenizer.json or model.safetensors mutated (bytes, the file itself, JSON values,
the safetensors header length, its JSON, dtypes, shapes, offsets, NaN values) either loads with finite
weights and acts on a dummy batch, or is refused with a SimplevlaError naming the file and the field, in
bounded time and memory, without changing the checkpoint or reading outside it.

The @example inputs are the failures the fuzzer found, each fixed in the loader (docs/reliability.md)."""

from __future__ import annotations

import math

from fuzz_settings import FUZZ
from fuzzkit import target
from fuzzkit.mutate import Deep
from hypothesis import example, given
from hypothesis import strategies as st


@FUZZ
@given(case=st.deferred(lambda: target("checkpoint").cases()))
# a FIFO in place of the weights blocked safetensors for ever (holding the GIL); a symlink loop
@example(case=("ckpt_default", "model.safetensors", ("file", "fifo")))
@example(case=("ckpt_simple", "model.safetensors", ("file", "symlink_loop")))
@example(case=("ckpt_default", "tokenizer.json", ("file", "symlink_loop")))
# tokenizer.json: a vocab that does not start with <pad>, <unk>; an entry that is not a word
@example(case=("ckpt_default", "tokenizer.json", ("json", "delete", ("vocab", 1))))
@example(case=("ckpt_simple", "tokenizer.json", ("json", "replace", ("vocab", 4), {"dtype": "float32"})))
# stats.json: words, a nesting without numbers
@example(
    case=("ckpt_simple", "stats.json", ("json", "replace", ("observation.state", "min"), ["film", "film"]))
)
@example(case=("ckpt_default", "stats.json", ("json", "replace", ("action", "max"), Deep(100))))
# config.json nested 100,000 deep (RecursionError in json.loads)
@example(case=("ckpt_default", "config.json", ("json", "replace", ("policy",), Deep(100_000))))
# a NaN weight loaded and acted with NaN actions
@example(case=("ckpt_default", "model.safetensors", ("safetensors", "value", "aux.0.weight", 0, math.nan)))
# found at 10,000 checkpoints: config.json's text_encoder as a number, a list or a string (AttributeError)
@example(case=("ckpt_default", "config.json", ("json", "replace", ("text_encoder",), 4611686018427387905)))
@example(case=("ckpt_default", "config.json", ("json", "wrap", ("text_encoder",))))
@example(case=("ckpt_default", "config.json", ("json", "rename", ("type",), "text_encoder")))
def test_generated_checkpoints_load_or_are_refused_cleanly(case):
    outcome = target("checkpoint").run(case)
    assert outcome.clean, outcome.message
