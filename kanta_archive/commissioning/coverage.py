"""The coverage table and the schema list of a commissioning-test report: which
structures the plan requires, which the folder holds, and which schema versions were used."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from kanta_archive.commissioning.plan import Plan
from kanta_archive.commissioning.report import CoverageRow, DocumentRecord, SchemaUse


def structure_title(validator: Any, oid: str, version: str | None = None) -> str:
    """The Finnish title of a structure (of ``version``, else its latest), or ``""``."""
    registry = validator.registry
    found = registry.get(oid, version) if version else None
    candidates = [found] if found else registry.find(oid)
    return candidates[-1].title("fi") if candidates else ""


def coverage(
    plan: Plan, documents: Sequence[DocumentRecord], validator: Any
) -> tuple[CoverageRow, ...]:
    """One row per structure the plan requires, then one per other structure found."""
    by_oid: dict[str, list[DocumentRecord]] = defaultdict(list)
    for document in documents:
        if document.structure_oid:
            by_oid[document.structure_oid].append(document)
    rows: list[CoverageRow] = []
    for requirement in plan.structures:
        records = by_oid.get(requirement.oid, [])
        rows.append(
            CoverageRow(
                oid=requirement.oid,
                name=requirement.name or structure_title(validator, requirement.oid),
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
                name=structure_title(validator, oid),
                required=False,
                required_version=None,
                found_versions=tuple(sorted({r.structure_version or "?" for r in records})),
                documents=len(records),
                valid=sum(1 for r in records if r.valid),
            )
        )
    return tuple(rows)


def schemas(documents: Sequence[DocumentRecord], validator: Any) -> tuple[SchemaUse, ...]:
    """The structure schema versions the documents name, with how many use each."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for record in documents:
        if record.structure_oid and record.structure_version:
            counts[(record.structure_oid, record.structure_version)] += 1
    uses: list[SchemaUse] = []
    for (oid, version), n in sorted(counts.items()):
        structure = validator.registry.get(oid, version)
        title = str(structure.title("fi")) if structure is not None else ""
        uses.append(SchemaUse(oid, version, title, structure is not None, n))
    return tuple(uses)
