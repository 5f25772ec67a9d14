"""Run a commissioning test (käyttöönottokoe): validate a folder of documents, archive them
into a scratch store, exercise query/show/history/invalidate and record every case.

The scratch store lives in a temporary directory that is removed afterwards; nothing of it
(paths, store times) appears in the report, so the same folder, plan and ``now`` give the
same report.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, Final

from kanta_archive.archive.service import Archive, IngestItem
from kanta_archive.commissioning.plan import Plan, StructureRequirement
from kanta_archive.errors import KantaArchiveError, UsageError
from kanta_archive.findings import Finding, Severity
from kanta_archive.formats.read import read_path
from kanta_archive.identifiers import oid_problem
from kanta_archive.index import Query
from kanta_archive.index.base import MAX_LIMIT
from kanta_archive.model import Document, Metadata

TOOL_NAME: Final = "kanta-archive"
ACTOR: Final = "kanta-archive commissioning-test"
INVALIDATION_REASON: Final = "commissioning test: invalidation case"
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

Progress = Callable[[str], None]


def _noop(_step: str) -> None:
    return None


# ---------------------------------------------------------------------- results


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


# ---------------------------------------------------------------------- the run


@dataclass
class _Input:
    record: DocumentRecord
    document: Document | None
    meta: Metadata | None


@dataclass
class _Run:
    archive: Archive
    inputs: list[_Input]
    used_sets: set[str] = field(default_factory=set)

    def valid(self) -> Iterator[_Input]:
        for item in self.inputs:
            if item.record.valid and item.document is not None and item.meta is not None:
                yield item

    def archived(self, record: DocumentRecord) -> bool:
        return record.archived in ("stored", "unchanged")

    def by_oid(self, oid: str) -> list[_Input]:
        return [i for i in self.inputs if i.record.document_oid == oid]

    def records(self, items: Iterable[_Input]) -> tuple[DocumentRecord, ...]:
        return tuple(i.record for i in items)

    def find(self, client: str, document_oid: str) -> bool:
        rows = self.archive.query(
            Query(client=client, all_versions=True, patient_data=None, limit=MAX_LIMIT)
        ).rows
        return any(r.document_oid == document_oid for r in rows)


def _unique(items: Iterable[_Input]) -> list[_Input]:
    """One input per document OID (the JSON and XHTML form of one document count once)."""
    seen: set[str] = set()
    out: list[_Input] = []
    for item in items:
        oid = item.record.document_oid
        if oid is not None and oid not in seen:
            seen.add(oid)
            out.append(item)
    return out


def _relative(path: Path, folder: Path) -> str:
    try:
        return path.relative_to(folder).as_posix()
    except ValueError:
        return path.as_posix()


def _read_inputs(folder: Path, validator: Any, progress: Progress) -> list[_Input]:
    from kanta_archive.validate import iter_inputs

    paths = list(iter_inputs([folder]))
    if not paths:
        raise UsageError(f"{folder}: no documents found (*.json, *.xhtml, *.html, *.xml)")
    inputs: list[_Input] = []
    for path in paths:
        progress(f"validate {_relative(path, folder)}")
        outcome = read_path(path, max_bytes=validator.max_bytes)
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
        inputs.append(_Input(record, document, meta))
    return inputs


def _with_archive_status(inputs: list[_Input], items: Sequence[IngestItem]) -> None:
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
    cases: list[CaseResult] = []
    with tempfile.TemporaryDirectory(prefix="kanta-commissioning-") as scratch:
        progress("archive into a scratch store")
        archive = Archive.open(Path(scratch) / "store", create=True, validator=validator)
        try:
            documents = [i.document for i in inputs if i.record.valid and i.document]
            report = archive.ingest(
                [d for d in documents if d is not None], partial=True, actor=ACTOR
            )
            _with_archive_status(inputs, report.items)
            run = _Run(archive, inputs)
            for requirement in plan.structures:
                progress(requirement.case_id)
                cases.append(_guard(requirement.case_id, partial(_valid, run, requirement)))
            planned = {s.oid for s in plan.structures}
            others = [i for i in inputs if i.record.structure_oid not in planned]
            if others:
                progress(OTHER_CASE)
                cases.append(_guard(OTHER_CASE, partial(_valid_other, run, others)))
            for case_id in plan.cases:
                progress(case_id)
                cases.append(_guard(case_id, partial(_CASES[case_id], run)))
        finally:
            archive.close()

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
        schemas=_schemas(inputs, validator),
        documents=tuple(i.record for i in inputs),
        cases=tuple(cases),
        coverage=_coverage(plan, inputs, validator),
    )


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


# ---------------------------------------------------------------------- cases


def _structure_title(validator: Any, oid: str, version: str | None = None) -> str:
    registry = validator.registry
    found = registry.get(oid, version) if version else None
    candidates = [found] if found else registry.find(oid)
    return candidates[-1].title("fi") if candidates else ""


def _archived_and_shown(run: _Run, items: list[_Input]) -> list[str]:
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


def _valid(run: _Run, requirement: StructureRequirement) -> CaseResult:
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


def _valid_other(run: _Run, items: list[_Input]) -> CaseResult:
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
    run: _Run,
    case_id: str,
    passed: bool,
    message: str,
    steps: Iterable[str],
    items: Iterable[_Input],
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


def _new_version(run: _Run) -> CaseResult:
    sets: dict[str, dict[int, list[_Input]]] = defaultdict(lambda: defaultdict(list))
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
    used: list[_Input] = []
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


def _invalidation(run: _Run) -> CaseResult:
    heads: dict[str, _Input] = {}
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
    run: _Run,
    case_id: str,
    candidates: list[tuple[_Input, list[str]]],
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


def _common_matter(run: _Run) -> CaseResult:
    candidates: list[tuple[_Input, list[str]]] = []
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


def _temporary_id(run: _Run) -> CaseResult:
    candidates: list[tuple[_Input, list[str]]] = []
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


def _present(node: Any, path: str) -> bool:
    """Whether a schema path (``/a/b[]/c``) reaches a value in ``node``."""
    nodes = [node]
    for part in path.strip("/").split("/"):
        name, arrays = part.rstrip("[]"), part.count("[]")
        step = [n[name] for n in nodes if isinstance(n, Mapping) and n.get(name) is not None]
        for _ in range(arrays):
            step = [x for n in step if isinstance(n, list) for x in n]
        nodes = step
        if not nodes:
            return False
    return True


def _non_disclosure(run: _Run) -> CaseResult:
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


_CASES: Final[Mapping[str, Callable[[_Run], CaseResult]]] = {
    "new-version": _new_version,
    "invalidation": _invalidation,
    "common-matter": _common_matter,
    "temporary-id": _temporary_id,
    "non-disclosure": _non_disclosure,
}


# ---------------------------------------------------------------------- coverage


def _coverage(plan: Plan, inputs: list[_Input], validator: Any) -> tuple[CoverageRow, ...]:
    by_oid: dict[str, list[DocumentRecord]] = defaultdict(list)
    for item in inputs:
        if item.record.structure_oid:
            by_oid[item.record.structure_oid].append(item.record)
    rows: list[CoverageRow] = []
    for requirement in plan.structures:
        records = by_oid.get(requirement.oid, [])
        rows.append(
            CoverageRow(
                oid=requirement.oid,
                name=requirement.name or _structure_title(validator, requirement.oid),
                required=True,
                required_version=requirement.version,
                found_versions=tuple(sorted({r.structure_version or "?" for r in records})),
                documents=len(records),
                valid=sum(
                    1
                    for r in records
                    if r.valid
                    and (requirement.version is None or r.structure_version == requirement.version)
                ),
            )
        )
    planned = {s.oid for s in plan.structures}
    for oid in sorted(set(by_oid) - planned):
        records = by_oid[oid]
        rows.append(
            CoverageRow(
                oid=oid,
                name=_structure_title(validator, oid),
                required=False,
                required_version=None,
                found_versions=tuple(sorted({r.structure_version or "?" for r in records})),
                documents=len(records),
                valid=sum(1 for r in records if r.valid),
            )
        )
    return tuple(rows)


def _schemas(inputs: list[_Input], validator: Any) -> tuple[SchemaUse, ...]:
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for item in inputs:
        record = item.record
        if record.structure_oid and record.structure_version:
            counts[(record.structure_oid, record.structure_version)] += 1
    uses: list[SchemaUse] = []
    for (oid, version), n in sorted(counts.items()):
        structure = validator.registry.get(oid, version)
        title = str(structure.title("fi")) if structure is not None else ""
        uses.append(SchemaUse(oid, version, title, structure is not None, n))
    return tuple(uses)


__all__ = [
    "CASE_CHECKS",
    "CASE_TITLES",
    "CaseResult",
    "CommissioningReport",
    "CoverageRow",
    "DocumentRecord",
    "SchemaUse",
    "format_time",
    "run_commissioning",
]
