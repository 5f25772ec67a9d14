"""Commissioning-test plans: which structures and which cases a test must cover.

A plan is a TOML file (read with :mod:`tomllib`)::

    [plan]
    name = "Vendor X 4.2 commissioning test"
    description = "What Vendor X 4.2 writes into the archive."
    cases = ["new-version", "invalidation", "common-matter", "temporary-id", "non-disclosure"]

    [[structures]]
    oid = "1.2.246.537.6.1506.19005"  # a base OID: any version of the structure
    name = "Client record entry"      # optional label
    version = "2022-01-10"            # optional: this structure version must be used

Every structure gives a ``valid-<oid>`` case; ``cases`` lists the other cases
(:data:`CASES`). Anything else in the file (an unknown key or case, a bad OID, a
duplicate structure, a wrong type) is an error: :func:`load_plan` raises
:class:`PlanError`, a :class:`~kanta_archive.errors.UsageError`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final

from kanta_archive.errors import UsageError
from kanta_archive.identifiers import oid_problem

#: The cases a plan can ask for besides ``valid-<structure>``, in the order they run.
CASES: Final[tuple[str, ...]] = (
    "new-version",
    "common-matter",
    "temporary-id",
    "non-disclosure",
    "invalidation",
)

DEFAULT_PLAN_RESOURCE: Final = "default_plan.toml"

_PLAN_KEYS: Final = frozenset({"name", "description", "cases"})
_STRUCTURE_KEYS: Final = frozenset({"oid", "name", "version"})
_TOP_KEYS: Final = frozenset({"plan", "structures"})


class PlanError(UsageError):
    """The plan file cannot be read or does not describe a plan."""


@dataclass(frozen=True)
class StructureRequirement:
    """One structure the system produces: at least one valid document of it is needed."""

    oid: str
    name: str = ""
    version: str | None = None  # None: any version

    @property
    def case_id(self) -> str:
        """The id of the case that checks this structure: ``valid-<oid>``."""
        return f"valid-{self.oid}"


@dataclass(frozen=True)
class Plan:
    """A loaded, checked test plan. ``source`` says where it came from (a path or
    ``"default"``)."""

    name: str
    description: str
    structures: tuple[StructureRequirement, ...]
    cases: tuple[str, ...]
    source: str

    def case_ids(self) -> tuple[str, ...]:
        """Every case the plan asks for, in run order."""
        return tuple(s.case_id for s in self.structures) + self.cases


def _string(value: Any, where: str, *, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise PlanError(f"{where} must be a non-empty string")
    return value


def _unknown(table: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    extra = sorted(set(table) - allowed)
    if extra:
        raise PlanError(
            f"unknown key{'s' if len(extra) > 1 else ''} in {where}: {', '.join(extra)} "
            f"(allowed: {', '.join(sorted(allowed))})"
        )


def _structure(raw: Any, position: int) -> StructureRequirement:
    where = f"[[structures]] #{position}"
    if not isinstance(raw, Mapping):
        raise PlanError(f"{where} must be a table")
    _unknown(raw, _STRUCTURE_KEYS, where)
    oid = _string(raw.get("oid"), f"{where} oid", required=True)
    problem = oid_problem(oid)
    if problem:
        raise PlanError(f"{where} oid {oid!r}: {problem}")
    version = raw.get("version")
    if version is not None:
        version = _string(version, f"{where} version", required=True)
    return StructureRequirement(oid, _string(raw.get("name"), f"{where} name"), version)


def parse_plan(data: Mapping[str, Any], source: str) -> Plan:
    """Check a parsed TOML document and build the :class:`Plan`."""
    _unknown(data, _TOP_KEYS, "the plan file")
    head = data.get("plan", {})
    if not isinstance(head, Mapping):
        raise PlanError("[plan] must be a table")
    _unknown(head, _PLAN_KEYS, "[plan]")
    raw_cases = head.get("cases", list(CASES))
    if not isinstance(raw_cases, list) or not all(isinstance(c, str) for c in raw_cases):
        raise PlanError("[plan] cases must be a list of case names")
    unknown = [c for c in raw_cases if c not in CASES]
    if unknown:
        raise PlanError(
            f"unknown case{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} "
            f"(known: {', '.join(CASES)}; valid-<structure> cases come from [[structures]])"
        )
    raw_structures = data.get("structures", [])
    if not isinstance(raw_structures, list):
        raise PlanError("structures must be an array of tables: [[structures]]")
    structures = tuple(_structure(s, n) for n, s in enumerate(raw_structures, start=1))
    seen: set[str] = set()
    for structure in structures:
        if structure.oid in seen:
            raise PlanError(f"structure {structure.oid} is listed twice")
        seen.add(structure.oid)
    if not structures and not raw_cases:
        raise PlanError("the plan asks for nothing: no [[structures]] and no cases")
    return Plan(
        name=_string(head.get("name"), "[plan] name") or "Commissioning test",
        description=_string(head.get("description"), "[plan] description"),
        structures=structures,
        cases=tuple(c for c in CASES if c in raw_cases),  # run order, no duplicates
        source=source,
    )


def loads_plan(text: str, source: str = "<string>") -> Plan:
    """Parse plan TOML text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(f"{source}: not valid TOML: {exc}") from exc
    try:
        return parse_plan(data, source)
    except PlanError as exc:
        raise PlanError(f"{source}: {exc}") from exc


def load_plan(path: Path | None = None) -> Plan:
    """Load the plan at ``path``, or the bundled default plan when ``path`` is None."""
    if path is None:
        text = resources.files(__package__).joinpath(DEFAULT_PLAN_RESOURCE).read_text("utf-8")
        return loads_plan(text, "default")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PlanError(f"{path}: cannot read plan: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PlanError(f"{path}: plan is not UTF-8") from exc
    return loads_plan(text, str(path))


__all__ = [
    "CASES",
    "Plan",
    "PlanError",
    "StructureRequirement",
    "load_plan",
    "loads_plan",
    "parse_plan",
]
