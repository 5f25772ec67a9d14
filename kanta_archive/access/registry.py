"""The organisation registry: who is known to the archive, and how each one joined.

Imported from a CSV file (``kanta-archive orgs import``) with the columns of
``samples/orgs.csv``::

    oid,name,business_id,sector,joining_model,main_joiner_oid,organiser_oid,valid_from,valid_to

``sector`` is ``public`` or ``private`` (social welfare), or ``health_care`` for a
health-care organisation (a disclosure target that needs the client's consent; it never
stores into the social-welfare archive). ``joining_model`` is ``direct``, ``joint`` (then
``main_joiner_oid`` is required) or ``parallel`` (then ``organiser_oid`` is required).
Units (``<org>.10.<n>``) are rows of their own.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Final

from kanta_archive.errors import UsageError
from kanta_archive.identifiers import business_id_problem, oid_problem

COLUMNS: Final = (
    "oid",
    "name",
    "business_id",
    "sector",
    "joining_model",
    "main_joiner_oid",
    "organiser_oid",
    "valid_from",
    "valid_to",
)
SECTORS: Final = frozenset({"public", "private", "health_care"})
JOINING_MODELS: Final = frozenset({"direct", "joint", "parallel"})
_UNIT: Final = re.compile(r"^(1\.2\.246\.10\.\d+)\.10\.\d+$")


@dataclass(frozen=True)
class Organisation:
    """One registered organisation or unit."""

    oid: str
    name: str
    business_id: str
    sector: str
    joining_model: str
    main_joiner_oid: str | None
    organiser_oid: str | None
    valid_from: date
    valid_to: date | None

    def valid_on(self, day: date) -> bool:
        """True when the registration covers ``day`` (both ends inclusive)."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    @property
    def root_oid(self) -> str:
        """The organisation a unit belongs to (``<org>.10.<n>`` → ``<org>``)."""
        return root_oid(self.oid)


def root_oid(oid: str) -> str:
    """``1.2.246.10.91000013.10.1`` → ``1.2.246.10.91000013``; other OIDs unchanged."""
    match = _UNIT.match(oid)
    return match.group(1) if match else oid


def _date(value: str, column: str, problems: list[str]) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(f"{column} {value!r} is not a date YYYY-MM-DD")
        return None


def parse_orgs_csv(text: str, known: frozenset[str] = frozenset()) -> list[Organisation]:
    """Parse and check a registry CSV. Any bad row raises :class:`UsageError` listing every
    problem with its line number (nothing is imported). ``known`` are OIDs already in the
    registry (a main joiner or organiser may be registered earlier)."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise UsageError("orgs CSV is empty: line 1 must be the header") from None
    header = [h.strip() for h in header]
    if tuple(header) != COLUMNS:
        raise UsageError(f"orgs CSV line 1: the header must be {','.join(COLUMNS)}")
    orgs: list[Organisation] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(COLUMNS):
            errors.append(f"line {line}: {len(row)} columns, expected {len(COLUMNS)}")
            continue
        cells = dict(zip(COLUMNS, (c.strip() for c in row), strict=True))
        problems: list[str] = []
        oid = cells["oid"]
        if (p := oid_problem(oid)) is not None:
            problems.append(f"oid {oid!r}: {p}")
        elif oid in seen:
            problems.append(f"oid {oid} already on line {seen[oid]}")
        if not cells["name"]:
            problems.append("name is empty")
        if (p := business_id_problem(cells["business_id"])) is not None:
            problems.append(f"business_id {cells['business_id']!r}: {p}")
        if cells["sector"] not in SECTORS:
            problems.append(
                f"sector {cells['sector']!r} is not one of {', '.join(sorted(SECTORS))}"
            )
        model = cells["joining_model"]
        if model not in JOINING_MODELS:
            problems.append(
                f"joining_model {model!r} is not one of {', '.join(sorted(JOINING_MODELS))}"
            )
        for column in ("main_joiner_oid", "organiser_oid"):
            value = cells[column]
            if value and (p := oid_problem(value)) is not None:
                problems.append(f"{column} {value!r}: {p}")
        if model == "joint" and not cells["main_joiner_oid"]:
            problems.append("joint joining needs main_joiner_oid")
        if model != "joint" and cells["main_joiner_oid"]:
            problems.append("main_joiner_oid is only for joint joining")
        if model == "parallel" and not cells["organiser_oid"]:
            problems.append("parallel joining needs organiser_oid")
        if model == "parallel" and cells["sector"] != "private":
            problems.append("parallel joining is for private producers (sector private)")
        if model != "parallel" and cells["organiser_oid"]:
            problems.append("organiser_oid is only for parallel joining")
        valid_from = _date(cells["valid_from"], "valid_from", problems)
        valid_to = _date(cells["valid_to"], "valid_to", problems) if cells["valid_to"] else None
        if valid_from and valid_to and valid_to < valid_from:
            problems.append(f"valid_to {valid_to} is before valid_from {valid_from}")
        if problems:
            errors.extend(f"line {line}: {p}" for p in problems)
            continue
        assert valid_from is not None
        seen[oid] = line
        orgs.append(
            Organisation(
                oid,
                cells["name"],
                cells["business_id"],
                cells["sector"],
                model,
                cells["main_joiner_oid"] or None,
                cells["organiser_oid"] or None,
                valid_from,
                valid_to,
            )
        )
    names = set(seen) | set(known)
    by_oid = {o.oid: o for o in orgs}
    for org in orgs:
        line = seen[org.oid]
        if org.main_joiner_oid and org.main_joiner_oid not in names:
            errors.append(f"line {line}: main joiner {org.main_joiner_oid} is not registered")
        if org.organiser_oid:
            if org.organiser_oid not in names:
                errors.append(f"line {line}: organiser {org.organiser_oid} is not registered")
            elif (o := by_oid.get(org.organiser_oid)) is not None and o.sector != "public":
                errors.append(f"line {line}: organiser {org.organiser_oid} is not public")
    if errors:
        raise UsageError("orgs CSV rejected, nothing imported:\n  " + "\n  ".join(errors))
    return orgs
