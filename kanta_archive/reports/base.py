"""The reporter interface and the small helpers every output format shares."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from kanta_archive.findings import Location, Severity, ValidationResult

TOOL_NAME = "kanta-archive"


class Reporter(ABC):
    """Turns validation results into one output format.

    ``results`` arrive sorted by source path; a reporter keeps that order and
    must be deterministic: the same input gives the same string, byte for byte.
    """

    name: ClassVar[str]

    @abstractmethod
    def render(
        self,
        results: Sequence[ValidationResult],
        *,
        tool_version: str,
        color: bool = False,
    ) -> str:
        """Return the whole report; ``color`` asks for ANSI colours where the format has any."""


@dataclass(frozen=True)
class Summary:
    """Counts over a run: documents, valid/invalid documents, error/warning findings."""

    documents: int
    valid: int
    invalid: int
    errors: int
    warnings: int

    @classmethod
    def of(cls, results: Sequence[ValidationResult]) -> Summary:
        valid = sum(1 for r in results if r.valid)
        return cls(
            documents=len(results),
            valid=valid,
            invalid=len(results) - valid,
            errors=_count(results, Severity.ERROR),
            warnings=_count(results, Severity.WARNING),
        )


def _count(results: Sequence[ValidationResult], severity: Severity) -> int:
    return sum(1 for r in results for f in r.findings if f.severity is severity)


def where(location: Location) -> str:
    """The in-document place to show people: the JSON Pointer, else the XPath, else ``""``.

    The pointer comes first because it is the same for the JSON and XHTML form of a
    document; the XPath is shown only when there is no pointer. With ``validate --lang``
    the field's Sosmeta name follows in parentheses.
    """
    place = location.pointer or location.xpath or ""
    return f"{place} ({location.name})" if location.name and place else place


_CONTROL_ESCAPES: dict[int, str] = {
    **{c: f"\\x{c:02x}" for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)]},
    0x09: "\\t",
    0x0A: "\\n",
    0x0D: "\\r",
}


# The same, for formats that carry line breaks themselves (GitHub's %0A).
_CONTROL_ESCAPES_BUT_BREAKS = {c: e for c, e in _CONTROL_ESCAPES.items() if c not in (0x0A, 0x0D)}


def escape_controls(text: str, *, keep_line_breaks: bool = False) -> str:
    """``text`` with control characters shown as escapes, line breaks kept if asked."""
    return text.translate(_CONTROL_ESCAPES_BUT_BREAKS if keep_line_breaks else _CONTROL_ESCAPES)


def one_line(text: str) -> str:
    """``text`` with control characters shown as escapes (``\\n``, ``\\x1b``).

    Messages can quote document content; this keeps one finding on one line and
    stops a document from sending escape sequences to a terminal.
    """
    return escape_controls(text)
