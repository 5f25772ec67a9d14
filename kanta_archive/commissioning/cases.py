"""The cases of a commissioning test: each checks one thing the archive must do with the
documents of the tested folder, on the scratch store the runner filled.

A case never raises: an archive error inside it fails the case (:func:`_guard`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Final

from kanta_archive.archive import Archive
from kanta_archive.commissioning.plan import Plan, StructureRequirement
from kanta_archive.commissioning.report import (
    CASE_CHECKS,
    CASE_TITLES,
    OTHER_CASE,
    CaseResult,
    DocumentRecord,
)
from kanta_archive.errors import KantaArchiveError
from kanta_archive.index import Query
from kanta_archive.index.base import MAX_LIMIT
from kanta_archive.model import Document, Metadata

ACTOR: Final = "kanta-archive commissioning-test"
INVALIDATION_REASON: Final = "commissioning test: invalidation case"


@dataclass
class CaseInput:
    """One input document: its record and, when it could be read, the document."""

    record: DocumentRecord
    document: Document | None
    meta: Metadata | None


@dataclass
class CaseRun:
    """The scratch archive and the inputs the cases look at."""

    archive: Archive
    inputs: list[CaseInput]
    used_sets: set[str] = field(default_factory=set)

    def valid(self) -> Iterator[CaseInput]:
        for item in self.inputs:
            if item.record.valid and item.document is not None and item.meta is not None:
                yield item

    def archived(self, record: DocumentRecord) -> bool:
        return record.archived in ("stored", "unchanged")

    def by_oid(self, oid: str) -> list[CaseInput]:
        return [i for i in self.inputs if i.record.document_oid == oid]

    def records(self, items: Iterable[CaseInput]) -> tuple[DocumentRecord, ...]:
        return tuple(i.record for i in items)

    def find(self, client: str, document_oid: str) -> bool:
        rows = self.archive.query(
            Query(client=client, all_versions=True, patient_data=None, limit=MAX_LIMIT)
        ).rows
        return any(r.document_oid == document_oid for r in rows)


def _unique(items: Iterable[CaseInput]) -> list[CaseInput]:
    """One input per document OID (the JSON and XHTML form of one document count once)."""
    seen: set[str] = set()
    out: list[CaseInput] = []
    for item in items:
        oid = item.record.document_oid
        if oid is not None and oid not in seen:
            seen.add(oid)
            out.append(item)
    return out


def _guard(case_id: str, body: Callable[[], CaseResult]) -> CaseResult:
    """Run a case; an archive error inside it fails the case instead of the run."""
    try:
        return body()
    except KantaArchiveError as exc:
        return CaseResult(
            case_id,
            CASE_TITLES.get(case_id, case_id),
            CASE_CHECKS.get(case_id, CASE_CHECKS["valid"]),
            False,
            f"the archive raised an error: {exc}",
        )


def _archived_and_shown(run: CaseRun, items: list[CaseInput]) -> list[str]:
    """Problems: valid documents not archived, or not shown back byte for byte."""
    problems: list[str] = []
    for item in items:
        record = item.record
        if not record.valid:
            continue
        if not run.archived(record):
            problems.append(f"{record.source}: not archived ({record.archive_reason})")
            continue
        assert record.document_oid is not None
        shown = run.archive.show(record.document_oid)
        raws = {i.document.raw for i in run.by_oid(record.document_oid) if i.document}
        if shown.raw not in raws:
            problems.append(f"{record.source}: show returned other bytes than were submitted")
    return problems


def _valid(run: CaseRun, requirement: StructureRequirement) -> CaseResult:
    oid = requirement.oid
    items = [i for i in run.inputs if i.record.structure_oid == oid]
    name = requirement.name or oid
    title = f"Valid documents: {name}"
    checks = CASE_CHECKS["valid"]
    invalid = [i.record for i in items if not i.record.valid]
    usable = [
        i
        for i in items
        if i.record.valid
        and (requirement.version is None or i.record.structure_version == requirement.version)
    ]
    problems = _archived_and_shown(run, items)
    steps = [
        f"{len(items)} document(s) of structure {oid}, {len(items) - len(invalid)} valid",
        *(f"{r.source}: invalid, {r.errors} error finding(s)" for r in invalid),
        *problems,
    ]
    wanted = f" version {requirement.version}" if requirement.version else ""
    if not items:
        message = f"no document of structure {oid} in the folder"
    elif not usable:
        message = f"no valid document of structure {oid}{wanted}"
    elif invalid:
        message = f"{len(invalid)} of {len(items)} document(s) of structure {oid} are invalid"
    elif problems:
        message = f"{len(problems)} document(s) of structure {oid} failed archiving or show"
    else:
        message = (
            f"{len(items)} valid document(s) of structure {oid}{wanted}, archived and shown back"
        )
    passed = bool(usable) and not invalid and not problems
    return CaseResult(
        requirement.case_id, title, checks, passed, message, tuple(steps), run.records(items)
    )


def _valid_other(run: CaseRun, items: list[CaseInput]) -> CaseResult:
    invalid = [i.record for i in items if not i.record.valid]
    problems = _archived_and_shown(run, items)
    steps = [
        *(f"{r.source}: invalid, {r.errors} error finding(s)" for r in invalid),
        *problems,
    ]
    if invalid:
        message = f"{len(invalid)} of {len(items)} document(s) outside the plan are invalid"
    elif problems:
        message = f"{len(problems)} document(s) outside the plan failed archiving or show"
    else:
        message = f"{len(items)} document(s) of structures outside the plan, all valid"
    return CaseResult(
        OTHER_CASE,
        CASE_TITLES[OTHER_CASE],
        CASE_CHECKS[OTHER_CASE],
        not invalid and not problems,
        message,
        tuple(steps),
        run.records(items),
    )


def _result(
    run: CaseRun,
    case_id: str,
    passed: bool,
    message: str,
    steps: Iterable[str],
    items: Iterable[CaseInput],
) -> CaseResult:
    used = list(items)
    run.used_sets.update(i.record.set_oid for i in used if i.record.set_oid)
    return CaseResult(
        case_id,
        CASE_TITLES[case_id],
        CASE_CHECKS[case_id],
        passed,
        message,
        tuple(steps),
        run.records(used),
    )


def _new_version(run: CaseRun) -> CaseResult:
    sets: dict[str, dict[int, list[CaseInput]]] = defaultdict(lambda: defaultdict(list))
    for item in run.valid():
        assert item.meta is not None
        if item.meta.set_oid and item.meta.version:
            sets[item.meta.set_oid][item.meta.version].append(item)
    chains = sorted(s for s, versions in sets.items() if 1 in versions and 2 in versions)
    if not chains:
        return _result(
            run,
            "new-version",
            False,
            "no document set with valid versions 1 and 2 in the folder",
            [],
            [],
        )
    steps: list[str] = []
    used: list[CaseInput] = []
    ok = True
    for set_oid in chains:
        versions = sets[set_oid]
        pair = versions[1] + versions[2]
        used += pair
        not_archived = [i.record.source for i in pair if not run.archived(i.record)]
        if not_archived:
            ok = False
            steps.append(f"set {set_oid}: not archived: {', '.join(not_archived)}")
            continue
        history = run.archive.history(set_oid)
        stored = [e.version for e in history if e.event == "stored"]
        in_order = 1 in stored and 2 in stored and stored.index(1) < stored.index(2)
        ok = ok and in_order
        listed = ", ".join(f"v{v}" for v in stored)
        steps.append(
            f"set {set_oid}: history lists {listed}"
            + ("" if in_order else " (expected version 1 before version 2)")
        )
    message = (
        f"{len(chains)} set(s) with versions 1 and 2 archived in order; history lists both"
        if ok
        else "a new version was not archived in order or is missing from the history"
    )
    return _result(run, "new-version", ok, message, steps, used)


def _invalidation(run: CaseRun) -> CaseResult:
    heads: dict[str, CaseInput] = {}
    for item in run.valid():
        record = item.record
        if record.set_oid and run.archived(record):
            current = heads.get(record.set_oid)
            if current is None or (record.version or 0) > (current.record.version or 0):
                heads[record.set_oid] = item
    if not heads:
        return _result(run, "invalidation", False, "no archived document to invalidate", [], [])
    # Prefer a set no other case used, so the choice does not depend on case order.
    set_oid = min(heads, key=lambda s: (s in run.used_sets, s))
    target = heads[set_oid]
    document_oid = target.record.document_oid
    assert document_oid is not None
    archive = run.archive
    before = archive.show(document_oid)
    visible_before = archive.query(Query(set_oid=set_oid, patient_data=None)).total
    archive.invalidate(document_oid, INVALIDATION_REASON, actor=ACTOR)
    visible_after = archive.query(Query(set_oid=set_oid, patient_data=None)).total
    listed = archive.query(Query(set_oid=set_oid, patient_data=None, include_invalidated=True))
    listed_invalidated = any(
        r.document_oid == document_oid and r.status == "invalidated" for r in listed.rows
    )
    shown = archive.show(document_oid)
    shown_ok = shown.metadata.get("status") == "invalidated" and shown.raw == before.raw
    events = [e.event for e in archive.history(set_oid)]
    checks = [
        (visible_before == 1, f"before: a query on set {set_oid} lists it"),
        (True, f"Archive.invalidate({document_oid}, reason={INVALIDATION_REASON!r})"),
        (visible_after == 0, "after: the query no longer lists it"),
        (listed_invalidated, "after: a query with invalidated documents lists it as invalidated"),
        (shown_ok, "after: show returns it, status invalidated, same bytes as submitted"),
        ("invalidated" in events, f"history: {', '.join(events)}"),
    ]
    ok = all(passed for passed, _ in checks)
    steps = [f"{'ok' if passed else 'FAILED'}: {text}" for passed, text in checks]
    message = (
        f"document {document_oid} invalidated: hidden from query, still shown by show"
        if ok
        else f"invalidation of {document_oid} did not behave as required"
    )
    return _result(run, "invalidation", ok, message, steps, run.by_oid(document_oid))


def _client_case(
    run: CaseRun,
    case_id: str,
    candidates: list[tuple[CaseInput, list[str]]],
    missing: str,
    found: str,
) -> CaseResult:
    if not candidates:
        return _result(run, case_id, False, missing, [], [])
    steps: list[str] = []
    ok = True
    for item, clients in candidates:
        oid = item.record.document_oid
        assert oid is not None
        if not run.archived(item.record):
            ok = False
            steps.append(f"{oid}: not archived ({item.record.archive_reason})")
            continue
        for client in clients:
            hit = run.find(client, oid)
            ok = ok and hit
            steps.append(f"query --client {client}: {'finds' if hit else 'does NOT find'} {oid}")
    used = [i for item, _ in candidates for i in run.by_oid(str(item.record.document_oid))]
    message = found.format(n=len(candidates)) if ok else "a query did not find the document"
    return _result(run, case_id, ok, message, steps, used)


def _common_matter(run: CaseRun) -> CaseResult:
    candidates: list[tuple[CaseInput, list[str]]] = []
    for item in _unique(run.valid()):
        meta = item.meta
        assert meta is not None
        clients = [c.identifier for c in meta.clients if c.identifier]
        if len(clients) >= 2 and meta.common_matter_oid:
            candidates.append((item, clients))
    return _client_case(
        run,
        "common-matter",
        candidates,
        "no valid document with two or more clients and a common_matter_oid in the folder",
        "{n} common-matter document(s) found by a query on each of their clients",
    )


def _temporary_id(run: CaseRun) -> CaseResult:
    candidates: list[tuple[CaseInput, list[str]]] = []
    for item in _unique(run.valid()):
        assert item.meta is not None
        temporary = [c.temporary_id for c in item.meta.clients if c.temporary_id]
        if temporary:
            candidates.append((item, temporary))
    return _client_case(
        run,
        "temporary-id",
        candidates,
        "no valid document with a client identified by a temporary identifier in the folder",
        "{n} document(s) archived and found by a query on the temporary identifier",
    )


def _protected_fields(validator: Any, document: Document) -> list[str]:
    """JSON Pointers of the outermost values that non-disclosure masking hides in the
    document's content (access/masking.py), e.g. ``/asiakkuusasiakirja/asiakas/yhteystiedot``."""
    from kanta_archive.access.masking import MASK, mask_document_content

    masked = mask_document_content(document.metadata, document.content, validator.registry)
    found: list[str] = []

    def all_masked(before: Any, after: Any) -> bool:
        if isinstance(before, Mapping):
            return isinstance(after, Mapping) and all(
                all_masked(v, after.get(k)) for k, v in before.items()
            )
        if isinstance(before, list):
            return isinstance(after, list) and all(map(all_masked, before, after))
        return bool(after == MASK)

    def walk(before: Any, after: Any, pointer: str) -> None:
        if after == before:
            return
        if all_masked(before, after):
            found.append(pointer)
        elif isinstance(before, Mapping) and isinstance(after, Mapping):
            for key in before:
                walk(before[key], after.get(key), f"{pointer}/{key}")
        elif isinstance(before, list) and isinstance(after, list):
            for i, (b, a) in enumerate(zip(before, after, strict=False)):
                walk(b, a, f"{pointer}/{i}")

    walk(document.content, masked, "")
    return found


