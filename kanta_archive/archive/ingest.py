"""Ingest: validate a batch, decide what each valid document is, store the new versions.

The whole batch is read and validated first. Then every valid document is judged against
what the store holds for its set (:func:`_decide`): version 1 of a new set, or the next
version naming the stored head; an identical re-submission is ``unchanged``; anything else
is ``refused`` with the reason. The new versions are committed round by round (round k holds
the k-th new version of every set) and then indexed.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kanta_archive.archive import metadata_file as mf
from kanta_archive.archive.reading import find_set, read_metadata, version_metadata
from kanta_archive.archive.results import (
    IngestItem,
    IngestReport,
    Progress,
    Refusal,
    Status,
    no_progress,
)
from kanta_archive.errors import ConflictError
from kanta_archive.findings import Finding, Severity, ValidationResult
from kanta_archive.formats.read import read_bytes, read_path
from kanta_archive.index import Index
from kanta_archive.model import Document, Metadata
from kanta_archive.store import MAX_BATCH, CommitRequest, Store

Authorize = Callable[[Metadata], Refusal | None]
#: above this many files a batch is archived in chunks of this many (bounded memory: about
#: 25 KB per document in a chunk, instead of per document in the batch).
CHUNK = 1000


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
    # document OID -> its latest metadata.json in the store; filled with ``known``
    stored: dict[str, dict[str, Any]] = field(default_factory=dict)
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
    items: dict[int, IngestItem] = {position: _invalid_item(result) for position, result in bad}
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
    stored = _store(store, index, good, items, actor, progress)
    progress(len(good) - stored)
    return _report(items, bad)


def _store(
    store: Store,
    index: Index,
    good: list[_Candidate],
    items: dict[int, IngestItem],
    actor: str,
    progress: Progress,
) -> int:
    """Plan, commit and index valid candidates; fill their items; return how many plans."""
    unchanged: dict[str, _SetState] = {}
    plans = _plan(store, index, good, items, unchanged)
    _index_unchanged(index, unchanged)
    lost = _commit_plans(store, index, plans, actor, progress)
    for plan in plans:
        status: Status = "stored"
        reason: str | None = None
        if plan.position in lost:
            status, reason = lost[plan.position]
        items[plan.position] = IngestItem(
            plan.source,
            status,
            plan.document_oid,
            plan.set_oid,
            plan.version,
            plan.controller,
            reason,
        )
    return len(plans)


def _read_and_validate(
    validator: Any, inputs: Iterable[Path | Document], progress: Progress
) -> tuple[list[_Candidate], list[tuple[int, ValidationResult]]]:
    good: list[_Candidate] = []
    bad: list[tuple[int, ValidationResult]] = []
    for position, item in enumerate(inputs):
        cand, result = _check(validator, position, item)
        if cand is None:
            bad.append((position, result))
        else:
            good.append(cand)
        progress(1)
    return good, bad


def _check(
    validator: Any, position: int, item: Path | Document
) -> tuple[_Candidate | None, ValidationResult]:
    """Read (a file) and validate one input: a candidate when it is valid."""
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
        return None, result
    return _Candidate(position, source, document, meta), result


def ingest_in_chunks(
    store: Store,
    index: Index,
    validator: Any,
    paths: Sequence[Path],
    *,
    chunk: int,
    partial: bool,
    actor: str,
    progress: Progress,
    authorize: Authorize | None = None,
) -> IngestReport:
    """:func:`ingest` of many files in bounded memory, committing ``chunk`` at a time.

    Two passes over the files. The first validates (and authorises) every input and keeps
    only the findings of the invalid ones and a small record of the valid ones, so that
    the rule holds as for a small batch: one invalid or refused document and nothing is
    stored, unless ``partial``. The second reads the valid ones again, ``chunk`` at a
    time, lowest document version first (so a set's versions land in order whatever the
    file names), plans, commits and indexes each chunk. A file that changed between the
    passes is refused alone (its bytes are compared with those validated). Memory holds one
    chunk of documents plus about a hundred bytes per input.
    """
    items: dict[int, IngestItem] = {}
    bad: list[tuple[int, ValidationResult]] = []
    order: list[tuple[int, int]] = []  # (document version, position) of the valid ones
    digests: dict[int, bytes] = {}  # position -> SHA-256 of the bytes that were validated
    denied = 0
    for position, path in enumerate(paths):
        cand, result = _check(validator, position, path)
        progress(1)
        if cand is None:
            bad.append((position, result))
            items[position] = _invalid_item(result)
            continue
        refusal = authorize(cand.meta) if authorize is not None else None
        if refusal is not None:
            items[position] = _item(cand, "refused", str(refusal), refusal.rule)
            denied += 1
            continue
        items[position] = _item(cand, "refused", "not stored")  # until stored
        order.append((cand.meta.version or 0, position))
        digests[position] = hashlib.sha256(cand.document.raw).digest()
    if (bad or denied) and not partial:
        why = "invalid" if bad else "refused"
        for _version, position in order:
            items[position] = dataclasses.replace(
                items[position], reason=f"not stored: other documents in the batch are {why}"
            )
        progress(len(order))
        return _report(items, bad)
    order.sort()
    for start in range(0, len(order), chunk):
        positions = [position for _version, position in order[start : start + chunk]]
        good: list[_Candidate] = []
        for position in positions:
            cand = _reread(validator, position, paths[position], digests[position])
            if cand is None:
                items[position] = dataclasses.replace(
                    items[position], reason="not stored: the file changed while archiving"
                )
                continue
            good.append(cand)
        _store(store, index, good, items, actor, no_progress)
        progress(len(positions))
    return _report(items, bad)


def _reread(validator: Any, position: int, path: Path, digest: bytes) -> _Candidate | None:
    """The document validated in the first pass, read again; ``None`` if its bytes changed.

    The same bytes were validated already: reading them is enough (validating again would
    cost as much as the first pass).
    """
    outcome = read_path(path, max_bytes=validator.max_bytes, limits=validator.limits)
    document = outcome.document
    if document is None or hashlib.sha256(document.raw).digest() != digest:
        return None
    return _Candidate(position, str(path), document, document.metadata)


def _invalid_item(result: ValidationResult) -> IngestItem:
    errors = sum(1 for f in result.findings if f.severity is Severity.ERROR)
    return IngestItem(
        result.source,
        "refused",
        result.document_oid,
        None,
        None,
        reason=f"invalid: {errors} error finding(s)",
    )


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


def _load_state(store: Store, index: Index, set_oid: str) -> _SetState:
    controller = find_set(store, index, set_oid)
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
                    state.stored[oid] = meta
    return state.known


def _index_unchanged(index: Index, unchanged: Mapping[str, _SetState]) -> None:
    """Index again the sets of documents found already stored.

    A crash between a store commit and its index update leaves the document stored but
    not indexed; the re-run finds it "unchanged" and must not leave it out of queries.
    What is indexed is what the store holds (the latest metadata of every document of the
    set, e.g. an invalidation since), never the re-submitted copy.
    """
    metas = [
        Metadata.from_raw(meta)
        for set_oid in sorted(unchanged)
        for meta in unchanged[set_oid].stored.values()
    ]
    if metas:
        index.add_many(metas)


def _plan(
    store: Store,
    index: Index,
    good: list[_Candidate],
    items: dict[int, IngestItem],
    unchanged: dict[str, _SetState],
) -> list[_Planned]:
    """The new versions to store; fills ``unchanged`` with the states of the sets that
    have a submitted document already stored."""
    by_set: dict[str, list[_Candidate]] = defaultdict(list)
    for cand in good:
        assert cand.meta.set_oid is not None  # valid documents have one
        by_set[cand.meta.set_oid].append(cand)
    plans: list[_Planned] = []
    for set_oid, cands in by_set.items():
        cands.sort(key=lambda c: (c.meta.version or 0, c.source))
        state = _load_state(store, index, set_oid)
        for cand in cands:
            status, reason = _decide(store, set_oid, cand, state)
            if status == "unchanged" and cand.meta.document_oid in state.stored:
                unchanged[set_oid] = state
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
) -> dict[int, tuple[Status, str]]:
    """Commit the planned versions in chunks; index each chunk once it is stored.

    Another writer (process or host) may store a version of a set between planning and
    committing. That costs only the documents of that set: they are reported ("unchanged"
    when the other writer stored this very document, else "refused"), and the batch goes
    on. Returns the outcome of every plan that was not stored, by position.
    """
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
    lost: dict[int, tuple[Status, str]] = {}
    failed: dict[str, str] = {}  # set OID -> why its later versions are not stored either
    for batch in rounds:
        for start in range(0, len(batch), MAX_BATCH):
            chunk = []
            for plan in batch[start : start + MAX_BATCH]:
                if plan.set_oid in failed:
                    lost[plan.position] = ("refused", f"not stored: {failed[plan.set_oid]}")
                else:
                    chunk.append(plan)
            committed = _commit_chunk(store, index, chunk, actor, lost, failed)
            index.add_many(p.meta for p in committed)
            progress(len(batch[start : start + MAX_BATCH]))
    return lost


def _request(plan: _Planned, actor: str) -> CommitRequest:
    return CommitRequest(
        plan.controller,
        plan.set_oid,
        plan.request_files,
        plan.expected_head,
        f"store document {plan.document_oid} version {plan.version}",
        actor,
    )


def _commit_chunk(
    store: Store,
    index: Index,
    chunk: list[_Planned],
    actor: str,
    lost: dict[int, tuple[Status, str]],
    failed: dict[str, str],
) -> list[_Planned]:
    """Commit a chunk in one call; on a conflict, one object at a time. Returns what was
    stored; records in ``lost`` and ``failed`` what another writer got to first."""
    try:
        store.commit_many([_request(p, actor) for p in chunk])
        return chunk
    except ConflictError:
        pass  # someone else wrote one of these sets meanwhile: find which, keep the rest
    committed = []
    for plan in chunk:
        try:
            store.commit_many([_request(plan, actor)])
        except ConflictError as exc:
            status, reason = _after_conflict(store, index, plan, exc)
            lost[plan.position] = (status, reason)
            # When the other writer stored this very version, the set's later versions
            # follow it as they would have followed ours; any other conflict stops them.
            if status != "unchanged":
                failed[plan.set_oid] = f"an earlier version of set {plan.set_oid} was not stored"
            continue
        committed.append(plan)
    return committed


def _after_conflict(
    store: Store, index: Index, plan: _Planned, exc: ConflictError
) -> tuple[Status, str]:
    """What a conflict means for one document: did the other writer store this very one?"""
    state = _load_state(store, index, plan.set_oid)
    known = _known(store, state, plan.set_oid)
    if plan.document_oid in known and state.controller is not None:
        number, fmt = known[plan.document_oid]
        stored = store.read(state.controller, plan.set_oid, mf.document_file(fmt), number)
        if stored == plan.request_files.get(mf.document_file(fmt)):
            index.add_many(Metadata.from_raw(m) for m in state.stored.values())
            return "unchanged", "stored by another writer meanwhile"
    return (
        "refused",
        f"conflict: set {plan.set_oid} was changed by another writer meanwhile ({exc})",
    )
