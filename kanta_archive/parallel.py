"""Validating many files in worker processes, in input order, with nothing left behind.

Each worker builds one :class:`~kanta_archive.validate.Validator` when it starts, so every
schema is compiled once per process. The workers never outlive the run: a SIGTERM to the
parent stops them and raises :class:`~kanta_archive.errors.Interrupted`; Ctrl-C
(``KeyboardInterrupt``) stops them too; the workers ignore SIGINT (the parent decides) and,
on Linux, ask the kernel to kill them if the parent dies (``PR_SET_PDEATHSIG``), so not even
a SIGKILL of the parent leaves orphans holding its stdout open.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from kanta_archive.errors import InputError, Interrupted, KantaArchiveError

if TYPE_CHECKING:
    from kanta_archive.findings import ValidationResult
    from kanta_archive.limits import InputLimits
    from kanta_archive.validate import Validator


_PR_SET_PDEATHSIG = 1

# Per worker process: built once by the pool initializer.
_worker_validator: Validator | None = None


def _die_with_parent(parent: int) -> None:
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # no prctl: the parent's SIGTERM handler still stops the pool
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _init_worker(
    parent: int,
    schemas_dirs: tuple[Path, ...],
    max_bytes: int,
    trust_anchors: tuple[bytes, ...],
    limits: InputLimits,
    require_signature: tuple[str, ...] = (),
    lang: str | None = None,
) -> None:
    global _worker_validator
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent(parent)
    from kanta_archive.schemas import SchemaRegistry
    from kanta_archive.validate import Validator

    _worker_validator = Validator(
        SchemaRegistry(schemas_dirs),
        max_bytes=max_bytes,
        trust_anchors=trust_anchors,
        limits=limits,
        require_signature=require_signature,
        lang=lang,
    )


def validate_one(validator: Validator, path: Path) -> ValidationResult | str:
    """Validate one file; an unreadable one gives the reason instead of a result."""
    try:
        return validator.validate_path(path)
    except InputError as exc:
        return str(exc)


def _validate_in_worker(path: Path) -> ValidationResult | str:
    assert _worker_validator is not None
    try:
        return validate_one(_worker_validator, path)
    except KantaArchiveError:
        raise  # the tool's own errors pickle (tests/unit/test_signature_failures.py)
    except Exception as exc:
        # Goes back to the parent by pickle: an exception whose class does not round-trip
        # would break the whole pool with a pickling error instead of naming the document.
        raise KantaArchiveError(f"{path}: {type(exc).__name__}: {exc}") from None


def _raise_interrupted(signum: int, _frame: FrameType | None) -> None:
    raise Interrupted(signum)


def validate_paths(
    paths: Sequence[Path],
    validator: Validator,
    *,
    jobs: int = 1,
    schemas_dirs: tuple[Path, ...] = (),
) -> Iterator[ValidationResult | str]:
    """A result (or the reason a file is unreadable) per path, in the order of ``paths``.

    ``jobs`` > 1 validates in that many processes, each with a validator like ``validator``
    (the same extra schema folders ``schemas_dirs``, size limit, input limits, trust
    anchors, signature requirement and field-name language)."""
    if jobs <= 1 or len(paths) < 2:
        for path in paths:
            yield validate_one(validator, path)
        return
    previous = signal.signal(signal.SIGTERM, _raise_interrupted)
    pool = multiprocessing.get_context().Pool(
        processes=jobs,
        initializer=_init_worker,
        initargs=(
            os.getpid(),
            schemas_dirs,
            validator.max_bytes,
            tuple(validator.trust_anchors),
            validator.limits,
            validator.require_signature,
            validator.lang,
        ),
    )
    finished = False
    try:
        chunk = max(1, min(64, len(paths) // (jobs * 4)))
        yield from pool.imap(_validate_in_worker, paths, chunksize=chunk)
        finished = True
    finally:
        signal.signal(signal.SIGTERM, previous)
        if finished:
            pool.close()
        else:  # an error, Ctrl-C, SIGTERM, or the reader stopped early
            pool.terminate()
        pool.join()
