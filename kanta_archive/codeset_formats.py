"""Reading code sets as the national code server (koodistopalvelu.kanta.fi) exports them.

Two export forms are read, plus this project's own JSON form (``codesets.py``):

* **CSV / text download** (the code server's "Lataa" text export): ``;``-separated, with a
  header row ``CodeId;Abbreviation;ShortName;LongName;ParentId;HierarchyLevel;
  BeginningDate;ExpiringDate;…`` and attribute columns such as ``A:Long_name`` (English)
  and ``A:Långt_namn`` (Swedish). Older files are ISO-8859-1, newer UTF-8 (with or without
  a byte order mark); both are read. ``,``-separated files with the same header work too.
* **JSON of the code server API** (``/codeserver/csapi/v3|v6/classifications/{oid}/
  conceptcodes``): ``{"conceptCodes": [{"conceptCodeId": "24", "status": "ACTIVE",
  "attributes": [{"attributeName": "LongName", "attributeValue": ["…"]}, …]}], "page": 1,
  "totalPages": 1, …}``; a JSON array of such pages is read as one code set.

Neither form names the code system inside the file: its OID comes from ``--oid`` or from
a file named ``<oid>.csv`` / ``<oid>.json`` (as the code server's own download is not).
Codes marked ``DELETED`` in the JSON are left out; expired codes stay (old documents use
them). Names: ``LongName`` (else ``ShortName``, ``Abbreviation``) is the Finnish name.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from kanta_archive.codesets import CodeSet, parse_codeset
from kanta_archive.errors import InputError
from kanta_archive.identifiers import oid_problem

_FI_COLUMNS = ("LongName", "ShortName", "Abbreviation")
_SV_COLUMNS = ("A:Långt_namn", "A:Langt_namn", "Långt_namn", "A:Lĺngt_namn")
_EN_COLUMNS = ("A:Long_name", "A:Long_Name", "Long_name", "Long_Name")
_OID_STEM = re.compile(r"[0-2](?:\.(?:0|[1-9][0-9]*))+")


def _decode(data: bytes, source: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # The code server's older text exports are ISO-8859-1 (the FinnGen ICD-10 files).
        return data.decode("iso-8859-1")


def _first(row: Mapping[str, Any], columns: Iterable[str]) -> str:
    for column in columns:
        value = row.get(column)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _names(row: Mapping[str, Any]) -> dict[str, str]:
    names = {
        "fi": _first(row, _FI_COLUMNS),
        "sv": _first(row, _SV_COLUMNS),
        "en": _first(row, _EN_COLUMNS),
    }
    return {lang: value for lang, value in names.items() if value}


def read_csv(text: str, source: str) -> dict[str, dict[str, str]]:
    """The codes of a code server CSV/text export: ``{code: {lang: name}}``."""
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    if not reader.fieldnames or "CodeId" not in [f.strip() for f in reader.fieldnames]:
        raise InputError(
            f"{source}: not a code server export: the header has no CodeId column "
            f"(it has {', '.join(reader.fieldnames or []) or 'nothing'})"
        )
    codes: dict[str, dict[str, str]] = {}
    for line, row in enumerate(reader, start=2):
        clean = {str(k).strip(): v for k, v in row.items() if k is not None}
        code = (clean.get("CodeId") or "").strip()
        if not code:
            raise InputError(f"{source}: line {line}: a row without a CodeId")
        codes[code] = _names(clean)
    return codes


def _attributes(entry: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for attribute in entry.get("attributes") or []:
        if not isinstance(attribute, Mapping):
            continue
        label, values = attribute.get("attributeName"), attribute.get("attributeValue")
        if isinstance(label, str) and isinstance(values, list) and values:
            out.setdefault(label, str(values[0]))
            out.setdefault(f"A:{label}", str(values[0]))
    return out


def read_concept_codes(data: Any, source: str) -> dict[str, dict[str, str]]:
    """The codes of code server API JSON (one ``conceptCodes`` page or a list of pages)."""
    pages = data if isinstance(data, list) else [data]
    codes: dict[str, dict[str, str]] = {}
    for page in pages:
        entries = page.get("conceptCodes") if isinstance(page, Mapping) else None
        if not isinstance(entries, list):
            raise InputError(f"{source}: not code server JSON: no conceptCodes list")
        for entry in entries:
            if not isinstance(entry, Mapping) or not isinstance(entry.get("conceptCodeId"), str):
                raise InputError(f"{source}: a concept code without a conceptCodeId")
            if entry.get("status") == "DELETED":
                continue
            codes[entry["conceptCodeId"]] = _names(_attributes(entry))
    return codes


def _oid_from_name(path: Path) -> str | None:
    stem = path.name.split(".csv")[0].split(".json")[0].split(".txt")[0]
    return stem if _OID_STEM.fullmatch(stem) else None


def read_export(
    path: Path, *, oid: str | None = None, name: str | None = None, version: str | None = None
) -> CodeSet:
    """One code set from a code server export (CSV/text or JSON) or this project's JSON."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    text = _decode(data, str(path))
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: not JSON: {exc}") from exc
        if isinstance(parsed, Mapping) and "codes" in parsed and "oid" in parsed:
            own = parse_codeset(parsed, path)
            return own
        codes = read_concept_codes(parsed, str(path))
        kind = "code server API JSON"
    else:
        codes = read_csv(text, str(path))
        kind = "code server CSV export"
    oid = oid or _oid_from_name(path)
    if not oid:
        raise InputError(
            f"{path}: the file does not say which code system it is: give --oid, or name "
            "the file <oid>.csv / <oid>.json"
        )
    problem = oid_problem(oid)
    if problem:
        raise InputError(f"{path}: --oid {oid!r}: {problem}")
    if not codes:
        raise InputError(f"{path}: no codes in the file")
    return CodeSet(
        oid=oid,
        name={"fi": name} if name else {},
        codes=codes,
        version=version,
        source=f"imported from {path.name} ({kind})",
        complete=True,
    )


def import_codesets(
    paths: Iterable[Path],
    folder: Path,
    *,
    oid: str | None = None,
    name: str | None = None,
    version: str | None = None,
) -> list[tuple[CodeSet, Path]]:
    """Read every export and write each as ``<folder>/<oid>.json`` (this project's form).

    All files are read before anything is written: one bad file writes nothing.
    """
    files = list(paths)
    if oid and len(files) > 1:
        raise InputError("--oid names one code system: give one file with it")
    sets = [read_export(p, oid=oid, name=name, version=version) for p in files]
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder}: exists and is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for codeset in sets:
            target = folder / f"{codeset.oid}.json"
            tmp = target.with_suffix(".json.tmp")
            tmp.write_text(
                json.dumps(codeset.to_json(), ensure_ascii=False, indent=2) + "\n",
                encoding="utf-8",
            )
            tmp.replace(target)
            written.append((codeset, target))
    except OSError as exc:
        raise InputError(f"{folder}: cannot write code sets: {exc.strerror or exc}") from exc
    return written
