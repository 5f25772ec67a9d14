"""Per-object inter-process locks (``fcntl.flock`` on files under ``<store>/.locks/``)."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path


@contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created when missing) for the block.

    Lock files are never deleted: deleting a lock file while another process waits on it
    would let two processes hold "the" lock at once.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the flock


@contextmanager
def exclusive_locks(paths: list[Path]) -> Iterator[None]:
    """Hold several locks, taken in sorted order so that two callers cannot deadlock."""
    with ExitStack() as stack:
        for path in sorted(set(paths)):
            stack.enter_context(exclusive_lock(path))
        yield


@contextmanager
def try_exclusive_lock(path: Path) -> Iterator[bool]:
    """Try to take an exclusive ``flock`` on ``path`` without waiting: yields True when it
    was taken (held for the block), False when another holder has it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)
