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

from kanta_archive.model import split_structure_id

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
STRUCTURE_NAME_RE = re.compile(r"^(?P<oid>[0-9.]+)_(?P<version>\d{4}-\d{2}-\d{2})\.json$")
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


def _codes(oid: str) -> set[str]:
    path = CODESETS / f"{oid}.json"
    assert path.is_file(), f"no code set file for {oid}"
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
    split = split_structure_id(metadata["structure"])
    assert split is not None, metadata["structure"]
    return STRUCTURES / f"{split[0]}_{split[1]}.json"


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


def test_there_are_six_structures() -> None:
    assert len(STRUCTURE_FILES) == 6


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
    assert set(sosmeta) >= ROOT_SOSMETA_KEYS
    assert _fi_sv(sosmeta["title"])
    name = STRUCTURE_NAME_RE.match(path.name)
    assert name, "file name must be <structure OID>_<YYYY-MM-DD>.json"
    assert sosmeta["oid"] == name["oid"]
    assert sosmeta["documentDefinitionVersion"] == name["version"]
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


@pytest.mark.parametrize("path", _ids(STRUCTURE_FILES))
def test_every_element_is_annotated(path: Path) -> None:
    schema = _load(path)
    missing = []
    for pointer, node in _schema_nodes(schema):
        if "sosmeta" not in node:
            continue
        sosmeta = node["sosmeta"]
        if node is schema:
            continue
        if not (_fi_sv(sosmeta.get("name")) and _fi_sv(sosmeta.get("description"))):
            missing.append(pointer)
        for key in ("repeatable", "required", "conditionalRequired", "hiddenField"):
            if not isinstance(sosmeta.get(key), bool):
                missing.append(f"{pointer}: {key}")
        if sosmeta.get("conditionalRequired") and not _fi_sv(sosmeta.get("implementationNote")):
            missing.append(f"{pointer}: conditionalRequired without implementationNote")
        if node.get("type") == "array" and node.get("minItems") != (
            1 if sosmeta["required"] else 0
        ):
            missing.append(f"{pointer}: minItems does not match required")
    assert missing == []


@pytest.mark.parametrize("path", _ids(STRUCTURE_FILES))
def test_every_coded_system_has_a_code_set(path: Path) -> None:
    coded = [(pointer, node) for pointer, node in _schema_nodes(_load(path)) if _is_coded(node)]
    assert coded
    for pointer, node in coded:
        oid = _coded_oid(node)
        assert (CODESETS / f"{oid}.json").is_file(), f"{pointer}: no code set {oid}"
        assert node["required"] == ["system", "code", "display"], pointer


@pytest.mark.parametrize("path", _ids(STRUCTURE_FILES))
def test_client_block(path: Path) -> None:
    schema = _load(path)
    (root,) = schema["properties"].values()
    asiakas = root["properties"]["asiakas"]
    assert "asiakas" in root["required"]
    assert asiakas["type"] == "array" and asiakas["minItems"] == 1
    client = asiakas["items"]["properties"]
    assert asiakas["items"]["required"] == []
    for key in ("henkilotunnus", "tilapainen_tunnus"):
        assert client[key]["sosmeta"]["conditionalRequired"] is True
        assert client[key]["required"] == ["system", "value"]
    assert client["henkilotunnus"]["properties"]["system"]["pattern"] == r"^urn:oid:1\.2\.246\.21$"
    contact = client["yhteystiedot"]
    assert contact["sosmeta"]["nonDisclosureProtected"] is True
    for key in ("osoite", "puhelinnumero"):
        assert contact["properties"][key]["sosmeta"]["nonDisclosureProtected"] is True


# The metadata model's code systems (docs/metadata.md): their code lists are not bundled
# (only checked facts are, schemas/codesets/), so the schema names them exactly.
METADATA_CODE_SYSTEMS = {
    "confidentiality": "1.2.246.777.5.99902.2006",
    "document_type": "1.2.246.537.6.1506",
    "specific_document_type": "1.2.246.537.6.1506",
    "document_group": "1.2.246.537.6.1505",
    "service_task": "1.2.246.537.6.1221",
    "register": "1.2.246.537.6.1264",
    "record_status": "1.2.246.537.5.40154",
    "retention_class": "1.2.246.537.6.1258",
    "file_format": "1.2.246.537.6.1502",
    "structured_file_format": "1.2.246.537.5.40179",
    "special_content": "1.2.246.537.6.112",
    "minor_consent": "1.2.246.537.6.1286",
    "inaccessible_reason": "1.2.246.537.6.1288",
}


def test_metadata_schema_names_the_national_code_systems() -> None:
    properties = _load(SCHEMAS / "metadata.schema.json")["properties"]["metadata"]["properties"]
    found = {name: _coded_oid(node) for name, node in properties.items() if _is_coded(node)}
    assert found == METADATA_CODE_SYSTEMS
    for name, oid in found.items():
        assert properties[name]["sosmeta"]["systemUri"] == f"urn:oid:{oid}"


# --------------------------------------------------------------------------- code sets


@pytest.mark.parametrize("path", _ids(CODESET_FILES))
def test_code_set_file(path: Path) -> None:
    data = _load(path)
    assert set(data) == {"oid", "name", "version", "stand_in", "note", "codes"}
    assert path.name == f"{data['oid']}.json"
    assert OID_RE.match(data["oid"])
    assert set(data["name"]) == {"fi", "sv"}
    assert isinstance(data["stand_in"], bool)
    codes = [entry["code"] for entry in data["codes"]]
    assert codes and len(codes) == len(set(codes))
    for entry in data["codes"]:
        assert set(entry) == {"code", "display"}
        assert entry["display"]["fi"] and entry["display"]["sv"]


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
            if not (CODESETS / f"{oid}.json").is_file():
                continue  # a national code system whose list is not bundled (docs/metadata.md)
            if value["code"] not in _codes(oid):
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
        for _, value in _values(_load(path))
        if isinstance(value, str) and HETU_RE.match(value)
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
