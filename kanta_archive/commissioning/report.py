"""The commissioning-test report model: what a run found, as plain frozen records.

The renderers (:mod:`~kanta_archive.commissioning.html`,
:mod:`~kanta_archive.commissioning.json_report`) read these records only; they never
import the runner.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from kanta_archive.findings import Finding, Severity

OTHER_CASE: Final = "valid-other"

#: What each case checks, for reports and docs (``valid-<structure>`` has its own text).
CASE_TITLES: Final[Mapping[str, str]] = {
    "new-version": "New version of a document set",
    "invalidation": "Invalidation",
    "common-matter": "Common matter",
    "temporary-id": "Temporary identifier",
    "non-disclosure": "Non-disclosure marking",
    OTHER_CASE: "Other documents in the folder",
}
CASE_CHECKS: Final[Mapping[str, str]] = {
    "valid": "At least one valid document of the structure (of the required version, if the "
    "plan names one); every document of it validates, is archived and is shown back byte "
    "for byte.",
    "new-version": "A document set with versions 1 and 2 in the folder: both are archived, "
    "in order, and the set's history lists version 1 before version 2.",
    "invalidation": "The harness invalidates one stored document (Archive.invalidate): a "
    "query no longer lists it, a query with invalidated documents lists it as invalidated, "
    "and show still returns it, with the same bytes.",
    "common-matter": "A document with at least two clients and a common_matter_oid: a query "
    "on each client finds it.",
    "temporary-id": "A document whose client has a temporary identifier: it is archived and "
    "a query on that identifier finds it.",
    "non-disclosure": "A document with a client marked non_disclosure is present, archived "
    "and marked in the index; the report records which protected fields it holds. Masking "
    "is not checked here (a separate issue).",
    OTHER_CASE: "Documents of structures the plan does not name (or that cannot be read) "
    "must validate too.",
}


@dataclass(frozen=True)
class DocumentRecord:
    """One input document: what validation and archiving said about it."""

    source: str  # path relative to the tested folder, with '/'
    format: str | None
    document_oid: str | None
    set_oid: str | None
    version: int | None
    structure_oid: str | None
    structure_version: str | None
    valid: bool
    findings: tuple[Finding, ...]
    archived: str | None = None  # "stored", "unchanged", "refused"; None: not submitted
    archive_reason: str | None = None

    @property
    def errors(self) -> int:
        """How many findings are errors."""
        return sum(1 for f in self.findings if f.severity is Severity.ERROR)


@dataclass(frozen=True)
class CaseResult:
    """One case: passed or not, why, what was checked, with which documents."""

    id: str
    title: str
    checks: str
    passed: bool
    message: str
    steps: tuple[str, ...] = ()
    documents: tuple[DocumentRecord, ...] = ()


@dataclass(frozen=True)
class CoverageRow:
    """One structure: required by the plan and/or found in the documents."""

    oid: str
    name: str
    required: bool
    required_version: str | None
    found_versions: tuple[str, ...]
    documents: int
    valid: int

    @property
    def covered(self) -> bool:
        """A required structure is covered by at least one valid document (of the
        required version); a structure the plan does not require is always fine."""
        return not self.required or self.valid > 0


@dataclass(frozen=True)
class SchemaUse:
    """A structure schema version used by the documents."""

    oid: str
    version: str
    title: str
    known: bool
    documents: int


@dataclass(frozen=True)
class CommissioningReport:
    """Everything a commissioning-test report says."""

    organisation_oid: str
    system: str
    tool: str
    tool_version: str
    generated_at: str  # UTC, ISO 8601, ``Z``
    folder: str
    plan_name: str
    plan_description: str
    plan_source: str
    schemas: tuple[SchemaUse, ...]
    documents: tuple[DocumentRecord, ...]
    cases: tuple[CaseResult, ...]
    coverage: tuple[CoverageRow, ...]

    @property
    def passed(self) -> bool:
        """True when every case passed."""
        return all(case.passed for case in self.cases)

    @property
    def failed_cases(self) -> tuple[CaseResult, ...]:
        """The cases that failed."""
        return tuple(case for case in self.cases if not case.passed)


def format_time(moment: datetime) -> str:
    """``moment`` in UTC as ISO 8601 with ``Z`` (naive times are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
