"""Writing outputs the caller names (a report, a rendered document, a store, a folder of
pages) with one clear error when that cannot be done, and nothing half-written left.

A failure the caller can fix by naming another place (a missing folder, a file in the way,
no permission, a read-only file system, a name too long) is an
:class:`~kanta_archive.errors.OutputError` (exit 2); any other (a full disk, an I/O
error) is the tool's failure (exit 3). Both are one line, never a traceback.
"""

from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Final

from kanta_archive.errors import KantaArchiveError, OutputError

#: errno values that mean "not there, not allowed": the caller chose the wrong place.
PLACE_ERRNOS: Final = frozenset(
    {
        errno.ENOENT,
        errno.ENOTDIR,
        errno.EISDIR,
        errno.EEXIST,
        errno.EACCES,
        errno.EPERM,
        errno.EROFS,
        errno.ENAMETOOLONG,
        errno.ELOOP,
    }
)


class WriteFailure(KantaArchiveError, OSError):
    """Writing an output failed for a reason the caller cannot fix by choosing another
    place (a full disk, an I/O error): the tool's failure (exit 3)."""


def output_error(exc: OSError, what: str, path: Path | None = None) -> KantaArchiveError:
    """The one-line error for a failed write of ``what`` to ``path`` (default: the file
    the OSError names), with the reason."""
    where = path or exc.filename or what
    message = f"{what}: cannot write {where}: {exc.strerror or exc}"
    if exc.errno in PLACE_ERRNOS:
        return OutputError(message)
    return WriteFailure(message)


@contextmanager
def writing(what: str, path: Path | None = None) -> Iterator[None]:
    """Turn an OSError raised while writing ``what`` (to ``path``) into
    :func:`output_error`."""
    try:
        yield
    except (KantaArchiveError, BrokenPipeError):
        raise
    except OSError as exc:
        raise output_error(exc, what, path) from exc


def write_output(path: Path, data: bytes, what: str = "output") -> None:
    """Write ``data`` to ``path`` whole or not at all (a temporary file next to it,
    renamed into place); a directory at ``path`` is refused."""
    if path.is_dir():
        raise OutputError(f"{what}: {path} is a directory")
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as exc:
        raise output_error(exc, what, path) from exc
    finally:
        # The folder may not be there or not be ours to change: then nothing was written.
        with suppress(OSError):
            tmp.unlink(missing_ok=True)


def output_dir(path: Path, what: str = "output folder") -> Path:
    """``path`` as a folder to write into, created if missing (with its parents)."""
    with writing(what):
        path.mkdir(parents=True, exist_ok=True)
    return path
