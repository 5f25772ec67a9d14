"""Fixity: check the store and the index against each other, repair after a crash, and
rebuild the index from the store's ``metadata.json`` files alone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kanta_archive.archive.reading import read_metadata, version_metadata
from kanta_archive.archive.results import Progress, ReindexReport, VerifyProblem, VerifyReport
from kanta_archive.errors import StoreError, UsageError
from kanta_archive.index import Index, IndexRow, Query
from kanta_archive.model import Metadata
from kanta_archive.store import Problem, Store

_INDEX_PAGE = 10_000
_REINDEX_BATCH = 5000


def walk_objects(store: Store) -> Iterator[tuple[str, str | None, str]]:
    """(controller, set OID or None, object key) for every object directory, without
    trusting inventories (a broken one must not stop verification)."""
    return store.scan_objects()


def object_count(store: Store) -> int:
    """How many document sets the store holds."""
    return sum(1 for _ in walk_objects(store))


def _head_metadata(
    store: Store,
) -> Iterator[tuple[str, str, dict[str, Any] | None, str | None]]:
    for controller, set_oid, object_key in walk_objects(store):
        if set_oid is None:
            continue  # reported by Store.verify
        try:
            head = store.head(controller, set_oid)
            yield controller, set_oid, read_metadata(store, controller, set_oid, head), None
        except (StoreError, UsageError, KeyError, TypeError) as exc:
            yield controller, set_oid, None, f"{object_key}: {exc}"


def _index_heads(index: Index) -> Iterator[IndexRow]:
    offset = 0
    while True:
        result = index.query(
            Query(
                include_invalidated=True,
                patient_data=None,
                sort="document_oid",
                limit=_INDEX_PAGE,
                offset=offset,
            )
        )
        yield from result.rows
        if len(result.rows) < _INDEX_PAGE:
            return
        offset += _INDEX_PAGE


def verify(store: Store, index: Index, full: bool, progress: Progress) -> VerifyReport:
    """See :meth:`kanta_archive.archive.Archive.verify`."""
    problems = [_from_store(p) for p in store.verify(full)]
    heads: dict[str, tuple[str, dict[str, Any]]] = {}
    objects = 0
    for controller, set_oid, meta, error in _head_metadata(store):
        objects += 1
        progress(1)
        label = f"{controller}/{set_oid}"
        heads[set_oid] = (controller, meta or {})
        if meta is None:
            problems.append(VerifyProblem("error", "metadata", label, None, str(error)))
            continue
        row = index.get(str(meta.get("document_oid")))
        if row is None or not row.is_head:
            problems.append(
                VerifyProblem(
                    "error",
                    "index-missing",
                    label,
                    None,
                    f"current version {meta.get('document_oid')} is not in the index "
                    "(run 'kanta-archive reindex')",
                )
            )
            continue
        controller_oid = (meta.get("controller") or {}).get("oid")
        if row.status != meta.get("status", "active") or row.controller_oid != controller_oid:
            problems.append(
                VerifyProblem(
                    "error",
                    "index-stale",
                    label,
                    None,
                    f"index row of {row.document_oid} differs from metadata.json "
                    f"(status {row.status}/{meta.get('status')}, controller "
                    f"{row.controller_oid}/{controller_oid}; run 'kanta-archive reindex')",
                )
            )
    rows = 0
    for row in _index_heads(index):
        rows += 1
        if row.set_oid not in heads:
            problems.append(
                VerifyProblem(
                    "error",
                    "index-orphan",
                    row.set_oid,
                    None,
                    f"index row {row.document_oid} has no document set in the store "
                    "(run 'kanta-archive reindex')",
                )
            )
    return VerifyReport(objects, rows, tuple(problems))


def reindex(store: Store, index: Index, progress: Progress) -> ReindexReport:
    """See :meth:`kanta_archive.archive.Archive.reindex`."""
    problems: list[VerifyProblem] = []
    unreadable: list[str] = []
    total = 0
    with index.rebuild() as build:
        batch: list[Metadata] = []
        for controller, set_oid, where in walk_objects(store):
            progress(1)
            if set_oid is None:
                problems.append(
                    VerifyProblem("error", "unreadable", None, where, "not an object of a set OID")
                )
                continue
            try:
                metas = set_metadata(store, controller, set_oid)
            except (StoreError, UsageError, KeyError, TypeError, ValueError) as exc:
                problems.append(
                    VerifyProblem("error", "unreadable", f"{controller}/{set_oid}", where, str(exc))
                )
                unreadable.append(set_oid)
                continue
            batch.extend(metas)
            if len(batch) >= _REINDEX_BATCH:
                total += build.add_many(batch)
                batch = []
        if batch:
            total += build.add_many(batch)
        kept = build.keep(unreadable)
    return ReindexReport(versions=total, kept=kept, problems=tuple(problems))


def set_metadata(store: Store, controller: str, set_oid: str) -> list[Metadata]:
    """What the index holds for one set: the latest metadata of each of its documents."""
    latest: dict[str, dict[str, Any]] = {}
    for meta in version_metadata(store, controller, set_oid):
        latest[str(meta.get("document_oid"))] = meta  # later views win
    metas = [Metadata.from_raw(m) for m in latest.values()]
    for view in metas:
        if not view.document_oid or view.set_oid != set_oid or not isinstance(view.version, int):
            raise StoreError(
                f"metadata.json of {view.document_oid} names set {view.set_oid!r} and"
                f" version {view.version!r}: it cannot be indexed"
            )
    return metas


def _from_store(problem: Problem) -> VerifyProblem:
    return VerifyProblem(
        problem.severity, problem.code, problem.object, problem.path, problem.message
    )
