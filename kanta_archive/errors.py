"""Exceptions for the tool's own failures and for refused operations.

Problems *in a document* are never exceptions: they are findings. Exceptions
are for things that stop the tool: an unreadable schema, a broken store, a
request the archive refuses. Each subclass also inherits the matching builtin
so callers can catch it the usual way.
"""

from __future__ import annotations


class KantaArchiveError(Exception):
    """Root of every kanta-archive exception."""


class UsageError(KantaArchiveError, ValueError):
    """The caller asked for something that makes no sense (bad option, unknown OID)."""


class InputError(KantaArchiveError, OSError):
    """An input could not be read at all (missing file, not a file)."""


class SchemaError(KantaArchiveError, RuntimeError):
    """A schema file is missing, unreadable or not a valid schema."""


class StoreError(KantaArchiveError, RuntimeError):
    """The store or its index is broken or is not a kanta-archive store."""


class RefusedError(KantaArchiveError, PermissionError):
    """The archive refuses an operation by one of its rules (the message names the rule)."""


class ConflictError(RefusedError):
    """A write conflicts with what is stored (wrong version number, concurrent writer)."""
