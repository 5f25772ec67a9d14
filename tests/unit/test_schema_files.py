"""The bundled schema files, code sets and valid sample documents are consistent.

Uses ``jsonschema`` directly (not the package's registry) so that a broken schema file
is caught here even when the registry itself is broken. Identifier checks are inlined on
purpose: they test the sample data, not ``kanta_archive.identifiers``.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from sosmeta_exports import export, exports_dir

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"
STRUCTURES = SCHEMAS / "structures"
CODESETS = SCHEMAS / "codesets"
SAMPLES = ROOT / "samples"
VALID = SAMPLES / "valid"
ORGS_CSV = SAMPLES / "orgs.csv"

STRUCTURE_FILES = sorted(STRUCTURES.glob("*.json"))
CODESET_FILES = sorted(CODESETS.glob("*.json"))
VALID_FILES = sorted(VALID.glob("*.json"))

ROOT_SOSMETA_KEYS = {
    "title",
    "status",
    "documentDefinitionVersion",
    "dataComponentLibraryVersion",
    "oid",
    "documentType",
    "documentSubject",
    "documentAuthor",
}
OID_RE = re.compile(r"^[0-2](\.(0|[1-9][0-9]*))+$")
STRUCTURE_NAME_RE = re.compile(r"^(?P<oid>[0-9.]+)\.json$")
CODED_PREFIX = "^urn:oid:"
CODED_SUFFIX = r"(\.\d+)*$"
HETU_RE = re.compile(r"^(\d{2})(\d{2})(\d{2})([-+ABCDEFYXWVU])(\d{3})([0-9A-Y])$")
HETU_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"
CENTURY = {"+": 1800, "-": 1900, "Y": 1900, "X": 1900, "W": 1900, "V": 1900, "U": 1900}
CENTURY.update(dict.fromkeys("ABCDEF", 2000))
ORG_OID_RE = re.compile(r"1\.2\.246\.10\.(\d{8})(?![0-9])")
BUSINESS_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2)


def _ids(paths: list[Path]) -> list[Any]:
    return [pytest.param(p, id=p.name) for p in paths]


@cache
def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _schema_nodes(node: Any, pointer: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every subschema of a schema (not the annotations inside ``sosmeta``)."""
    if not isinstance(node, dict):
        return
    yield pointer, node
    for name, child in node.get("properties", {}).items():
        yield from _schema_nodes(child, f"{pointer}/properties/{name}")
    items = node.get("items")
    if isinstance(items, dict):
        yield from _schema_nodes(items, f"{pointer}/items")
    if isinstance(node.get("additionalProperties"), dict):
        yield from _schema_nodes(node["additionalProperties"], f"{pointer}/additionalProperties")
    for keyword in ("allOf", "anyOf", "oneOf"):
        for i, child in enumerate(node.get(keyword, [])):
            yield from _schema_nodes(child, f"{pointer}/{keyword}/{i}")
    for name, child in node.get("definitions", {}).items():
        yield from _schema_nodes(child, f"{pointer}/definitions/{name}")


def _is_coded(node: dict[str, Any]) -> bool:
    return {"system", "code", "display"} <= set(node.get("properties", {}))


def _coded_oid(node: dict[str, Any]) -> str:
    pattern = node["properties"]["system"]["pattern"]
    assert pattern.startswith(CODED_PREFIX) and pattern.endswith(CODED_SUFFIX), pattern
    oid = pattern[len(CODED_PREFIX) : -len(CODED_SUFFIX)].replace("\\.", ".")
    assert OID_RE.match(oid), pattern
    return oid


def _codes(oid: str) -> set[str] | None:
    """The codes of a shipped complete code set (None: not shipped, or only partly)."""
    path = CODESETS / f"{oid}.json"
    if not path.is_file() or not _load(path)["complete"]:
        return None
    return {entry["code"] for entry in _load(path)["codes"]}


def _values(node: Any, pointer: str = "") -> Iterator[tuple[str, Any]]:
    """Every (JSON Pointer, value) pair of a JSON document."""
    yield pointer, node
    if isinstance(node, dict):
        for key, child in node.items():
            yield from _values(child, f"{pointer}/{key}")
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from _values(child, f"{pointer}/{i}")


def _structure_schema(metadata: dict[str, Any]) -> Path:
    return STRUCTURES / f"{metadata['structure']}.json"  # the full dated OID