def _non_disclosure(run: CaseRun) -> CaseResult:
    items = [
        i for i in _unique(run.valid()) if i.meta and any(c.non_disclosure for c in i.meta.clients)
    ]
    if not items:
        return _result(
            run,
            "non-disclosure",
            False,
            "no valid document with a client marked non_disclosure in the folder",
            [],
            [],
        )
    steps: list[str] = []
    ok = True
    protected_total = 0
    for item in items:
        oid = item.record.document_oid
        assert oid is not None and item.document is not None
        row = run.archive.index.get(oid) if run.archived(item.record) else None
        marked = row is not None and row.non_disclosure
        ok = ok and marked
        steps.append(
            f"{oid}: "
            + (
                "archived, marked non_disclosure in the index"
                if marked
                else "NOT archived with a non_disclosure marking"
            )
        )
        protected = _protected_fields(run.archive.validator, item.document)
        protected_total += len(protected)
        steps.append(
            f"{oid}: protected fields present: {', '.join(protected)}"
            if protected
            else f"{oid}: no protected fields present"
        )
    steps.append("masking of protected fields is not checked by this case (a separate issue)")
    where = "present" if protected_total else "absent"
    message = (
        f"{len(items)} document(s) with a non-disclosure client archived; protected fields "
        f"{where}; masking not checked here"
        if ok
        else "a document with a non-disclosure client was not archived with its marking"
    )
    used = [i for item in items for i in run.by_oid(str(item.record.document_oid))]
    return _result(run, "non-disclosure", ok, message, steps, used)


_CASES: Final[Mapping[str, Callable[[CaseRun], CaseResult]]] = {
    "new-version": _new_version,
    "invalidation": _invalidation,
    "common-matter": _common_matter,
    "temporary-id": _temporary_id,
    "non-disclosure": _non_disclosure,
}


def run_cases(run: CaseRun, plan: Plan, progress: Callable[[str], None]) -> list[CaseResult]:
    """Every case of ``plan``, in order: one per required structure, one for the documents
    outside the plan (if any), then the plan's named cases."""
    cases: list[CaseResult] = []
    for requirement in plan.structures:
        progress(requirement.case_id)
        cases.append(_guard(requirement.case_id, partial(_valid, run, requirement)))
    planned = {s.oid for s in plan.structures}
    others = [i for i in run.inputs if i.record.structure_oid not in planned]
    if others:
        progress(OTHER_CASE)
        cases.append(_guard(OTHER_CASE, partial(_valid_other, run, others)))
    for case_id in plan.cases:
        progress(case_id)
        cases.append(_guard(case_id, partial(_CASES[case_id], run)))
    return cases
