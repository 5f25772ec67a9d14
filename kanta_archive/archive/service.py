"""The archive service: validated documents into the OCFL store, then into the index.

The store is the truth. Every write goes to the store first (durable when the store call
returns) and then to the index; an index that falls behind (a crash in between, a deleted
index file) is found by :meth:`Archive.verify` and rebuilt by :meth:`Archive.reindex` from
the ``metadata.json`` files alone.

One OCFL object per document set (object id = set OID), in the storage root of the set's
controller. Each OCFL version holds the submitted document byte for byte
(``document.json`` / ``document.xhtml``) and ``metadata.json`` (see
:mod:`kanta_archive.archive.metadata_file`). A new document version is a new OCFL version;
invalidation and controller transfer also add an OCFL version (same document bytes, new
``metadata.json``).
"""

from __future__ import annotations

import getpass
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Self

from kanta_archive.archive import metadata_file as mf
from kanta_archive.archive.export import export_object
from kanta_archive.errors import RefusedError, StoreError, UsageError
from kanta_archive.findings import Finding, Severity, ValidationResult
from kanta_archive.formats.read import read_bytes, read_path
from kanta_archive.index import Index, Query, QueryResult, open_index
from kanta_archive.model import Document, Metadata
from kanta_archive.store import MAX_BATCH, CommitRequest, Problem, Store
from kanta_archive.store.layout import check_oid

INDEX_FILE = "index.sqlite"
Status = Literal["stored", "unchanged", "refused"]
Progress = Callable[[int], None]


def _noop(_n: int) -> None:
    return None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def default_actor() -> str:
    """Who is acting when the caller does not say: ``$KANTA_ARCHIVE_ACTOR`` or the login."""
    actor = os.environ.get("KANTA_ARCHIVE_ACTOR")
    if actor:
        return actor
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def default_index_url(store_path: str | os.PathLike[str]) -> str:
    """``sqlite://<absolute store path>/index.sqlite``."""
    return "sqlite://" + str(Path(store_path).absolute() / INDEX_FILE)


# ---------------------------------------------------------------------- results


@dataclass(frozen=True)
class IngestItem:
    """What happened to one submitted document."""

    source: str
    status: Status
    document_oid: str | None
    set_oid: str | None
    version: int | None
    controller_oid: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class IngestReport:
    """The outcome of :meth:`Archive.ingest`: one item per input, in input order, and the
    validation results of the invalid inputs (for a findings reporter)."""

    items: tuple[IngestItem, ...]
    invalid: tuple[ValidationResult, ...] = ()

    def count(self, status: Status) -> int:
        """How many items have ``status``."""
        return sum(1 for item in self.items if item.status == status)

    @property
    def ok(self) -> bool:
        """True when nothing was refused."""
        return self.count("refused") == 0


@dataclass(frozen=True)
class ShownDocument:
    """One document version as the archive holds it now."""

    set_oid: str
    document_oid: str
    version: int
    ocfl_version: int
    controller_oid: str
    storage_format: str
    metadata: Mapping[str, Any]
    raw: bytes

    def content(self) -> Mapping[str, Any]:
        """The parsed document model (``{"metadata", "content"}`` of the submitted bytes)."""
        outcome = read_bytes(self.raw, mf.document_file(self.storage_format))
        if outcome.document is None:
            raise StoreError(f"stored document {self.document_oid} can no longer be read")
        return outcome.document.as_json_object()


@dataclass(frozen=True)
class HistoryEntry:
    """One OCFL version of a document set, and what it changed."""

    ocfl_version: int
    time: str
    actor: str
    event: str  # "stored", "invalidated", "controller-transferred", "metadata-changed"
    document_oid: str | None
    version: int | None
    status: str | None
    controller_oid: str | None
    reason: str | None
    message: str
    changes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TransferReport:
    """The outcome of :meth:`Archive.transfer_controller`."""

    from_controller: str
    to_controller: str
    moved: tuple[str, ...]  # set OIDs moved by this run
    resumed: tuple[str, ...]  # sets that had their new version already (interrupted run)


