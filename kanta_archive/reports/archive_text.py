"""The archive's results for people (``text``) and as JSON records: what ``archive``,
``show``, ``history``, ``verify`` and ``query`` print. Listings go through
:mod:`kanta_archive.reports.records`."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

from kanta_archive.archive import (
    HistoryEntry,
    IngestReport,
    ShownDocument,
    TransferReport,
    VerifyReport,
)
from kanta_archive.archive.migrate import MigrateReport
from kanta_archive.archive.objects import FileChange, ObjectFile
from kanta_archive.index import IndexRow
from kanta_archive.reports.records import cell, plain

#: ``query --format text`` shows these unless ``--columns`` says otherwise.
QUERY_TEXT_COLUMNS: Final = (
    "effective_time",
    "document_oid",
    "version",
    "status",
    "service_task",
    "document_type",
    "controller",
    "title",
)
#: Every column of a query row, in this order (the default of every format but ``text``).
QUERY_COLUMNS: Final = (
    "document_oid",
    "set_oid",
    "version",
    "is_head",
    "status",
    "effective_time",
    "created",
    "title",
    "document_type",
    "document_group",
    "service_task",
    "controller",
    "controller_type",
    "producer",
    "service_unit",
    "author_organisation",
    "case_oid",
    "customership_oid",
    "common_matter_oid",
    "patient_data",
    "storage_format",
    "non_disclosure",
    "clients",
)


def query_record(row: IndexRow, *, flat: bool = False) -> dict[str, Any]:
    """One query row as a record; ``flat`` lists the clients by identifier only (for
    ``csv``, ``tsv`` and ``text``), else as objects."""
    clients: list[Any] = (
        [c.client_id for c in row.clients]
        if flat
        else [
            {"id": c.client_id, "kind": c.id_kind, "non_disclosure": c.non_disclosure}
            for c in row.clients
        ]
    )
    return {
        "document_oid": row.document_oid,
        "set_oid": row.set_oid,
        "version": row.version,
        "is_head": row.is_head,
        "status": row.status,
        "effective_time": row.effective_time,
        "created": row.created,
        "title": row.title,
        "document_type": row.document_type_code,
        "document_group": row.document_group_code,
        "service_task": row.service_task_code,
        "controller": row.controller_oid,
        "controller_type": row.controller_type,
        "producer": row.producer_oid,
        "service_unit": row.service_unit_oid,
        "author_organisation": row.author_org_oid,
        "case_oid": row.case_oid,
        "customership_oid": row.customership_oid,
        "common_matter_oid": row.common_matter_oid,
        "patient_data": row.patient_data,
        "storage_format": row.storage_format,
        "non_disclosure": row.non_disclosure,
        "clients": clients,
    }


def ingest_record(report: IngestReport) -> dict[str, Any]:
    """``archive --format json``: the counts, one record per input and the findings of
    the invalid inputs."""
    from kanta_archive.reports.json_report import finding_to_json

    return {
        "stored": report.count("stored"),
        "unchanged": report.count("unchanged"),
        "refused": report.count("refused"),
        "valid": len(report.items) - len(report.invalid),
        "invalid": len(report.invalid),
        "documents": [plain(item) for item in report.items],
        "findings": [
            {"source": r.source, "findings": [finding_to_json(f) for f in r.findings]}
            for r in report.invalid
        ],
    }


def ingest_text(report: IngestReport) -> str:
    """The findings of the invalid inputs, one line per input (status, source, version,
    reason) and a summary line that counts every input, valid or not."""
    from kanta_archive.reports.text import TextReporter

    lines = [
        TextReporter.finding_line(result.source, finding)
        for result in report.invalid
        for finding in result.findings
    ]
    for item in report.items:
        version = f" v{item.version}" if item.version is not None else ""
        reason = f" ({item.reason})" if item.reason else ""
        lines.append(f"{item.status:<9} {item.source}{version}{reason}")
    total = len(report.items)
    invalid = len(report.invalid)
    lines.append(
        f"{total} document{'' if total == 1 else 's'}: {total - invalid} valid, "
        f"{invalid} invalid; {report.count('stored')} stored, "
        f"{report.count('unchanged')} unchanged, {report.count('refused')} refused"
    )
    return "\n".join(lines) + "\n"


def shown_text(shown: ShownDocument) -> str:
    """``show`` without a part: the summary of one document version."""
    meta = shown.metadata
    lines = [
        f"document     {shown.document_oid}",
        f"set          {shown.set_oid}",
        f"version      {shown.version} (OCFL v{shown.ocfl_version})",
        f"title        {meta.get('title')}",
        f"status       {meta.get('status')}",
        f"controller   {shown.controller_oid}",
        f"effective    {meta.get('effective_time')}",
        f"created      {meta.get('created')}",
        f"format       {shown.storage_format} ({len(shown.raw)} bytes)",
    ]
    invalidation = meta.get("invalidation")
    if isinstance(invalidation, Mapping):
        lines.append(f"invalidated  {invalidation.get('time')}: {invalidation.get('reason')}")
    return "\n".join(lines) + "\n"


def history_text(entries: Sequence[HistoryEntry]) -> str:
    """One line per OCFL version: when, who, what happened and why."""
    lines = []
    for e in entries:
        line = (
            f"v{e.ocfl_version}  {e.time}  {e.actor}  {e.event}  document {e.document_oid} "
            f"(version {e.version}, {e.status}, controller {e.controller_oid})"
        )
        if e.event == "controller-transferred":
            change = e.changes.get("controller", {})
            line += f"  from {(change.get('from') or {}).get('oid')}"
        if e.reason:
            line += f"  reason: {e.reason}"
        lines.append(line)
    return "".join(line + "\n" for line in lines)


def verify_record(report: VerifyReport) -> dict[str, Any]:
    """``verify --format json``."""
    return {
        "ok": report.ok,
        "objects": report.objects,
        "index_rows": report.index_rows,
        "problems": [plain(p) for p in report.problems],
    }


def verify_text(report: VerifyReport) -> str:
    """One line per problem and a summary line."""
    lines = [
        f"{p.severity}: {p.code}: {p.object or '-'}: {p.message}"
        + (f" [{p.path}]" if p.path else "")
        for p in report.problems
    ]
    lines.append(
        f"{report.objects} document set(s), {report.index_rows} index head row(s), "
        f"{len(report.problems)} problem(s)"
    )
    return "\n".join(lines) + "\n"


def migrate_text(report: MigrateReport) -> str:
    """``migrate``: what was copied now, what was there already, what was indexed."""
    lines = [f"problem: {p}" for p in report.problems]
    lines.append(
        f"{report.sets} document set(s) from {report.source} in {report.target}:"
        f" {report.copied} copied now ({report.versions} version(s)), {report.present}"
        f" already there; {report.access_rows} access row(s) and {report.audit_entries}"
        f" audit entries copied now; {report.indexed} document version(s) indexed,"
        f" {report.links} client link(s)"
    )
    return "\n".join(lines) + "\n"


def transfer_text(report: TransferReport) -> str:
    """``transfer-controller``: how many sets moved (and were resumed)."""
    resumed = f" ({len(report.resumed)} resumed)" if report.resumed else ""
    return (
        f"transferred {len(report.moved)} document set(s) from {report.from_controller} "
        f"to {report.to_controller}{resumed}\n"
    )


#: ``ls`` columns: the logical path, its size, SHA-512 digest and the version it came from.
LS_COLUMNS: Final = ("path", "size", "digest", "since")
LS_TEXT_COLUMNS: Final = ("path", "size", "since")


def ls_record(item: ObjectFile) -> dict[str, Any]:
    """One file of an OCFL version (``since`` as ``vN``)."""
    return {"path": item.path, "size": item.size, "digest": item.digest, "since": f"v{item.since}"}


def diff_text(changes: Sequence[FileChange], *, all_files: bool = False) -> str:
    """rocfl-style lines: ``Added``/``Deleted``/``Modified`` path, then each changed
    metadata key indented (unchanged files only with ``all_files``)."""
    lines = []
    for item in changes:
        if item.change == "unchanged" and not all_files:
            continue
        lines.append(f"{item.change.capitalize():<9} {item.path}")
        for key, change in item.changes.items():
            lines.append(f"    {key}: {_value(change.get('from'))} -> {_value(change.get('to'))}")
    return "".join(line + "\n" for line in lines)


def _value(value: Any) -> str:
    """A metadata value on one line: scalars as text, objects and lists as compact JSON."""
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(plain(value), ensure_ascii=False, sort_keys=True)
    return cell(value)
