"""Ingest: validate a batch, decide what each valid document is, store the new versions.

The whole batch is read and validated first. Then every valid document is judged against
what the store holds for its set (:func:`_decide`): version 1 of a new set, or the next
version naming the stored head; an identical re-submission is ``unchanged``; anything else
is ``refused`` with the reason. The new versions are committed round by round (round k holds
the k-th new version of every set) and then indexed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kanta_archive.archive import metadata_file as mf
from kanta_archive.archive.reading import read_metadata, version_metadata
from kanta_archive.archive.results import IngestItem, IngestReport, Progress, Refusal, Status
from kanta_archive.findings import Finding, Severity, ValidationResult
from kanta_archive.formats.read import read_bytes, read_path
from kanta_archive.index import Index
from kanta_archive.model import Document, Metadata
from kanta_archive.store import MAX_BATCH, CommitRequest, Store

Authorize = Callable[[Metadata], Refusal | None]


@dataclass
class _Candidate:
    position: int
    source: str
    document: Document
    meta: Metadata


@dataclass
class _SetState:
    """What the store holds for one document set (loaded lazily)."""

    controller: str | None  # storage root holding it, None if new
    ocfl_head: int
    doc_version: int
    head_document_oid: str | None
    status: str | None
    # document OID -> (ocfl version, storage format); filled on demand
    known: dict[str, tuple[int, str]] | None = None
    pending: dict[str, Document] = field(default_factory=dict)


@dataclass
class _Planned:
    position: int
    source: str
    set_oid: str
    document_oid: str
    version: int
    controller: str
    request_files: dict[str, bytes]
    meta: Metadata
    expected_head: int


def _strip_format(metadata: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in metadata.items() if k != "storage_format"}


def _same_document(a: Document, b: Document) -> bool:
    return a.raw == b.raw or (
        _strip_format(a.metadata_raw) == _strip_format(b.metadata_raw) and a.content == b.content
    )


def ingest_paths(paths: Sequence[Path]) -> list[Path]:
    """The document files under ``paths`` (folders searched recursively, sorted)."""
    from kanta_archive.validate import iter_inputs

    return list(iter_inputs(list(paths)))


def ingest(
    store: Store,
    index: Index,
    validator: Any,
    documents: Iterable[Path | Document],
    *,
    partial: bool,
    actor: str,
    progress: Progress,
    authorize: Authorize | None = None,
) -> IngestReport:
    """See :meth:`kanta_archive.archive.Archive.ingest`."""
    good, bad = _read_and_validate(validator, documents, progress)
    items: dict[int, IngestItem] = {}
    for position, result in bad:
        errors = sum(1 for f in result.findings if f.severity is Severity.ERROR)
        items[position] = IngestItem(
            result.source,
            "refused",
            result.document_oid,
            None,
            None,
            reason=f"invalid: {errors} error finding(s)",
        )
    if authorize is not None:
        allowed: list[_Candidate] = []
        for cand in good:
            denied = authorize(cand.meta)
            if denied is None:
                allowed.append(cand)
            else:
                items[cand.position] = _item(cand, "refused", str(denied), denied.rule)
        if len(allowed) < len(good) and not partial:
            for cand in allowed:
                items[cand.position] = _item(
                    cand, "refused", "not stored: other documents in the batch are refused"
                )
            progress(len(good))
            return _report(items, bad)
        good = allowed
    if bad and not partial:
        for cand in good:
            items[cand.position] = _item(
                cand, "refused", "not stored: other documents in the batch are invalid"
            )
        progress(len(good))
        return _report(items, bad)
    plans = _plan(store, good, items)
    _commit_plans(store, index, plans, actor, progress)
    for plan in plans:
        items[plan.position] = IngestItem(
            plan.source,
            "stored",
            plan.document_oid,
            plan.set_oid,
            plan.version,
            plan.controller,
        )
    progress(len(good) - len(plans))
    return _report(items, bad)


def _read_and_validate(
    validator: Any, inputs: Iterable[Path | Document], progress: Progress
) -> tuple[list[_Candidate], list[tuple[int, ValidationResult]]]:
    good: list[_Candidate] = []
    bad: list[tuple[int, ValidationResult]] = []
    for position, item in enumerate(inputs):
        if isinstance(item, Document):
            document: Document | None = item
            source = item.source
            findings: tuple[Finding, ...] = ()
            fmt: str | None = item.format
        else:
            source = str(item)
            outcome = read_path(Path(item), max_bytes=validator.max_bytes, limits=validator.limits)
            document, findings, fmt = outcome.document, tuple(outcome.findings), outcome.format
        meta = None
        if document is not None:
            findings += tuple(validator.validate_document(document))
            meta = document.metadata  # built on each access: once here
        oid = meta.document_oid if meta is not None else None
        result = ValidationResult(source, findings, fmt, None, oid)
        if document is None or meta is None or not result.valid:
            bad.append((position, result))
        else:
            good.append(_Candidate(position, source, document, meta))
        progress(1)
    return good, bad


def _report(items: dict[int, IngestItem], bad: list[tuple[int, ValidationResult]]) -> IngestReport:
    return IngestReport(tuple(items[k] for k in sorted(items)), tuple(result for _p, result in bad))


def _item(
    cand: _Candidate, status: Status, reason: str | None = None, rule: str | None = None
) -> IngestItem:
    meta = cand.meta
    return IngestItem(
        cand.source,
        status,
        meta.document_oid,
        meta.set_oid,
        meta.version,
        meta.controller_oid,
        reason,
        rule,
    )


def _load_state(store: Store, set_oid: str) -> _SetState:
    controller = store.find_object(set_oid)
    if controller is None:
        return _SetState(None, 0, 0, None, None)
    head = store.head(controller, set_oid)
    meta = read_metadata(store, controller, set_oid, head)
    version = meta.get("version")
    return _SetState(
        controller,
        head,
        version if isinstance(version, int) else 0,
        meta.get("document_oid"),
        meta.get("status"),
    )


def _known(store: Store, state: _SetState, set_oid: str) -> dict[str, tuple[int, str]]:
    if state.known is None:
        state.known = {}
        if state.controller is not None:
            for number, meta in enumerate(
                version_metadata(store, state.controller, set_oid), start=1
            ):
                oid = meta.get("document_oid")
                if isinstance(oid, str):
                    state.known[oid] = (number, str(meta.get("storage_format", "json")))
    return state.known


def _plan(store: Store, good: list[_Candidate], items: dict[int, IngestItem]) -> list[_Planned]:
    by_set: dict[str, list[_Candidate]] = defaultdict(list)
    for cand in good:
        assert cand.meta.set_oid is not None  # valid documents have one
        by_set[cand.meta.set_oid].append(cand)
    plans: list[_Planned] = []
    for set_oid, cands in by_set.items():
        cands.sort(key=lambda c: (c.meta.version or 0, c.source))
        state = _load_state(store, set_oid)
        for cand in cands:
            status, reason = _decide(store, set_oid, cand, state)
            if status != "stored":
                items[cand.position] = _item(cand, status, reason)
                continue
            meta = cand.meta
            assert meta.document_oid and meta.version and meta.controller_oid
            fmt = cand.document.format
            plans.append(
                _Planned(
                    cand.position,
                    cand.source,
                    set_oid,
                    meta.document_oid,
                    meta.version,
                    meta.controller_oid,
                    {
                        mf.document_file(fmt): cand.document.raw,
                        mf.METADATA_FILE: mf.dump(cand.document.metadata_raw),
                    },
                    meta,
                    state.ocfl_head,
                )
            )
            state.ocfl_head += 1
            state.controller = meta.controller_oid
            state.doc_version = meta.version
            state.head_document_oid = meta.document_oid
            state.status = meta.status
            state.pending[meta.document_oid] = cand.document
    return plans


def _decide(store: Store, set_oid: str, cand: _Candidate, state: _SetState) -> tuple[Status, str]:
    meta = cand.meta
    oid = meta.document_oid
    assert oid is not None
    if oid in state.pending:
        if _same_document(state.pending[oid], cand.document):
            return "unchanged", "same document earlier in this batch"
        return "refused", f"document {oid} appears twice in the batch with different content"
    if meta.version is not None and meta.version <= state.doc_version:
        known = _known(store, state, set_oid)
        if oid in known:
            assert state.controller is not None
            number, fmt = known[oid]
            stored_raw = store.read(state.controller, set_oid, mf.document_file(fmt), number)
            stored_doc = read_bytes(stored_raw, mf.document_file(fmt)).document
            if stored_raw == cand.document.raw:
                return "unchanged", "already stored"
            if stored_doc is not None and _same_document(stored_doc, cand.document):
                return "unchanged", f"already stored in {fmt} form"
            return "refused", f"document {oid} is already stored with different content"
        return (
            "refused",
            f"set {set_oid} already has version {state.doc_version}; "
            f"a new version must be {state.doc_version + 1}",
        )
    if state.status == "invalidated":
        return "refused", f"set {set_oid} is invalidated; no new versions are accepted"
    expected = state.doc_version + 1
    if meta.version != expected:
        if state.doc_version == 0:
            return "refused", (
                f"set {set_oid} is not stored; its first version must be 1, not {meta.version}"
            )
        return "refused", (
            f"set {set_oid} is at version {state.doc_version}; the next version must be "
            f"{expected}, not {meta.version}"
        )
    if expected > 1 and meta.previous_version_oid != state.head_document_oid:
        return "refused", (
            f"previous_version_oid {meta.previous_version_oid} does not name the stored "
            f"version {state.doc_version} ({state.head_document_oid})"
        )
    if state.controller is not None and meta.controller_oid != state.controller:
        return "refused", (
            f"set {set_oid} is held by controller {state.controller}, not {meta.controller_oid}"
        )
    return "stored", ""


def _commit_plans(
    store: Store, index: Index, plans: list[_Planned], actor: str, progress: Progress
) -> None:
    # Round k holds the k-th new version of every set, so one commit_many call never
    # sees the same object twice and versions land in order.
    rounds: list[list[_Planned]] = []
    seen: dict[str, int] = defaultdict(int)
    for plan in plans:
        k = seen[plan.set_oid]
        seen[plan.set_oid] += 1
        if k == len(rounds):
            rounds.append([])
        rounds[k].append(plan)
    for batch in rounds:
        for start in range(0, len(batch), MAX_BATCH):
            chunk = batch[start : start + MAX_BATCH]
            requests = [
                CommitRequest(
                    p.controller,
                    p.set_oid,
                    p.request_files,
                    p.expected_head,
                    f"store document {p.document_oid} version {p.version}",
                    actor,
                )
                for p in chunk
            ]
            store.commit_many(requests)
            index.add_many(p.meta for p in chunk)
            progress(len(chunk))
