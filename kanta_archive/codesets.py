"""Code sets (classifications) for checking coded values, and how a system URI finds one.

A code set is stored as one JSON file ``<oid>.json`` (this project's form, below) in
``schemas/codesets/`` (the few shipped, each marked with its source and version), in a
``codesets/`` folder of a ``--schemas-dir`` or in a store's ``codesets/`` (where
``kanta-archive codesets import`` puts the national code server's exports; see
``codeset_formats.py``)::

    {"oid": "1.2.246.537.6.1221", "version": "201601", "name": {"fi": "...", "sv": "..."},
     "source": "where the codes come from", "complete": false,
     "codes": [{"code": "24", "display": {"fi": "Lapsiperheiden palvelut"}}]}

``complete`` says whether the list holds every code of the code system: only then is an
unlisted code an error. A partial list (the codes this project could check) still names
its codes, for the ``display`` check and the generator.

A coded value's ``system`` may carry a version (``urn:oid:1.2.246.537.6.1221.201601``, as
real documents do): :meth:`CodeSets.resolve` finds the code set by the exact OID first,
then by the OID without its version arc, then any loaded version of that base OID.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kanta_archive.errors import SchemaError
from kanta_archive.paths import bundled_schemas_dir

CODESETS_FOLDER = "codesets"
# A version arc of a code system OID: a year, or a year and month (2008, 2012, 201601).
_VERSION_ARC = re.compile(r"(?:19|20)[0-9]{2}(?:[0-9]{2})?")


@dataclass(frozen=True)
class CodeSet:
    """One code set: its OID, names, codes (with names per language) and provenance."""

    oid: str
    name: Mapping[str, str]
    codes: Mapping[str, Mapping[str, str]]
    version: str | None = None
    source: str = ""
    complete: bool = True
    path: Path | None = field(default=None, compare=False)

    def display(self, code: str, lang: str = "fi") -> str | None:
        """The name of ``code`` in ``lang`` (fi fallback), or None when unknown."""
        names = self.codes.get(code)
        if names is None:
            return None
        return names.get(lang) or names.get("fi") or next(iter(names.values()), None)

    def names_of(self, code: str) -> set[str]:
        """Every name ``code`` has in the code set (all languages)."""
        return {n for n in (self.codes.get(code) or {}).values() if n}

    def title(self, lang: str = "fi") -> str:
        """The code set's own name in ``lang`` (fi fallback), else its OID."""
        return self.name.get(lang) or self.name.get("fi") or self.oid

    def to_json(self) -> dict[str, Any]:
        """This project's file form of the code set."""
        return {
            "oid": self.oid,
            "version": self.version,
            "name": dict(self.name),
            "source": self.source,
            "complete": self.complete,
            "codes": [{"code": c, "display": dict(n)} for c, n in self.codes.items()],
        }


def base_oid(oid: str) -> str:
    """``oid`` without a trailing version arc (``1.2.246.537.6.1221.201601`` -> ``…1221``)."""
    head, _, last = oid.rpartition(".")
    if head and _VERSION_ARC.fullmatch(last) and head.count(".") >= 4:
        return head
    return oid


class CodeSets(Mapping[str, CodeSet]):
    """The code sets of a run, by OID, with version-aware lookup of coded values' systems."""

    def __init__(self, sets: Mapping[str, CodeSet] | None = None) -> None:
        self._sets: dict[str, CodeSet] = dict(sets or {})
        self._by_base: dict[str, CodeSet] = {}
        for oid, codeset in sorted(self._sets.items()):
            self._by_base[base_oid(oid)] = codeset  # the last (newest) version wins

    def __getitem__(self, oid: str) -> CodeSet:
        return self._sets[oid]

    def __iter__(self) -> Iterator[str]:
        return iter(self._sets)

    def __len__(self) -> int:
        return len(self._sets)

    def resolve(self, system: str) -> CodeSet | None:
        """The code set a coded value's ``system`` (``urn:oid:…``, maybe versioned) names."""
        oid = system.removeprefix("urn:oid:")
        found = self._sets.get(oid)
        if found is None:
            found = self._sets.get(base_oid(oid)) or self._by_base.get(base_oid(oid))
        return found


def parse_codeset(raw: Any, path: Path | None = None) -> CodeSet:
    """A code set from this project's JSON form (see the module docstring)."""
    where = f"{path}: " if path else ""
    try:
        codes = {
            str(entry["code"]): {str(k): str(v) for k, v in (entry.get("display") or {}).items()}
            for entry in raw["codes"]
        }
        version = raw.get("version")
        return CodeSet(
            oid=str(raw["oid"]),
            name={str(k): str(v) for k, v in (raw.get("name") or {}).items()},
            codes=codes,
            version=str(version) if version is not None else None,
            source=str(raw.get("source") or ""),
            complete=raw.get("complete", True) is not False,
            path=path,
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise SchemaError(f"{where}not a code set file: missing or bad {exc}") from exc


def codeset_folders(extra_dirs: Sequence[Path] = ()) -> list[Path]:
    """The folders code sets load from: bundled first, then each extra dir's ``codesets/``
    (a store's code sets are an extra dir: the store folder itself)."""
    return [bundled_schemas_dir() / CODESETS_FOLDER, *(d / CODESETS_FOLDER for d in extra_dirs)]


def load_codesets(extra_dirs: Sequence[Path] = ()) -> CodeSets:
    """All code sets: bundled ones, then ``codesets/`` folders of the extra dirs (later
    folders win on the same OID)."""
    found: dict[str, CodeSet] = {}
    for folder in codeset_folders(extra_dirs):
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise SchemaError(f"{path}: cannot read code set: {exc}") from exc
            codeset = parse_codeset(raw, path)
            found[codeset.oid] = codeset
    return CodeSets(found)
