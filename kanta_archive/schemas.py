"""The schema registry: finds, loads and compiles schemas, each once per process.

Structure schemas are Sosmeta-style JSON Schema (draft-07) files; each is
identified by the root ``sosmeta`` keyword's ``oid`` and
``documentDefinitionVersion``. The bundled schemas are always loaded; a user
directory (``--schemas-dir``) adds to them and wins on the same key, so THL's
own Sosmeta exports load unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from kanta_archive import sosmeta
from kanta_archive.errors import SchemaError
from kanta_archive.paths import bundled_schemas_dir


def dated_suffix(version: str) -> str | None:
    """The OID arcs of a version date: ``2023-06-01`` -> ``2023.6.1`` (None if not a date)."""
    match = _VERSION_DATE.fullmatch(version)
    if match is None:
        return None
    return ".".join(str(int(part)) for part in match.groups())


_VERSION_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def split_dated_oid(oid: str, version: str) -> tuple[str, str]:
    """``(base OID, full dated OID)`` of a structure whose root ``sosmeta.oid`` is ``oid``.

    Real exports name a structure by its full dated OID (``1.2.246.537.6.1505.1.2023.6.1``
    for version 2023-06-01); older or hand-written schemas give the base OID only, whose
    dated form is then built from the version.
    """
    suffix = dated_suffix(version)
    if suffix is None:
        return oid, oid
    if oid.endswith("." + suffix):
        return oid[: -len(suffix) - 1], oid
    return oid, f"{oid}.{suffix}"


@dataclass(frozen=True)
class StructureSchema:
    """One document structure schema (one structure OID at one version)."""

    oid: str  # the base OID, e.g. 1.2.246.537.6.1505.1
    version: str  # the version date, e.g. 2023-06-01
    root: str  # the single root property, e.g. "asiakkuusasiakirja"
    path: Path
    schema: Mapping[str, Any] = field(repr=False, compare=False)
    full_oid: str = ""  # the full dated OID real documents name it by

    @property
    def key(self) -> str:
        """``<oid>@<version>``: how results and reports name the structure."""
        return f"{self.oid}@{self.version}"

    @property
    def dated_oid(self) -> str:
        """The full dated OID (``<oid>.<YYYY>.<M>.<D>``), as ``contentSpecificationId``."""
        return self.full_oid or split_dated_oid(self.oid, self.version)[1]

    def title(self, lang: str = "fi") -> str:
        """The structure's title in ``lang`` (fi fallback; the root name as a last resort)."""
        return sosmeta.root_title(self.schema, self.root, lang)

    @property
    def document_type(self) -> str:
        """The root ``sosmeta.documentType`` (e.g. ``Asiakkuusasiakirja``)."""
        return sosmeta.document_type(self.schema)

    @property
    def status(self) -> str:
        """The Sosmeta publication status, if given."""
        value = (self.schema.get("sosmeta") or {}).get("status")
        return value if isinstance(value, str) else ""


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SchemaError(f"{path}: cannot read schema: {exc}") from exc


def _structure_from(path: Path, schema: Any) -> StructureSchema | None:
    if not isinstance(schema, Mapping):
        return None
    sosmeta = schema.get("sosmeta")
    if not isinstance(sosmeta, Mapping):
        return None
    oid, version = sosmeta.get("oid"), sosmeta.get("documentDefinitionVersion")
    if not isinstance(oid, str) or not isinstance(version, str):
        return None
    required = schema.get("required")
    props = schema.get("properties")
    root = ""
    if isinstance(required, list) and len(required) == 1 and isinstance(required[0], str):
        root = required[0]
    elif isinstance(props, Mapping) and len(props) == 1:
        root = next(iter(props))
    base, full = split_dated_oid(oid, version)
    return StructureSchema(base, version, root, path, schema, full)


def _refuse_retrieval(uri: str) -> Any:
    # jsonschema-rs would otherwise fetch an external $ref over HTTP or read it from a
    # file:// path: a schema folder must not make validation touch the network or read
    # files outside it. Sosmeta exports are self-contained ("#/definitions/...").
    raise ValueError(f"external $ref {uri!r} is not allowed: a schema must be self-contained")


_T = TypeVar("_T")