@dataclass(frozen=True)
class VerifyProblem:
    """Something :meth:`Archive.verify` found. ``object`` is ``<controller>/<set OID>``."""

    severity: str
    code: str
    object: str | None
    path: str | None
    message: str


@dataclass(frozen=True)
class VerifyReport:
    """Store problems plus index-vs-store problems."""

    objects: int
    index_rows: int
    problems: tuple[VerifyProblem, ...]

    @property
    def ok(self) -> bool:
        """True when no problem is an error."""
        return not any(p.severity == "error" for p in self.problems)


# ---------------------------------------------------------------------- internals


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


class Archive:
    """A kanta-archive store and its index. Use :meth:`open`; close with :meth:`close`."""

    def __init__(self, store: Store, index: Index, validator: Any = None) -> None:
        self.store = store
        self.index = index
        self._validator = validator

    @classmethod
    def open(
        cls,
        store_path: str | os.PathLike[str],
        index_url: str | None = None,
        create: bool = False,
        *,
        validator: Any = None,
    ) -> Archive:
        """Open the store at ``store_path`` (``create=True`` makes a new one) and its index
        (default ``sqlite://<store>/index.sqlite``). A directory that is not a store raises
        :class:`StoreError`. ``validator`` is a :class:`kanta_archive.validate.Validator`
        (default: the bundled schemas)."""
        store = Store.open(store_path, create=create)
        index = open_index(index_url or default_index_url(store.path))
        return cls(store, index, validator)

    def close(self) -> None:
        """Close the index."""
        self.index.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def validator(self) -> Any:
        """The validator used by :meth:`ingest` (built on first use)."""
        if self._validator is None:
            from kanta_archive.validate import Validator

            self._validator = Validator()
        return self._validator

    # ------------------------------------------------------------------ reading helpers

    def _read_metadata(self, controller: str, set_oid: str, ocfl_version: int) -> dict[str, Any]:
        data = self.store.read(controller, set_oid, mf.METADATA_FILE, ocfl_version)
        return mf.load(data, f"object {set_oid} in controller {controller} v{ocfl_version}")

    def _locate_set(self, set_oid: str) -> str:
        check_oid(set_oid, "document set OID")
        controller = self.store.find_object(set_oid)
        if controller is None:
            raise UsageError(f"no document set {set_oid} in the store")
        return controller

    def _version_metadata(self, controller: str, set_oid: str) -> list[dict[str, Any]]:
        head = self.store.head(controller, set_oid)
        return [self._read_metadata(controller, set_oid, n) for n in range(1, head + 1)]

    def _load_state(self, set_oid: str) -> _SetState:
        controller = self.store.find_object(set_oid)
        if controller is None:
            return _SetState(None, 0, 0, None, None)
        head = self.store.head(controller, set_oid)
        meta = self._read_metadata(controller, set_oid, head)
        version = meta.get("version")
        return _SetState(
            controller,
            head,
            version if isinstance(version, int) else 0,
            meta.get("document_oid"),
            meta.get("status"),
        )

    def _known(self, state: _SetState, set_oid: str) -> dict[str, tuple[int, str]]:
        if state.known is None:
            state.known = {}
            if state.controller is not None:
                for number, meta in enumerate(
                    self._version_metadata(state.controller, set_oid), start=1
                ):
                    oid = meta.get("document_oid")
                    if isinstance(oid, str):
                        state.known[oid] = (number, str(meta.get("storage_format", "json")))
        return state.known

    # ------------------------------------------------------------------ ingest

    def _read_and_validate(
        self, inputs: Iterable[Path | Document], progress: Progress
    ) -> tuple[list[_Candidate], list[tuple[int, ValidationResult]]]:
        validator = self.validator
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
                outcome = read_path(Path(item), max_bytes=validator.max_bytes)
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

    def ingest(
        self,
        documents: Iterable[Path | Document],
        *,
        partial: bool = False,
        actor: str | None = None,
        progress: Progress | None = None,
        authorize: Callable[[Metadata], str | None] | None = None,
    ) -> IngestReport:
        """Validate every input first (files or read documents); store the valid ones.

        If any input is invalid nothing is stored (every item is ``refused``) unless
        ``partial``. A stored document must be version 1 of a new set, or the next version
        of a stored set naming the stored head as its previous version; an identical
        re-submission (same bytes, or the same document in the other storage format) is
        ``unchanged``; anything else is ``refused`` with the reason. ``progress`` is called
        with the number of inputs done (once for validation, once for storing).

        ``authorize`` (access control, see :mod:`kanta_archive.access`) is called with the
        metadata of each valid document and returns ``None`` or the reason it is refused;
        a refused document counts like an invalid one (nothing is stored unless
        ``partial``)."""
        progress = progress or _noop
        actor = actor or default_actor()
        good, bad = self._read_and_validate(documents, progress)
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
                    items[cand.position] = self._item(cand, "refused", denied)
            if len(allowed) < len(good) and not partial:
                for cand in allowed:
                    items[cand.position] = self._item(
                        cand, "refused", "not stored: other documents in the batch are refused"
                    )
                progress(len(good))
                return self._report(items, bad)
            good = allowed
        if bad and not partial:
            for cand in good:
                items[cand.position] = self._item(
                    cand, "refused", "not stored: other documents in the batch are invalid"
                )
            progress(len(good))
            return self._report(items, bad)
        plans = self._plan(good, items)
        self._commit_plans(plans, actor, progress)
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
        return self._report(items, bad)

    @staticmethod
    def _report(
        items: dict[int, IngestItem], bad: list[tuple[int, ValidationResult]]
    ) -> IngestReport:
        return IngestReport(
            tuple(items[k] for k in sorted(items)), tuple(result for _p, result in bad)
        )

    @staticmethod
    def _item(cand: _Candidate, status: Status, reason: str | None = None) -> IngestItem:
        meta = cand.meta
        return IngestItem(
            cand.source,
            status,
            meta.document_oid,
            meta.set_oid,
            meta.version,
            meta.controller_oid,
            reason,
        )

    def _plan(self, good: list[_Candidate], items: dict[int, IngestItem]) -> list[_Planned]:
        by_set: dict[str, list[_Candidate]] = defaultdict(list)
        for cand in good:
            assert cand.meta.set_oid is not None  # valid documents have one
            by_set[cand.meta.set_oid].append(cand)
        plans: list[_Planned] = []
        for set_oid, cands in by_set.items():
            cands.sort(key=lambda c: (c.meta.version or 0, c.source))
            state = self._load_state(set_oid)
            for cand in cands:
                status, reason = self._decide(set_oid, cand, state)
                if status != "stored":
                    items[cand.position] = self._item(cand, status, reason)
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

    def _decide(self, set_oid: str, cand: _Candidate, state: _SetState) -> tuple[Status, str]:
        meta = cand.meta
        oid = meta.document_oid
        assert oid is not None
        if oid in state.pending:
            if _same_document(state.pending[oid], cand.document):
                return "unchanged", "same document earlier in this batch"
            return "refused", f"document {oid} appears twice in the batch with different content"
        if meta.version is not None and meta.version <= state.doc_version:
            known = self._known(state, set_oid)
            if oid in known:
                assert state.controller is not None
                number, fmt = known[oid]
                stored_raw = self.store.read(
                    state.controller, set_oid, mf.document_file(fmt), number
                )
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

    def _commit_plans(self, plans: list[_Planned], actor: str, progress: Progress) -> None:
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
                self.store.commit_many(requests)
                self.index.add_many(p.meta for p in chunk)
                progress(len(chunk))

    # ------------------------------------------------------------------ query / show / history

    def query(self, q: Query) -> QueryResult:
        """Run a query on the index."""
        return self.index.query(q)

    def resolve(self, oid: str) -> tuple[str, str, str | None]:
        """``(controller, set OID, document OID or None)`` for a document or set OID."""
        check_oid(oid, "OID")
        row = self.index.get(oid)
        if row is not None:
            controller = self.store.find_object(row.set_oid)
            if controller is not None:
                return controller, row.set_oid, oid
        controller = self.store.find_object(oid)
        if controller is not None:
            return controller, oid, None
        if "." in oid:  # document OIDs are usually <set OID>.<n>: look there
            parent = oid.rsplit(".", 1)[0]
            controller = self.store.find_object(parent)
            if controller is not None:
                return controller, parent, oid
        raise UsageError(f"no document or document set {oid} in the store")

    def show(self, oid: str, version: int | None = None) -> ShownDocument:
        """A document version: ``oid`` is a document OID (that version) or a set OID (its
        current version, or document ``version``)."""
        controller, set_oid, document_oid = self.resolve(oid)
        metas = self._version_metadata(controller, set_oid)
        chosen: int | None = None
        for number, meta in enumerate(metas, start=1):
            if document_oid is not None and meta.get("document_oid") != document_oid:
                continue
            if version is not None and meta.get("version") != version:
                continue
            chosen = number
        if chosen is None:
            what = f"document {document_oid}" if document_oid else f"set {set_oid}"
            if version is not None:
                what += f" version {version}"
            raise UsageError(f"no {what} in the store")
        meta = metas[chosen - 1]
        fmt = str(meta.get("storage_format", "json"))
        raw = self.store.read(controller, set_oid, mf.document_file(fmt), chosen)
        return ShownDocument(
            set_oid,
            str(meta.get("document_oid")),
            int(meta.get("version") or 0),
            chosen,
            controller,
            fmt,
            meta,
            raw,
        )

    def history(self, oid: str) -> list[HistoryEntry]:
        """Every OCFL version of the set that ``oid`` (set or document OID) belongs to."""
        controller, set_oid, _doc = self.resolve(oid)
        infos = self.store.versions(controller, set_oid)
        metas = self._version_metadata(controller, set_oid)
        entries: list[HistoryEntry] = []
        previous: Mapping[str, Any] = {}
        for info, meta in zip(infos, metas, strict=True):
            event, reason, changes = _diff(previous, meta)
            controller_oid = (meta.get("controller") or {}).get("oid")
            entries.append(
                HistoryEntry(
                    info.number,
                    info.created.isoformat().replace("+00:00", "Z"),
                    info.user_name,
                    event,
                    meta.get("document_oid"),
                    meta.get("version"),
                    meta.get("status"),
                    controller_oid,
                    reason,
                    info.message,
                    changes,
                )
            )
            previous = meta
        return entries

    # ------------------------------------------------------------------ changes

    def invalidate(self, oid: str, reason: str, *, actor: str | None = None) -> ShownDocument:
        """Invalidate the current version of a set (``oid``: set OID or the current
        version's document OID). Adds an OCFL version; the document bytes stay."""
        if not reason or not reason.strip():
            raise UsageError("invalidation needs a reason")
        actor = actor or default_actor()
        controller, set_oid, document_oid = self.resolve(oid)
        head = self.store.head(controller, set_oid)
        meta = self._read_metadata(controller, set_oid, head)
        if document_oid is not None and meta.get("document_oid") != document_oid:
            raise RefusedError(
                f"document {document_oid} is not the current version of set {set_oid} "
                f"(current: {meta.get('document_oid')}); only the current version can be "
                "invalidated"
            )
        if meta.get("status") == "invalidated":
            raise RefusedError(f"document {meta.get('document_oid')} is already invalidated")
        new = mf.invalidated(meta, reason=reason, time=_now(), actor=actor)
        fmt = str(meta.get("storage_format", "json"))
        raw = self.store.read(controller, set_oid, mf.document_file(fmt), head)
        self.store.commit(
            controller,
            set_oid,
            {mf.document_file(fmt): raw, mf.METADATA_FILE: mf.dump(new)},
            expected_head=head,
            message=f"invalidate document {new.get('document_oid')}: {reason}",
            user_name=actor,
        )
        self.index.add(Metadata.from_raw(new), is_head=True)
        return self.show(set_oid)

    def transfer_controller(
        self,
        from_controller: str,
        to_controller: str,
        reason: str,
        *,
        actor: str | None = None,
        progress: Progress | None = None,
    ) -> TransferReport:
        """Give every document set of ``from_controller`` to ``to_controller``: a new
        version with the new controller in ``metadata.json`` (and a ``controller_history``
        entry), then a move into the new controller's storage root. Safe to re-run after an
        interruption: a set that already has its transfer version is only moved."""
        check_oid(from_controller, "controller OID")
        check_oid(to_controller, "controller OID")
        if from_controller == to_controller:
            raise UsageError("--from and --to name the same controller")
        if not reason or not reason.strip():
            raise UsageError("a controller transfer needs a reason")
        progress = progress or _noop
        actor = actor or default_actor()
        moved: list[str] = []
        resumed: list[str] = []
        sets = sorted(s for c, s in self.store.iter_objects() if c == from_controller)
        for start in range(0, len(sets), MAX_BATCH):
            chunk = sets[start : start + MAX_BATCH]
            requests: list[CommitRequest] = []
            heads: list[Metadata] = []
            for set_oid in chunk:
                head = self.store.head(from_controller, set_oid)
                meta = self._read_metadata(from_controller, set_oid, head)
                if (meta.get("controller") or {}).get("oid") == to_controller:
                    resumed.append(set_oid)
                    heads.append(Metadata.from_raw(meta))
                    continue
                new = mf.transferred(
                    meta, to=to_controller, reason=reason, time=_now(), actor=actor
                )
                fmt = str(meta.get("storage_format", "json"))
                raw = self.store.read(from_controller, set_oid, mf.document_file(fmt), head)
                requests.append(
                    CommitRequest(
                        from_controller,
                        set_oid,
                        {mf.document_file(fmt): raw, mf.METADATA_FILE: mf.dump(new)},
                        head,
                        f"transfer controller {from_controller} -> {to_controller}: {reason}",
                        actor,
                    )
                )
                heads.append(Metadata.from_raw(new))
            self.store.commit_many(requests)
            for set_oid in chunk:
                self.store.move_object(set_oid, from_controller, to_controller)
                moved.append(set_oid)
            self.index.add_many(heads)
            progress(len(chunk))
        return TransferReport(from_controller, to_controller, tuple(moved), tuple(resumed))

    # ------------------------------------------------------------------ fixity

    def _walk_objects(self) -> Iterator[tuple[str, str | None, str]]:
        """(controller, set OID or None, object key) for every object directory, without
        trusting inventories (a broken one must not stop verification)."""
        return self.store.scan_objects()

    def _head_metadata(self) -> Iterator[tuple[str, str, dict[str, Any] | None, str | None]]:
        for controller, set_oid, object_key in self._walk_objects():
            if set_oid is None:
                continue  # reported by Store.verify
            try:
                head = self.store.head(controller, set_oid)
                yield controller, set_oid, self._read_metadata(controller, set_oid, head), None
            except (StoreError, UsageError, KeyError, TypeError) as exc:
                yield controller, set_oid, None, f"{object_key}: {exc}"

    def _index_heads(self) -> Iterator[Any]:
        offset = 0
        page = 10_000
        while True:
            result = self.index.query(
                Query(
                    include_invalidated=True,
                    patient_data=None,
                    sort="document_oid",
                    limit=page,
                    offset=offset,
                )
            )
            yield from result.rows
            if len(result.rows) < page:
                return
            offset += page

    def verify(self, full: bool = False, *, progress: Progress | None = None) -> VerifyReport:
        """Check the store (:meth:`Store.verify`; ``full`` also checks every digest) and the
        index against the store heads. Changes nothing."""
        progress = progress or _noop
        problems = [_from_store(p) for p in self.store.verify(full)]
        heads: dict[str, tuple[str, dict[str, Any]]] = {}
        objects = 0
        for controller, set_oid, meta, error in self._head_metadata():
            objects += 1
            progress(1)
            label = f"{controller}/{set_oid}"
            heads[set_oid] = (controller, meta or {})
            if meta is None:
                problems.append(VerifyProblem("error", "metadata", label, None, str(error)))
                continue
            row = self.index.get(str(meta.get("document_oid")))
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
            if row.status != meta.get("status") or row.controller_oid != controller_oid:
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
        for row in self._index_heads():
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

    def repair(self, *, progress: Progress | None = None) -> list[str]:
        """Finish or undo work interrupted by a crash, then rebuild the index.

        Runs the store's recovery (leftover workspaces, half-placed versions, stale
        sidecars; each object under its lock), then :meth:`reindex`, because a crash
        between the store commit and the index update leaves the index behind.
        Returns what the recovery did. Nothing acknowledged is ever removed.
        """
        actions = self.store.recover()
        self.reindex(progress=progress)
        return actions

    def reindex(self, *, progress: Progress | None = None) -> int:
        """Rebuild the index from the ``metadata.json`` of every version in the store;
        returns the number of document versions indexed."""
        progress = progress or _noop
        self.index.clear()
        total = 0
        batch: list[Metadata] = []
        for controller, set_oid in self.store.iter_objects():
            latest: dict[str, dict[str, Any]] = {}
            for meta in self._version_metadata(controller, set_oid):
                latest[str(meta.get("document_oid"))] = meta  # later views win
            batch.extend(Metadata.from_raw(m) for m in latest.values())
            progress(1)
            if len(batch) >= 5000:
                total += self.index.add_many(batch)
                batch = []
        if batch:
            total += self.index.add_many(batch)
        return total

    def export(self, set_oid: str, to: str | os.PathLike[str]) -> Path:
        """Copy the set's OCFL object (every version) to ``to``, checked against its
        inventory. ``to`` must not exist or be empty."""
        controller = self._locate_set(set_oid)
        return export_object(self.store, controller, set_oid, Path(to))

    def object_count(self) -> int:
        """How many document sets the store holds."""
        return sum(1 for _ in self._walk_objects())


