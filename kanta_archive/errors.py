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


class OutputError(KantaArchiveError, OSError):
    """An output cannot be written where the caller asked: a missing folder, a file in the
    way, no permission, a read-only file system (the caller's to fix, like a bad input)."""


class SchemaError(KantaArchiveError, RuntimeError):
    """A schema file is missing, unreadable or not a valid schema."""


class StoreError(KantaArchiveError, RuntimeError):
    """The store or its index is broken or is not a kanta-archive store."""


class RefusedError(KantaArchiveError, PermissionError):
    """The archive refuses an operation by one of its rules.

    ``rule`` names the rule (e.g. ``access-read-own-register``, see docs/access.md) as data,
    for reports and the audit log; ``message`` says why in words. ``str()`` is
    ``"<rule>: <message>"``, the one line the CLI prints.
    """

    default_rule = "refused"

    def __init__(self, message: str, *, rule: str | None = None) -> None:
        # One positional argument only: OSError reads two as (errno, strerror). The rule
        # travels in __dict__, which OSError's __reduce__ keeps, so the error pickles.
        super().__init__(message)
        self.rule = rule or self.default_rule

    @property
    def message(self) -> str:
        """Why, in words (without the rule)."""
        return str(self.args[0]) if self.args else ""

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


class ConflictError(RefusedError):
    """A write conflicts with what is stored (wrong version number, concurrent writer)."""

    default_rule = "write-conflict"


class Interrupted(KantaArchiveError):
    """The run was stopped by a signal (SIGTERM; Ctrl-C arrives as KeyboardInterrupt).
    The exit code is 128 + the signal number, as shells report it."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by signal {signum}")
        self.signum = signum
