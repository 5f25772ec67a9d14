"""Findings: what validation says about a document, as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    """How serious a finding is. Errors make a document invalid; warnings do not."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is more serious; used by ``--fail-on``."""
        return {"info": 0, "warning": 1, "error": 2}[self.value]


@dataclass(frozen=True, order=True)
class Location:
    """Where a finding is.

    ``pointer`` is a JSON Pointer into the document model (``/metadata/version``,
    ``/content/asia_asiakirja/asiakas/0``); it is the same for the JSON and the
    XHTML form of one document, which is what makes findings comparable across
    formats. ``xpath`` is set for XHTML sources. ``line``/``column`` are 1-based
    positions in the source file when the parser knows them.
    """

    pointer: str = ""
    xpath: str | None = None
    line: int | None = None
    column: int | None = None
    # The field's Sosmeta name in the language asked for (validate --lang), if known.
    name: str | None = None

    def describe(self) -> str:
        """A short human form: ``12:5 /metadata/version (Versionumero)``."""
        parts: list[str] = []
        if self.line is not None:
            parts.append(f"{self.line}:{self.column or 0}")
        if self.xpath:
            parts.append(self.xpath)
        elif self.pointer:
            parts.append(self.pointer)
        if self.name:
            parts.append(f"({self.name})")
        return " ".join(parts)


@dataclass(frozen=True)
class Finding:
    """One problem (or remark) about one document, with a stable code."""

    code: str
    severity: Severity
    message: str
    location: Location = field(default_factory=Location)

    def key(self) -> tuple[str, str, str]:
        """The format-independent identity of a finding: code, severity, pointer."""
        return (self.code, self.severity.value, self.location.pointer)


def error(code: str, message: str, pointer: str = "", **where: int | str | None) -> Finding:
    """Build an error finding at ``pointer``."""
    return Finding(code, Severity.ERROR, message, Location(pointer, **where))  # type: ignore[arg-type]


def warning(code: str, message: str, pointer: str = "", **where: int | str | None) -> Finding:
    """Build a warning finding at ``pointer``."""
    return Finding(code, Severity.WARNING, message, Location(pointer, **where))  # type: ignore[arg-type]


@dataclass(frozen=True)
class ValidationResult:
    """What validating one input gave: its findings and what was learnt about it.

    ``source`` is the path as given (or ``-`` for stdin). ``format`` is ``json`` or
    ``xhtml`` when the input could be parsed, else ``None``. ``structure`` is the
    structure schema key ``"<oid>@<version>"`` when known.
    """

    source: str
    findings: tuple[Finding, ...]
    format: str | None = None
    structure: str | None = None
    document_oid: str | None = None
    # Code systems whose codes went unchecked because their code set is not loaded.
    unchecked_codesets: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        """True when no finding is an error."""
        return not any(f.severity is Severity.ERROR for f in self.findings)

    def fails_at(self, threshold: Severity) -> bool:
        """True when a finding is at least as serious as ``threshold`` (``--fail-on``)."""
        return any(f.severity.rank >= threshold.rank for f in self.findings)