def _from_store(problem: Problem) -> VerifyProblem:
    return VerifyProblem(
        problem.severity, problem.code, problem.object, problem.path, problem.message
    )


def _diff(
    previous: Mapping[str, Any], meta: Mapping[str, Any]
) -> tuple[str, str | None, dict[str, Any]]:
    if not previous or previous.get("document_oid") != meta.get("document_oid"):
        return "stored", None, {}
    changes = {
        key: {"from": previous.get(key), "to": meta.get(key)}
        for key in sorted(set(previous) | set(meta))
        if previous.get(key) != meta.get(key)
    }
    if meta.get("status") == "invalidated" and previous.get("status") != "invalidated":
        invalidation = meta.get("invalidation") or {}
        return "invalidated", invalidation.get("reason"), changes
    old = (previous.get("controller") or {}).get("oid")
    new = (meta.get("controller") or {}).get("oid")
    if old != new:
        history = meta.get("controller_history") or [{}]
        return "controller-transferred", history[-1].get("reason"), changes
    return "metadata-changed", None, changes


__all__ = [
    "Archive",
    "HistoryEntry",
    "IngestItem",
    "IngestReport",
    "ShownDocument",
    "TransferReport",
    "VerifyProblem",
    "VerifyReport",
    "default_actor",
    "default_index_url",
]


def ingest_paths(paths: Sequence[Path]) -> list[Path]:
    """The document files under ``paths`` (folders searched recursively, sorted)."""
    from kanta_archive.validate import iter_inputs

    return list(iter_inputs(list(paths)))
