"""Sniff the format of an input, enforce input limits, and dispatch to a reader."""

from __future__ import annotations

import os
import re
from pathlib import Path

from kanta_archive.findings import Finding, error
from kanta_archive.formats.outcome import ReadOutcome
from kanta_archive.limits import DEFAULT_LIMITS, InputLimits

# 10 MiB: the largest real Sosmeta documents are far smaller; anything bigger is
# more likely a mistake or an attack than a client document.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024

JSON_SUFFIXES = frozenset({".json"})
XHTML_SUFFIXES = frozenset({".xhtml", ".html", ".htm", ".xml"})


# The root element of the CDA form (alone or in its archiving message), after any XML
# declaration, comments and processing instructions: the first start tag decides.
_FIRST_TAG = re.compile(rb"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)[\s/>]")
_CDA_ROOTS = frozenset({b"ClinicalDocument", b"RCMR_IN200002FI01"})


def _first_element(data: bytes) -> bytes | None:
    for match in _FIRST_TAG.finditer(data, 0, min(len(data), 65536)):
        before = data[: match.start()]
        # A start tag inside a comment is not the root: count the comment marks before it.
        if before.count(b"<!--") > before.count(b"-->"):
            continue
        return match.group(2)
    return None


def sniff_format(data: bytes, name: str = "") -> str | None:
    """Guess ``json``, ``xhtml`` or ``cda`` from the first meaningful byte (and, for XML,
    the root element's name), else the suffix."""
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head == b"{" or head == b"[":
        return "json"
    if head == b"<":
        return "cda" if _first_element(data) in _CDA_ROOTS else "xhtml"
    suffix = Path(name).suffix.lower()
    if suffix in JSON_SUFFIXES:
        return "json"
    if suffix in XHTML_SUFFIXES:
        return "xhtml"
    return None


def _input_problem(data: bytes, max_bytes: int) -> Finding | None:
    if len(data) > max_bytes:
        return error(
            "KA-INPUT-TOO-LARGE",
            f"input is {len(data)} bytes, over the limit of {max_bytes} bytes",
        )
    if not data or data.isspace():  # as "not data.strip()", without copying the input
        return error("KA-INPUT-EMPTY", "input is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or data[:4] in (b"\x00\x00\xfe\xff",):
        return error("KA-INPUT-ENCODING", "input is UTF-16/32 encoded; documents must be UTF-8")
    # '{' or '<' next to a NUL: UTF-16 without a byte order mark.
    one_nul_in_first_pair = len(data) >= 2 and (data[0] == 0) != (data[1] == 0)
    if one_nul_in_first_pair and data.lstrip(b"\x00")[:1] in (b"{", b"<", b" ", b"\n"):
        return error("KA-INPUT-ENCODING", "input looks UTF-16 encoded; documents must be UTF-8")
    if b"\x00" in data[:8192]:
        return error("KA-INPUT-BINARY", "input contains NUL bytes: a binary file, not a document")
    return None


def read_bytes(
    data: bytes,
    source: str = "-",
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    limits: InputLimits = DEFAULT_LIMITS,
) -> ReadOutcome:
    """Read one document from ``data``; ``source`` names it in findings. ``limits`` bound
    what the document may hold (kanta_archive/limits.py)."""
    problem = _input_problem(data, max_bytes)
    if problem is not None:
        return ReadOutcome(None, (problem,))
    fmt = sniff_format(data, source)
    # Each reader is imported when first needed: a JSON-only run never loads lxml.
    if fmt == "json":
        from kanta_archive.formats.json_reader import read_json

        return read_json(data, source, limits)
    if fmt == "xhtml":
        from kanta_archive.formats.xhtml_reader import read_xhtml

        return read_xhtml(data, source, limits)
    if fmt == "cda":
        from kanta_archive.formats.cda_reader import read_cda

        return read_cda(data, source, limits)
    return ReadOutcome(
        None,
        (
            error(
                "KA-INPUT-FORMAT",
                "not a JSON, XHTML or CDA document (first byte is neither '{' nor '<')",
            ),
        ),
    )


def read_path(
    path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, limits: InputLimits = DEFAULT_LIMITS
) -> ReadOutcome:
    """Read one document from a file, refusing to load files over ``max_bytes``.

    Raises :class:`~kanta_archive.errors.InputError` when the file cannot be
    opened at all; that is a usage problem, not a finding about a document.
    """
    from kanta_archive.errors import InputError

    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > max_bytes:
                # Do not read a huge file into memory just to reject it.
                return ReadOutcome(
                    None,
                    (
                        error(
                            "KA-INPUT-TOO-LARGE",
                            f"input is {size} bytes, over the limit of {max_bytes} bytes",
                        ),
                    ),
                )
            data = handle.read(max_bytes + 1)
    except IsADirectoryError as exc:
        raise InputError(f"{path}: is a directory") from exc
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}") from exc
    return read_bytes(data, str(path), max_bytes=max_bytes, limits=limits)


__all__ = ["DEFAULT_MAX_BYTES", "ReadOutcome", "read_bytes", "read_path", "sniff_format"]