def _fi_sv(value: Any) -> bool:
    return (
        isinstance(value, list)
        and [item.get("lang") for item in value] == ["fi", "sv"]
        and all(isinstance(item.get("value"), str) and item["value"] for item in value)
    )


def hetu_ok(hetu: str) -> bool:
    m = HETU_RE.match(hetu)
    if not m:
        return False
    day, month, yy, sign, individual, check = m.groups()
    try:
        dt.date(CENTURY[sign] + int(yy), int(month), int(day))
    except ValueError:
        return False
    return HETU_CHECK[int(day + month + yy + individual) % 31] == check


def business_id_ok(digits: str) -> bool:
    """``digits`` is the 8-digit form (7 digits + check digit), as in organisation OIDs."""
    if not re.fullmatch(r"\d{8}", digits):
        return False
    r = sum(int(d) * w for d, w in zip(digits[:7], BUSINESS_ID_WEIGHTS, strict=True)) % 11
    if r == 1:
        return False
    return int(digits[7]) == (0 if r == 0 else 11 - r)


def _orgs() -> list[dict[str, str]]:
    with ORGS_CSV.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


# --------------------------------------------------------------------------- structures

CORE = {
    "1.2.246.537.6.1505.1": "asiakkuusasiakirja",
    "1.2.246.537.6.1505.2": "asia_asiakirja",
    "1.2.246.537.6.1505.8": "luovutuslupa_asiakirja",
    "1.2.246.537.6.1505.9": "kieltoasiakirja",
}


def test_the_core_documents_and_three_client_documents_are_bundled() -> None:
    roots = {_load(p)["sosmeta"]["oid"].rsplit(".", 3)[0]: _load(p)["required"][0]
             for p in STRUCTURE_FILES}  # fmt: skip
    assert {k: roots.get(k) for k in CORE} == CORE
    assert len(set(roots) - set(CORE)) >= 3


@pytest.mark.parametrize("path", _ids(STRUCTURE_FILES))
def test_structure_is_a_byte_copy_of_the_real_export(path: Path) -> None:
    assert path.read_bytes() == export(path.name).read_bytes()


def test_the_exports_licence_notice_ships_with_them() -> None:
    assert (STRUCTURES / "LICENSE").read_bytes() == (exports_dir() / "LICENSE").read_bytes()
    readme = (STRUCTURES / "README.md").read_text(encoding="utf-8")
    assert "juntunen-ai/sosmeta" in readme and "ae2985d04496f3c6e4265bd4b7b261f4cb69c21d" in readme
    for path in STRUCTURE_FILES:
        assert path.name in readme


@pytest.mark.parametrize("path", _ids(STRUCTURE_FILES))
def test_structure_is_valid_draft7(path: Path) -> None:
    schema = _load(path)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    Draft7Validator.check_schema(schema)
    text = path.read_text(encoding="utf-8")
    assert '"$ref"' not in text and '"$id"' not in text


@pytest.mark.parametrize("path", _ids(STRUCTURE_FILES))
def test_structure_root_sosmeta(path: Path) -> None:
    schema = _load(path)
    sosmeta = schema["sosmeta"]
    assert set(sosmeta) >= ROOT_SOSMETA_KEYS - {"documentSubject", "documentAuthor"}
    assert isinstance(sosmeta["title"], str) and isinstance(sosmeta["documentType"], str)
    name = STRUCTURE_NAME_RE.match(path.name)
    assert name, "file name must be <full dated OID>.json, as the export is named"
    assert sosmeta["oid"] == name["oid"]
    year, month, day = (int(x) for x in sosmeta["documentDefinitionVersion"].split("-"))
    assert name["oid"].endswith(f".{year}.{month}.{day}")
    # the root requires exactly one property, named after the structure
    assert list(schema["properties"]) == schema["required"]
    assert len(schema["required"]) == 1


@pytest.mark.parametrize("path", _ids(STRUCTURE_FILES))
def test_every_object_is_closed(path: Path) -> None:
    open_objects = [
        pointer
        for pointer, node in _schema_nodes(_load(path))
        if (node.get("type") == "object" or "properties" in node)
        and node.get("additionalProperties") is not False
    ]
    assert open_objects == []


# --------------------------------------------------------------------------- code sets


