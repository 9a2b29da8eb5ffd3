"""Generated hostile video datasets (fuzzkit's `video` suite): LeRobot's video fixture with the mp4 (bytes,
the file itself), the episodes table that indexes into it, info.json or the data file mutated either loads
and decodes valid frames and a valid training cache, or is refused with a SimplevlaError naming the file
and the field. Needs PyAV (the `video` extra) and shared/fixtures/ beside the clone.

The @example inputs are the failures the fuzzer found, fixed in src/simplevla/data/video.py."""

from __future__ import annotations

import pytest

pytest.importorskip("av", reason="the video dtype needs the optional 'video' extra (PyAV)")

from fuzz_settings import FUZZ  # noqa: E402
from fuzzkit import target  # noqa: E402
from hypothesis import example, given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

MP4 = "videos/observation.image/chunk-000/file-000.mp4"


@pytest.fixture(scope="module", autouse=True)
def _fixture_present():
    try:
        target("video").ws.video_dataset  # noqa: B018
    except FileNotFoundError as e:
        pytest.skip(str(e))


@FUZZ
@given(case=st.deferred(lambda: target("video").cases()))
@example(case=(MP4, ("bytes", "insert", 53, b"\xc4lc^\xd6")))  # no video stream left: IndexError
@example(case=(MP4, ("bytes", "overwrite", 13, b":\rye\xff\xfb")))  # metadata not UTF-8: UnicodeDecodeError
# found at 10,000: info.json giving the video feature another height or width than its frames have (loaded,
# and the frames came out in a shape the dataset did not declare)
@example(case=("meta/info.json", ("json", "replace", ("features", "observation.image", "shape", 0), 18)))
@example(case=("meta/info.json", ("json", "replace", ("features", "observation.image", "shape", 1), 507)))
# a feature dtype with a comma, which numpy parses as a structured dtype and refuses with a ValueError
@example(case=("meta/info.json", ("json", "replace", ("features", "episode_index", "dtype"), ",x")))
def test_generated_video_datasets_load_or_are_refused_cleanly(case):
    outcome = target("video").run(case)
    assert outcome.clean, outcome.message
