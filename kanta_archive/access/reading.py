"""Reading documents *as* an organisation: query results filtered and single documents
refused by :class:`~kanta_archive.access.policy.ReadPolicy`; data under a non-disclosure
marking leave the archive unmasked only when the controller reveals them, with a reason.
Every read is audited, and only after every check has passed: a refused read writes no
``read`` line."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from kanta_archive.access.context import (
    AccessContext,
    audit_document,
    require_controller,
)
from kanta_archive.access.policy import (
    RULE_READ,
    RULE_UNKNOWN_ACTOR,
    ReadPolicy,
    day_of,
    effective_day,
)
from kanta_archive.archive import HistoryEntry, ShownDocument
from kanta_archive.archive.metadata_file import DOCUMENT_FILES
from kanta_archive.archive.objects import FileChange, ObjectFile
from kanta_archive.archive.querying import RowCounts, iter_pages
from kanta_archive.archive.reading import read_metadata, shown_version
from kanta_archive.errors import RefusedError, UsageError
from kanta_archive.index import IndexRow, Query, QueryResult
from kanta_archive.model import Metadata
from kanta_archive.schemas import SchemaRegistry

RULE_REVEAL = "non-disclosure-reveal"
RULE_NON_DISCLOSURE = "non-disclosure-unmasked-output"


@dataclasses.dataclass(frozen=True)
class FilteredResult:
    """A query page the actor may see, and how many matching documents were hidden."""

    result: QueryResult
    hidden: int


def _row_readable(ctx: AccessContext, policy: ReadPolicy, row: IndexRow) -> bool:
    clients = []
    for c in row.clients:
        if c.id_kind == "temporary":
            clients.append(ctx.access.linked_hetu(c.client_id) or c.client_id)
        else:
            clients.append(c.client_id)
    return policy.may_read(
        document_oid=row.document_oid,
        controller_oid=row.controller_oid,
        clients=clients,
        service_task=row.service_task_code,
        day=day_of(row.effective_time),
    )


def iter_query(
    ctx: AccessContext, q: Query, actor: str, limit: int | None, counts: RowCounts
) -> Iterator[IndexRow]:
    """The rows of ``q`` that ``actor`` may read, from ``q.offset`` (counted in readable
    rows), at most ``limit`` (``None``: all). Every matching row is looked at, so that
    ``counts`` ends with the readable ``total`` and the ``hidden`` ones; the rows shown
    are audited when the iteration ends (also when the reader stops early)."""
    policy = ReadPolicy(ctx.access, actor)
    if policy.org is None:  # refused now, before the caller prints anything
        raise RefusedError(
            f"the acting organisation {actor} is not in the registry", rule=RULE_UNKNOWN_ACTOR
        )
    return _readable_rows(ctx, q, actor, policy, limit, counts)


def _readable_rows(
    ctx: AccessContext,
    q: Query,
    actor: str,
    policy: ReadPolicy,
    limit: int | None,
    counts: RowCounts,
) -> Iterator[IndexRow]:
    shown: list[str] = []
    readable = 0
    try:
        for row, _total in iter_pages(ctx.archive.index, q):
            if not _row_readable(ctx, policy, row):
                counts.hidden += 1
                continue
            readable += 1
            if readable > q.offset and (limit is None or len(shown) < limit):
                shown.append(row.document_oid)
                counts.shown += 1
                yield row
        counts.total = readable
    finally:
        ctx.audit.append(
            "query",
            actor=actor,
            user=ctx.user,
            client=q.client,
            documents=shown,
            details={"filters": _query_details(q), "shown": len(shown), "hidden": counts.hidden},
        )


def query(ctx: AccessContext, q: Query, actor: str) -> FilteredResult:
    """One page of ``q`` (``q.limit`` rows) that ``actor`` may read, and how many matching
    documents were hidden; audited."""
    counts = RowCounts()
    rows = tuple(iter_query(ctx, q, actor, q.limit, counts))
    return FilteredResult(QueryResult(rows, counts.total), counts.hidden)


def _check_read(ctx: AccessContext, shown: ShownDocument, actor: str) -> Metadata:
    meta = Metadata.from_raw(shown.metadata)
    if not ReadPolicy(ctx.access, actor).may_read_meta(meta):
        raise RefusedError(
            f"{actor} may not read {shown.document_oid}: it belongs to the "
            f"register of {shown.controller_oid} and no usage right or disclosure covers it",
            rule=RULE_READ,
        )
    return meta


def _audit_read(
    ctx: AccessContext, shown: ShownDocument, actor: str, meta: Metadata, **extra: Any
) -> None:
    details = {"controller": shown.controller_oid, "day": str(effective_day(meta)), **extra}
    audit_document(ctx, "read", shown, actor, details, meta)


def guard_output(
    ctx: AccessContext,
    versions: Sequence[ShownDocument],
    actor: str,
    *,
    unmasked: bool,
    reveal: bool,
    reason: str | None,
    what: str,
) -> bool:
    """Before any output: with ``reveal``, the controller reveals (audited; a reason is
    needed); otherwise unmasked output (``unmasked``: the exact bytes) of a version whose
    client has a non-disclosure marking is refused. Returns whether data are revealed."""
    protected = [s for s in versions if is_protected(s)]
    if reveal:
        for item in protected or versions[-1:]:
            reveal_document(ctx, item, actor, reason)
        return True
    if protected and unmasked:
        raise RefusedError(
            f"{what} would output {protected[0].document_oid} unmasked; a client has a "
            "non-disclosure marking, so only the controller may, with --reveal --reason",
            rule=RULE_NON_DISCLOSURE,
        )
    return False


def show(
    ctx: AccessContext,
    oid: str,
    version: int | None,
    actor: str,
    *,
    unmasked: bool = False,
    reveal: bool = False,
    reason: str | None = None,
) -> ShownDocument:
    """One document, if ``actor`` may read it (else refused). ``unmasked``: the caller
    will output the exact bytes (see :func:`guard_output`). Audited."""
    shown = ctx.archive.show(oid, version)
    meta = _check_read(ctx, shown, actor)
    guard_output(
        ctx, [shown], actor, unmasked=unmasked, reveal=reveal, reason=reason, what="show --raw"
    )
    _audit_read(ctx, shown, actor, meta)
    return shown


def _check_object_read(
    ctx: AccessContext,
    oid: str,
    at: int | None,
    actor: str,
    *,
    unmasked: bool = False,
    reveal: bool = False,
    reason: str | None = None,
    what: str = "cat",
) -> tuple[ShownDocument, Metadata]:
    """Before ``ls``/``cat``/``diff`` of a set: ``actor`` may read its current version,
    and (``unmasked``: the exact document bytes of OCFL version ``at``) the non-disclosure
    rule of :func:`guard_output` holds."""
    head = ctx.archive.show(ctx.archive.resolve(oid)[1])
    meta = _check_read(ctx, head, actor)
    if unmasked or reveal:
        version = _ocfl_version(ctx, head, at)
        guard_output(
            ctx, [version], actor, unmasked=unmasked, reveal=reveal, reason=reason, what=what
        )
    return head, meta


def _ocfl_version(ctx: AccessContext, head: ShownDocument, at: int | None) -> ShownDocument:
    store = ctx.archive.store
    number = at or head.ocfl_version
    meta = read_metadata(store, head.controller_oid, head.set_oid, number)
    return shown_version(store, head.controller_oid, head.set_oid, number, meta)


def ls(ctx: AccessContext, oid: str, at: int | None, actor: str) -> list[ObjectFile]:
    """:meth:`Archive.ls` if ``actor`` may read the set; audited as a read."""
    head, meta = _check_object_read(ctx, oid, at, actor)
    files = ctx.archive.ls(oid, at)
    _audit_read(ctx, head, actor, meta, ls=at or head.ocfl_version)
    return files


def cat(
    ctx: AccessContext,
    oid: str,
    path: str,
    at: int | None,
    actor: str,
    *,
    reveal: bool = False,
    reason: str | None = None,
) -> bytes:
    """:meth:`Archive.cat` if ``actor`` may read the set; the document file of a version
    with a non-disclosure marking only revealed by its controller. Audited as a read."""
    head, meta = _check_object_read(
        ctx,
        oid,
        at,
        actor,
        unmasked=path in DOCUMENT_FILES.values(),
        reveal=reveal,
        reason=reason,
        what=f"cat {path}",
    )
    data = ctx.archive.cat(oid, path, at)
    _audit_read(ctx, head, actor, meta, cat=path, at=at or head.ocfl_version)
    return data


def diff(ctx: AccessContext, oid: str, old: int, new: int | None, actor: str) -> list[FileChange]:
    """:meth:`Archive.diff` if ``actor`` may read the set; audited as a read."""
    head, meta = _check_object_read(ctx, oid, new, actor)
    changes = ctx.archive.diff(oid, old, new)
    _audit_read(ctx, head, actor, meta, diff=[old, new or head.ocfl_version])
    return changes


def history(ctx: AccessContext, oid: str, actor: str) -> list[HistoryEntry]:
    """The history of the set ``oid`` belongs to, if ``actor`` may read its current
    version; audited as a read of it."""
    head = ctx.archive.show(ctx.archive.resolve(oid)[1])
    meta = _check_read(ctx, head, actor)
    entries = ctx.archive.history(oid)
    _audit_read(ctx, head, actor, meta)
    return entries


def export(
    ctx: AccessContext,
    set_oid: str,
    to: Path,
    actor: str,
    *,
    reveal: bool = False,
    reason: str | None = None,
) -> Path:
    """Export a set (every version, exact bytes) if ``actor`` may read its current
    version; a set with a non-disclosure version only by its controller with ``reveal``.
    Audited as a read of the current version, after the copy is in place."""
    head = ctx.archive.show(set_oid)
    meta = _check_read(ctx, head, actor)
    versions = [ctx.archive.show(set_oid, n) for n in range(1, head.version + 1)]
    guard_output(ctx, versions, actor, unmasked=True, reveal=reveal, reason=reason, what="export")
    path = ctx.archive.export(set_oid, to)
    _audit_read(ctx, head, actor, meta, export=True)
    return path


def reveal_document(
    ctx: AccessContext, shown: ShownDocument, actor: str, reason: str | None
) -> None:
    """Allow (and audit) unmasked output of a protected document: only its controller
    (or a unit of that public organisation), and only with a reason."""
    if not reason or not reason.strip():
        raise UsageError("--reveal needs --reason (it is recorded in the audit log)")
    require_controller(ctx, shown, actor, RULE_REVEAL, "reveal data under a non-disclosure marking")
    audit_document(ctx, "reveal", shown, actor, {"reason": reason})


def is_protected(shown: ShownDocument) -> bool:
    """True when the document is under a non-disclosure marking: a person in its content
    has ``turvakielto`` or a metadata client has ``non_disclosure`` (access/masking.py)."""
    from kanta_archive.access.masking import is_protected_document

    model = shown.content()
    return is_protected_document(Metadata.from_raw(shown.metadata), model.get("content", {}))


def masked_content(shown: ShownDocument, registry: SchemaRegistry) -> dict[str, Any]:
    """The document's content with non-disclosure-protected data masked, by the markers of
    its structure schema in ``registry`` (the run's one registry, handed down from the
    caller, so that ``--schemas-dir`` structures are masked too)."""
    from kanta_archive.access.masking import mask_document_content

    model = shown.content()
    meta = Metadata.from_raw(shown.metadata)
    return mask_document_content(meta, model.get("content", {}), registry)


def display_form(shown: ShownDocument, registry: SchemaRegistry, *, reveal: bool = False) -> str:
    """The XHTML display form of a stored CDA document (its decoded ``nonXMLBody/text``).

    When masking changes the content (a client under a non-disclosure marking) and
    ``reveal`` is not given, the submitted display form would show the protected data:
    the display form is then rendered anew from the masked content, with the structure's
    labels (docs/cda.md, "Archive"). Raises UsageError for a document stored in
    another form: only CDA has a display form beside its content.
    """
    from kanta_archive.formats.read import read_bytes
    from kanta_archive.formats.xhtml_writer import render_display

    if shown.storage_format != "cda":
        raise UsageError(
            f"{shown.document_oid} is stored as {shown.storage_format}: only a CDA document "
            "has a display form (render --to xhtml makes a readable page)"
        )
    document = read_bytes(shown.raw, "document.xml").document
    if document is None or document.cda is None:
        raise RefusedError(f"stored document {shown.document_oid} can no longer be read")
    if reveal:
        return document.cda.display
    masked = masked_content(shown, registry)
    if masked == dict(document.content):
        return document.cda.display
    meta = Metadata.from_raw(shown.metadata)
    key = meta.schema_key
    structure = registry.get(*key) if key else None
    rendered = render_display(
        masked, structure.schema if structure else None, meta.language or "fi", meta.title or ""
    )
    return rendered.decode("utf-8")


def _query_details(q: Query) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(q):
        value = getattr(q, f.name)
        if value is not None and value != f.default:
            out[f.name] = str(value) if isinstance(value, date) else value
    return out
