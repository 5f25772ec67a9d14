"""What every reader returns. A module of its own so that the readers and the dispatcher
(:mod:`kanta_archive.formats.read`) both import it and never each other."""

from __future__ import annotations

from dataclasses import dataclass

from kanta_archive.findings import Finding
from kanta_archive.model import Document


@dataclass(frozen=True)
class ReadOutcome:
    """A document, or the findings that explain why there is none."""

    document: Document | None
    findings: tuple[Finding, ...] = ()
    format: str | None = None
