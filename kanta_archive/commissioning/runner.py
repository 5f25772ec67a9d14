"""Run a commissioning test (käyttöönottokoe): validate a folder of documents, archive them
into a scratch store, exercise query/show/history/invalidate and record every case.

The scratch store lives in a temporary directory that is removed afterwards; nothing of it
(paths, store times) appears in the report, so the same folder, plan and ``now`` give the
same report.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from kanta_archive.archive import Archive, IngestItem
from kanta_archive.commissioning.cases import ACTOR, CaseInput, CaseRun, run_cases
from kanta_archive.commissioning.coverage import coverage, schemas
from kanta_archive.commissioning.plan import Plan
from kanta_archive.commissioning.report import (
    CommissioningReport,
    DocumentRecord,
    format_time,
)
from kanta_archive.errors import UsageError
from kanta_archive.findings import Severity
from kanta_archive.formats.read import read_path
from kanta_archive.identifiers import oid_problem

TOOL_NAME: Final = "kanta-archive"

Progress = Callable[[str], None]


def _noop(_step: str) -> None:
    return None


def _relative(path: Path, folder: Path) -> str:
    try:
        return path.relative_to(folder).as_posix()
    except ValueError:
        return path.as_posix()


def _read_inputs(folder: Path, validator: Any, progress: Progress) -> list[CaseInput]:
    from kanta_archive.validate import iter_inputs

    paths = list(iter_inputs([folder]))
    if not paths:
        raise UsageError(f"{folder}: no documents found (*.json, *.xhtml, *.html, *.xml)")
    inputs: list[CaseInput] = []
    for path in paths:
        progress(f"validate {_relative(path, folder)}")
        outcome = read_path(path, max_bytes=validator.max_bytes, limits=validator.limits)
        document = outcome.document
        findings = tuple(outcome.findings)
        meta = None
        structure = None
        if document is not None:
            findings += tuple(validator.validate_document(document))
            meta = document.metadata
            key = meta.schema_key
            # A document may name its structure by the full dated OID: the plan by base OID.
            structure = validator.registry.get(*key) if key else None
        record = DocumentRecord(
            source=_relative(path, folder),
            format=outcome.format,
            document_oid=meta.document_oid if meta else None,
            set_oid=meta.set_oid if meta else None,
            version=meta.version if meta else None,
            structure_oid=structure.oid if structure else (meta.structure_oid if meta else None),
            structure_version=meta.structure_version if meta else None,
            valid=document is not None and not any(f.severity is Severity.ERROR for f in findings),
            findings=findings,
        )
        inputs.append(CaseInput(record, document, meta))
    return inputs


def _with_archive_status(inputs: list[CaseInput], items: Sequence[IngestItem]) -> None:
    valid = [i for i in inputs if i.record.valid and i.document is not None]
    for item, ingest in zip(valid, items, strict=True):
        item.record = _replace_archived(item.record, ingest.status, ingest.reason)


def _replace_archived(record: DocumentRecord, status: str, reason: str | None) -> DocumentRecord:
    from dataclasses import replace

    return replace(record, archived=status, archive_reason=reason or None)


def run_commissioning(
    folder: Path,
    plan: Plan,
    *,
    organisation_oid: str,
    system: str,
    now: datetime | None = None,
    validator: Any = None,
    tool_version: str | None = None,
    progress: Progress | None = None,
) -> CommissioningReport:
    """Run ``plan`` on the documents in ``folder`` and return the report.

    Usage problems (a missing folder, no documents, a bad organisation OID, an empty system
    name) raise :class:`UsageError` before anything runs. Problems in documents and failed
    checks are case results, never exceptions."""
    problem = oid_problem(organisation_oid)
    if problem:
        raise UsageError(f"--org {organisation_oid!r} is not an OID: {problem}")
    if not system.strip():
        raise UsageError("--system must name the system under test")
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such folder")
    if validator is None:
        from kanta_archive.validate import Validator

        validator = Validator()
    if tool_version is None:
        from kanta_archive import __version__

        tool_version = __version__
    progress = progress or _noop
    generated_at = format_time(now or datetime.now(UTC))

    inputs = _read_inputs(folder, validator, progress)
    with tempfile.TemporaryDirectory(prefix="kanta-commissioning-") as scratch:
        progress("archive into a scratch store")
        archive = Archive.open(Path(scratch) / "store", create=True, validator=validator)
        try:
            documents = [i.document for i in inputs if i.record.valid and i.document]
            report = archive.ingest(
                [d for d in documents if d is not None], partial=True, actor=ACTOR
            )
            _with_archive_status(inputs, report.items)
            cases = run_cases(CaseRun(archive, inputs), plan, progress)
        finally:
            archive.close()

    records = tuple(i.record for i in inputs)
    return CommissioningReport(
        organisation_oid=organisation_oid,
        system=system,
        tool=TOOL_NAME,
        tool_version=tool_version,
        generated_at=generated_at,
        folder=folder.as_posix(),
        plan_name=plan.name,
        plan_description=plan.description,
        plan_source=plan.source,
        schemas=schemas(records, validator),
        documents=records,
        cases=tuple(cases),
        coverage=coverage(plan, records, validator),
    )


__all__ = ["TOOL_NAME", "run_commissioning"]
