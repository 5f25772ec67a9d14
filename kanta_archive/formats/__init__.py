"""Readers: turn the bytes of one input into a :class:`~kanta_archive.model.Document`.

Every reader either returns a document or findings that say why it could not;
readers never raise for bad input.
"""

from kanta_archive.formats.read import DEFAULT_MAX_BYTES, ReadOutcome, read_bytes, read_path

__all__ = ["DEFAULT_MAX_BYTES", "ReadOutcome", "read_bytes", "read_path"]
