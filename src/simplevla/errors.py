"""The one error type the CLI turns into a clean message (no traceback) and exit code 2."""

from __future__ import annotations


class SimplevlaError(ValueError):
    """A user-facing error: bad input, a malformed file, a mismatched checkpoint.

    The message must say which file and which field is wrong, and what to change.
    """