class SchemaRegistry:
    """All known schemas, compiled lazily and once.

    A registry is cheap to build (it only reads files); each validator is
    compiled on first use and then reused for every document of the run.
    """

    def __init__(self, extra_dirs: Sequence[Path] = ()) -> None:
        self.bundled_dir = bundled_schemas_dir()
        self.extra_dirs = tuple(extra_dirs)
        self._structures: dict[tuple[str, str], StructureSchema] | None = None
        self._by_dated: dict[str, StructureSchema] = {}
        self._validators: dict[str, Any] = {}
        self._plans: dict[str, Any] = {}
        self._derived: dict[str, Any] = {}
        self._xsd: Any = None

    # -- discovery ---------------------------------------------------------
    def _structure_files(self) -> Iterable[Path]:
        yield from sorted((self.bundled_dir / "structures").glob("*.json"))
        for directory in self.extra_dirs:
            if not directory.is_dir():
                raise SchemaError(f"{directory}: schemas directory does not exist")
            yield from sorted(p for p in directory.rglob("*.json") if p.is_file())

    def _load(self) -> dict[tuple[str, str], StructureSchema]:
        if self._structures is None:
            found: dict[tuple[str, str], StructureSchema] = {}
            for path in self._structure_files():
                structure = _structure_from(path, _load_json(path))
                if structure is not None:
                    found[(structure.oid, structure.version)] = structure
            self._structures = found
            self._by_dated = {s.dated_oid: s for s in found.values()}
        return self._structures

    def structures(self) -> list[StructureSchema]:
        """Every known structure, sorted by OID and version."""
        return sorted(self._load().values(), key=lambda s: (s.oid, s.version))

    def get(self, oid: str, version: str | None = None) -> StructureSchema | None:
        """The structure named as real documents name it, or None.

        ``oid`` is a full dated OID (``1.2.246.537.6.1505.1.2023.6.1``; ``version`` may then
        be omitted, and must agree when given) or a base OID with its ``version`` date.
        """
        known = self._load()
        found = known.get((oid, version)) if version else None
        if found is None:
            found = self._by_dated.get(oid)
            if found is not None and version and found.version != version:
                return None
        return found

    def find(self, spec: str) -> list[StructureSchema]:
        """The structures ``spec`` names: a full dated OID, ``<oid>@<version>``, or a base OID
        (all its versions, oldest first)."""
        if "@" in spec:
            base, version = spec.split("@", 1)
            found = self.get(base, version)
            return [found] if found else []
        dated = self.get(spec)
        if dated is not None:
            return [dated]
        return [s for s in self.structures() if s.oid == spec]

    def plan(self, structure: StructureSchema) -> Any:
        """The structure compiled for the rules (a ``rules.fields.StructurePlan``), once."""
        plan = self._plans.get(structure.key)
        if plan is None:
            from kanta_archive.rules.fields import compile_plan

            plan = self._plans[structure.key] = compile_plan(structure.schema)
        return plan

    def derived(self, name: str, compute: Callable[[SchemaRegistry], _T]) -> _T:
        """``compute(self)``, computed once per registry under ``name``: for facts drawn from
        every loaded structure, which never change once loaded."""
        if name not in self._derived:
            self._derived[name] = compute(self)
        result: _T = self._derived[name]
        return result

    def metadata_plan(self) -> Any:
        """The metadata schema compiled like a structure (for the field names of findings)."""
        plan = self._plans.get("metadata")
        if plan is None:
            from kanta_archive.rules.fields import compile_plan

            path = self.bundled_dir / "metadata.schema.json"
            plan = self._plans["metadata"] = compile_plan(_load_json(path))
        return plan

    # -- compiled validators ----------------------------------------------
    def _compile(self, key: str, schema: Mapping[str, Any], origin: Path) -> Any:
        validator = self._validators.get(key)
        if validator is None:
            import jsonschema_rs

            try:
                validator = jsonschema_rs.Draft7Validator(dict(schema), retriever=_refuse_retrieval)
            except Exception as exc:  # jsonschema_rs raises ValueError subclasses
                # Its message goes on with "Failed validating in schema ..." lines.
                reason = str(exc).split("\n", 1)[0]
                raise SchemaError(f"{origin}: not a valid draft-07 schema: {reason}") from exc
            self._validators[key] = validator
        return validator

    def metadata_validator(self) -> Any:
        """The compiled metadata schema (validates ``{"metadata": …}``)."""
        validator = self._validators.get("metadata")
        if validator is None:  # first use; later calls (one per document) skip the Path
            path = self.bundled_dir / "metadata.schema.json"
            validator = self._compile("metadata", _load_json(path), path)
        return validator

    def structure_validator(self, structure: StructureSchema) -> Any:
        """The compiled validator of one structure schema."""
        return self._compile(structure.key, structure.schema, structure.path)

    def metadata_xsd(self) -> Any:
        """The compiled XSD 1.1 for the XHTML head metadata (xmlschema)."""
        if self._xsd is None:
            import xmlschema

            path = self.bundled_dir / "xhtml" / "metadata.xsd"
            try:
                self._xsd = xmlschema.XMLSchema11(str(path))
            except (OSError, xmlschema.XMLSchemaException) as exc:
                raise SchemaError(f"{path}: cannot load XSD: {exc}") from exc
        return self._xsd
