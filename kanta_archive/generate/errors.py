"""The generator's one error."""

from __future__ import annotations

from kanta_archive.errors import KantaArchiveError


class GeneratorError(KantaArchiveError, RuntimeError):
    """The generator produced an invalid document or cannot fill a schema (a generator bug)."""
