"""Process exit codes, in one place."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes of the ``kanta-archive`` command."""

    OK = 0
    INVALID = 1  # invalid documents, or an operation refused by a rule
    USAGE = 2  # bad options or unreadable input
    FAILURE = 3  # the tool's own failure: broken store, index or schema
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT); another signal exits 128 + its number