@pytest.mark.parametrize("path", _ids(CODESET_FILES))
def test_code_set_file(path: Path) -> None:
    data = _load(path)
    assert set(data) == {"oid", "name", "version", "source", "complete", "codes"}
    assert path.name == f"{data['oid']}.json"
    assert OID_RE.match(data["oid"])
    assert data["source"], "a shipped code set says where its codes come from"
    assert "version" in data and isinstance(data["complete"], bool)
    codes = [entry["code"] for entry in data["codes"]]
    assert codes and len(codes) == len(set(codes))
    for entry in data["codes"]:
        assert set(entry) == {"code", "display"}


# --------------------------------------------------------------------------- samples


def test_there_are_valid_samples_for_every_structure() -> None:
    assert len(VALID_FILES) >= 10
    used = {_structure_schema(_load(p)["metadata"]) for p in VALID_FILES}
    assert used == set(STRUCTURE_FILES)


@pytest.mark.parametrize("path", _ids(VALID_FILES))
def test_sample_metadata_is_valid(path: Path) -> None:
    doc = _load(path)
    # A signed JSON document also carries its detached JWS (see docs/signatures.md).
    assert set(doc) - {"signature"} == {"metadata", "content"}
    validator = Draft7Validator(_load(SCHEMAS / "metadata.schema.json"))
    errors = [
        f"{e.json_path}: {e.message}" for e in validator.iter_errors({"metadata": doc["metadata"]})
    ]
    assert errors == []
    assert doc["metadata"]["storage_format"] == "json"


@pytest.mark.parametrize("path", _ids(VALID_FILES))
def test_sample_content_is_valid(path: Path) -> None:
    doc = _load(path)
    schema_path = _structure_schema(doc["metadata"])
    assert schema_path.is_file(), f"no structure schema {schema_path.name}"
    validator = Draft7Validator(_load(schema_path))
    errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(doc["content"])]
    assert errors == []


@pytest.mark.parametrize("path", _ids(VALID_FILES))
def test_sample_codes_exist(path: Path) -> None:
    unknown = []
    for pointer, value in _values(_load(path)):
        if isinstance(value, dict) and {"system", "code", "display"} <= set(value):
            oid = value["system"].removeprefix("urn:oid:")
            codes = _codes(oid)
            if codes is not None and value["code"] not in codes:
                unknown.append(f"{pointer}: {value['code']} not in {oid}")
    assert unknown == []


@pytest.mark.parametrize("path", _ids(VALID_FILES))
def test_sample_organisations_are_registered(path: Path) -> None:
    metadata = _load(path)["metadata"]
    known = {row["oid"] for row in _orgs()}
    used = {
        metadata["controller"]["oid"],
        *([metadata["organiser"]["oid"]] if "organiser" in metadata else []),
        metadata["service_unit_oid"],
        metadata["author"]["organisation_oid"],
    }
    assert used <= known


def test_sample_hetus_have_correct_check_characters() -> None:
    hetus = {
        value
        for path in VALID_FILES
        for pointer, value in _values(_load(path))
        # a temporary identifier is HETU-shaped but need not carry a HETU's check character
        if isinstance(value, str) and HETU_RE.match(value) and "tilapainen" not in pointer
    }
    assert hetus
    assert sorted(h for h in hetus if not hetu_ok(h)) == []
    # the samples use the test range of individual numbers only
    assert sorted(h for h in hetus if not 900 <= int(h[7:10]) <= 999) == []


def test_business_ids_have_correct_check_digits() -> None:
    digits = set()
    for row in _orgs():
        number, check = row["business_id"].split("-")
        digits.add(number + check)
        digits.update(ORG_OID_RE.findall(row["oid"]))
    for path in VALID_FILES:
        digits.update(ORG_OID_RE.findall(path.read_text(encoding="utf-8")))
    assert digits
    assert sorted(d for d in digits if not business_id_ok(d)) == []


@pytest.mark.parametrize(
    ("text", "ok"),
    [("131052-308T", True), ("010190-999X", False), ("290216A9481", True), ("310223A900X", False)],
)
def test_inline_hetu_check(text: str, ok: bool) -> None:
    assert hetu_ok(text) is ok


@pytest.mark.parametrize(("digits", "ok"), [("01120389", True), ("01120388", False)])
def test_inline_business_id_check(digits: str, ok: bool) -> None:
    assert business_id_ok(digits) is ok
