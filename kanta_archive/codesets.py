"""Code sets (classifications) bundled with the schemas, for checking coded values."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kanta_archive.errors import SchemaError
from kanta_archive.paths import bundled_schemas_dir


@dataclass(frozen=True)
class CodeSet:
    """One code set: its OID, names and codes with fi/sv display names."""

    oid: str
    name: Mapping[str, str]
    codes: Mapping[str, Mapping[str, str]]
    stand_in: bool

    def display(self, code: str, lang: str = "fi") -> str | None:
        """The display name of ``code`` in ``lang``, or None when unknown."""
        names = self.codes.get(code)
        if names is None:
            return None
        return names.get(lang) or names.get("fi")


def _parse(path: Path, raw: Any) -> CodeSet:
    try:
        codes = {str(entry["code"]): dict(entry.get("display") or {}) for entry in raw["codes"]}
        return CodeSet(
            str(raw["oid"]), dict(raw.get("name") or {}), codes, bool(raw.get("stand_in"))
        )
    except (KeyError, TypeError) as exc:
        raise SchemaError(f"{path}: not a code set file: missing {exc}") from exc


def load_codesets(extra_dirs: Sequence[Path] = ()) -> dict[str, CodeSet]:
    """All code sets: bundled ones, then ``codesets/`` folders of the extra dirs."""
    found: dict[str, CodeSet] = {}
    folders = [bundled_schemas_dir() / "codesets", *(d / "codesets" for d in extra_dirs)]
    for folder in folders:
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise SchemaError(f"{path}: cannot read code set: {exc}") from exc
            codeset = _parse(path, raw)
            found[codeset.oid] = codeset
    return found
