"""The sample generator: valid, varied, reproducible documents for any structure schema.

The bundled structures are real Sosmeta exports (schemas/structures/README.md); every one
of the 202 exports is covered by tests/unit/test_all_exports.py.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from kanta_archive.errors import UsageError
from kanta_archive.findings import Severity
from kanta_archive.generate import (
    SIGNER_NAME,
    GeneratorError,
    default_orgs_path,
    document_bytes,
    generate_documents,
    patterns,
    write_all,
    write_documents,
)
from kanta_archive.generate.codes import PLACEHOLDER
from kanta_archive.model import structure_id_of
from kanta_archive.schemas import SchemaRegistry, StructureSchema
from kanta_archive.validate import Validator

REGISTRY = SchemaRegistry()
STRUCTURES = REGISTRY.structures()
VALIDATOR = Validator(REGISTRY)

BUNDLED = [
    "1.2.246.537.6.1505.1.2023.6.1",
    "1.2.246.537.6.1505.2.2022.6.28",
    "1.2.246.537.6.1505.8.2023.6.1",
    "1.2.246.537.6.1505.9.2023.6.5",
    "1.2.246.537.6.1506.1019.2023.9.28",
    "1.2.246.537.6.1506.15007.2024.11.28",
    "1.2.246.537.6.1506.19005.2022.1.10",
]


def _errors(data: bytes, source: str, validator: Validator = VALIDATOR) -> list[str]:
    result = validator.validate_bytes(data, source)
    return [
        f"{f.code} {f.location.pointer} {f.message}"
        for f in result.findings
        if f.severity is Severity.ERROR
    ]


def _keys(data: bytes, source: str) -> set[tuple[str, str, str]]:
    return {f.key() for f in VALIDATOR.validate_bytes(data, source).findings}


def _clients(doc: Mapping[str, Any], root: str) -> list[Mapping[str, Any]]:
    block = doc["content"][root].get("asiakas")
    if block is None:
        return []
    return block if isinstance(block, list) else [block]


def test_the_seven_bundled_real_structures() -> None:
    assert [s.dated_oid for s in STRUCTURES] == BUNDLED


@pytest.mark.parametrize("structure", STRUCTURES, ids=lambda s: s.dated_oid)
def test_fifty_generated_documents_validate(structure: StructureSchema) -> None:
    docs = list(generate_documents(structure, 50, 11, REGISTRY))
    assert len(docs) == 50
    assert len({stem for stem, _ in docs}) == 50
    for stem, doc in docs:
        assert doc["metadata"]["structure"] == structure_id_of(structure.oid, structure.version)
        assert doc["metadata"]["structure"] == structure.dated_oid
        assert list(doc["content"]) == [structure.root]
        assert _errors(document_bytes(doc, "json", structure), f"{stem}.json") == []
    # varied, not one document fifty times (the case document requires two fields only:
    # a later version may repeat its previous version's content now and then)
    assert len({json.dumps(doc["content"], sort_keys=True) for _, doc in docs}) >= 45
    # own production, a service for an organiser, a private producer as controller
    assert any("organiser" in doc["metadata"] for _, doc in docs)
    assert any("organiser" not in doc["metadata"] for _, doc in docs)
    assert len({doc["metadata"]["language"] for _, doc in docs}) == 2
    assert any(doc["metadata"]["version"] > 1 for _, doc in docs)
    assert any(doc["metadata"].get("status") == "invalidated" for _, doc in docs)


@pytest.mark.parametrize("structure", STRUCTURES, ids=lambda s: s.dated_oid)
def test_json_and_xhtml_forms_get_the_same_finding_keys(structure: StructureSchema) -> None:
    for stem, doc in generate_documents(structure, 3, 5, REGISTRY):
        as_json = document_bytes(doc, "json", structure)
        as_xhtml = document_bytes(doc, "xhtml", structure)
        assert _errors(as_xhtml, f"{stem}.xhtml") == []
        assert _keys(as_json, f"{stem}.json") == _keys(as_xhtml, f"{stem}.xhtml")


def test_clients_are_written_under_the_real_keys() -> None:
    entries: dict[str, list[Mapping[str, Any]]] = {}
    for structure in STRUCTURES:
        docs = [doc for _, doc in generate_documents(structure, 60, 2, REGISTRY)]
        entries[structure.oid] = [c for doc in docs for c in _clients(doc, structure.root)]
        block = structure.schema["properties"][structure.root]["properties"]["asiakas"]
        if block["type"] == "array":  # else one object: one client
            assert any(len(_clients(doc, structure.root)) > 1 for doc in docs), structure.oid
        for doc in docs:  # the metadata names the same clients, in the same order
            content = _clients(doc, structure.root)
            meta = doc["metadata"]["clients"]
            assert len(meta) == len(content)
            for m, c in zip(meta, content, strict=True):
                if "hetu" in m:
                    assert c["henkilotunnus"] == {
                        "system": "urn:oid:1.2.246.21",
                        "value": m["hetu"],
                    }
                else:
                    assert "henkilotunnus" not in c and "tilapainen_yksilointitunnus" in c
                if "turvakielto" in c:
                    assert m.get("non_disclosure", False) is c["turvakielto"]
    # 19005 and the case document let a client be identified by a temporary identifier
    for oid in ("1.2.246.537.6.1506.19005", "1.2.246.537.6.1505.2"):
        temporary = [c for c in entries[oid] if "tilapainen_yksilointitunnus" in c]
        assert temporary, oid
        for entry in temporary:
            tid = entry["tilapainen_yksilointitunnus"]
            assert re.fullmatch(r"1\.2\.246\.10\.\d{8}(\.\d+)*\.22\.20\d\d", tid["system"])
            assert 900 <= int(tid["value"][7:10]) <= 999  # HETU-shaped, 900-999
    # the customership document carries the non-disclosure marking (turvakielto)
    marks = [c.get("turvakielto") for c in entries["1.2.246.537.6.1505.1"]]
    assert True in marks and False in marks


def test_codes_come_from_the_code_sets_or_are_marked_placeholders() -> None:
    codesets = VALIDATOR.codesets

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if set(node) >= {"system", "code", "display"}:
                codeset = codesets.resolve(node["system"])
                if codeset is not None and codeset.complete:
                    assert node["code"] in codeset.codes, node
                elif codeset is None and "1.2.246.537.6.202" not in node["system"]:
                    # neither loaded nor an example of the exports: a marked placeholder
                    assert "TEST-ONLY" in node["display"] or node["display"], node
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for structure in STRUCTURES:
        for _, doc in generate_documents(structure, 10, 4, REGISTRY):
            walk(doc["content"])
            walk(doc["metadata"])
    assert "TEST-ONLY" in PLACEHOLDER
    # the service task: its one checked code (the shipped set is partial)
    tasks = {
        doc["metadata"]["service_task"]["code"]
        for s in STRUCTURES
        for _, doc in generate_documents(s, 5, 4, REGISTRY)
    }
    assert tasks == {"24"}


def test_version_chains_are_complete_and_oids_carry_the_seed() -> None:
    structure = STRUCTURES[0]
    first = [doc["metadata"] for _, doc in generate_documents(structure, 60, 7, REGISTRY)]
    by_oid = {m["document_oid"]: m for m in first}
    for meta in first:
        if meta["version"] > 1:
            previous = by_oid[meta["previous_version_oid"]]  # in the same run, before it
            assert previous["set_oid"] == meta["set_oid"]
            assert previous["version"] == meta["version"] - 1
            assert first.index(previous) < first.index(meta)
    other = [doc["metadata"] for _, doc in generate_documents(structure, 60, 8, REGISTRY)]
    assert not {m["document_oid"] for m in first} & {m["document_oid"] for m in other}
    assert not {m["set_oid"] for m in first} & {m["set_oid"] for m in other}


def test_signed_documents_carry_a_signature_by_the_test_signer() -> None:
    signed = unsigned = 0
    for structure in STRUCTURES:
        for stem, doc in generate_documents(structure, 10, 3, REGISTRY):
            meta = doc["metadata"]
            if "signature" in meta:
                signed += 1
                assert "signature" in doc  # the JWS
                assert meta["signature"]["signer"] == SIGNER_NAME == meta["author"]["name"]
                as_xhtml = document_bytes(doc, "xhtml", structure)
                assert b"<ds:Signature" in as_xhtml or b"Signature" in as_xhtml
                assert _errors(as_xhtml, f"{stem}.xhtml") == []
            else:
                unsigned += 1
                assert "signature" not in doc
    assert signed and unsigned


def test_same_seed_same_bytes_different_seed_different(tmp_path: Path) -> None:
    key = STRUCTURES[2].dated_oid
    first = write_documents(key, 5, 7, tmp_path / "a", "both", REGISTRY)
    again = write_documents(key, 5, 7, tmp_path / "b", "both", REGISTRY)
    other = write_documents(key, 5, 8, tmp_path / "c", "both", REGISTRY)
    assert [p.name for p in first] == [p.name for p in again] == [p.name for p in other]
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in again]
    assert [p.read_bytes() for p in first] != [p.read_bytes() for p in other]


def test_write_documents_never_overwrites(tmp_path: Path) -> None:
    key = STRUCTURES[0].dated_oid
    out = tmp_path / "out"
    written = write_documents(key, 2, 1, out, "json", REGISTRY)
    before = {p: p.read_bytes() for p in written}
    with pytest.raises(UsageError, match="not overwriting"):
        write_documents(key, 3, 2, out, "json", REGISTRY)
    assert sorted(out.iterdir()) == sorted(before)  # nothing new, nothing changed
    assert all(p.read_bytes() == data for p, data in before.items())
    a_file = tmp_path / "file"
    a_file.write_text("x", encoding="utf-8")
    with pytest.raises(UsageError, match="not a folder"):
        write_documents(key, 1, 1, a_file, "json", REGISTRY)
    assert a_file.read_text(encoding="utf-8") == "x"


def test_write_all_writes_every_structure_or_nothing(tmp_path: Path) -> None:
    out = tmp_path / "all"
    written = write_all(REGISTRY, 1, 3, out, "json")
    assert sorted(written) == BUNDLED
    assert sorted(p.name for p in out.iterdir()) == BUNDLED
    again = tmp_path / "again"
    (again / BUNDLED[-1]).mkdir(parents=True)
    (again / BUNDLED[-1] / "mine.json").write_text("{}", encoding="utf-8")
    with pytest.raises(UsageError, match="not overwriting"):
        write_all(REGISTRY, 1, 3, again, "json")
    assert [p.name for p in again.iterdir()] == [BUNDLED[-1]]  # nothing else written
    assert [p.name for p in (again / BUNDLED[-1]).iterdir()] == ["mine.json"]


def test_a_structure_is_named_by_dated_oid_at_version_or_base_oid() -> None:
    dated = next(generate_documents("1.2.246.537.6.1505.8.2023.6.1", 1, 0, REGISTRY))
    at = next(generate_documents("1.2.246.537.6.1505.8@2023-06-01", 1, 0, REGISTRY))
    base = next(generate_documents("1.2.246.537.6.1505.8", 1, 0, REGISTRY))
    assert dated == at == base


def test_unknown_structure_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        list(generate_documents("1.2.3.4", 1, 0, REGISTRY))


def test_the_organisation_extract_ships_with_the_package() -> None:
    path = default_orgs_path()
    assert path.is_file()
    assert "kanta_archive" in str(path) or path.parent.name == "samples"


_CUSTOM: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "additionalProperties": False,
    "required": ["testirakenne"],
    "sosmeta": {
        "title": [{"lang": "fi", "value": "Testirakenne"}, {"lang": "sv", "value": "Test"}],
        "status": "draft",
        "documentDefinitionVersion": "2025-01-01",
        "oid": "1.2.246.537.6.1506.99",
    },
    "properties": {
        "testirakenne": {
            "type": "object",
            "additionalProperties": False,
            "required": ["asiakas", "maara", "osuus", "kylla", "laji", "tunnus", "lista", "aihe"],
            "properties": {
                "asiakas": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "henkilotunnus": {
                                "type": "object",
                                "required": ["system", "value"],
                                "properties": {
                                    "system": {
                                        "type": "string",
                                        "pattern": "^urn:oid:1\\.2\\.246\\.21$",
                                    },
                                    "value": {"type": "string"},
                                },
                            },
                            "tilapainen_yksilointitunnus": {
                                "type": "object",
                                "required": ["system", "value"],
                                "properties": {
                                    "system": {"type": "string"},
                                    "value": {"type": "string"},
                                },
                            },
                        },
                    },
                },
                "maara": {"type": "integer", "minimum": 3, "maximum": 9},
                "osuus": {"type": "number", "minimum": 0, "maximum": 1},
                "kylla": {"type": "boolean"},
                "laji": {"type": "string", "enum": ["a", "b", "c"]},
                "tunnus": {
                    "type": "string",
                    "pattern": "^[A-Z]{3}-\\d{2}(x|y)?$",
                    "sosmeta": {"example": [{"lang": "fi", "value": "ABC-12x"}]},
                },
                "lista": {
                    "type": "array",
                    "minItems": 2,
                    "maxItems": 2,
                    "items": {"type": "string", "minLength": 3, "maxLength": 5},
                },
                "aihe": {
                    "type": "object",
                    "required": ["system", "code", "display"],
                    "properties": {
                        "system": {
                            "type": "string",
                            "pattern": "^urn:oid:1\\.2\\.246\\.537\\.6\\.9002(\\.\\d+)*$",
                        },
                        "code": {"type": "string"},
                        "display": {"type": "string"},
                    },
                },
            },
        }
    },
}


def test_any_structure_from_a_schemas_dir(tmp_path: Path) -> None:
    (tmp_path / "custom.json").write_text(json.dumps(_CUSTOM), encoding="utf-8")
    registry = SchemaRegistry([tmp_path])
    validator = Validator(registry)
    structure = registry.find("1.2.246.537.6.1506.99")[0]
    for stem, doc in generate_documents(structure, 30, 1, registry):
        body = doc["content"]["testirakenne"]
        assert 3 <= body["maara"] <= 9
        assert 0 <= body["osuus"] <= 1
        assert len(body["lista"]) == 2
        assert all(3 <= len(item) <= 5 for item in body["lista"])
        assert body["tunnus"] == "ABC-12x"  # an unknown pattern: the field's own example
        assert body["aihe"]["system"] == "urn:oid:1.2.246.537.6.9002"
        assert "TEST-ONLY" in body["aihe"]["display"]  # no code set loaded: a placeholder
        assert _errors(document_bytes(doc, "json", structure), stem, validator) == []


def test_a_pattern_the_generator_cannot_fill_stops_it(tmp_path: Path) -> None:
    schema = json.loads(json.dumps(_CUSTOM))
    del schema["properties"]["testirakenne"]["properties"]["tunnus"]["sosmeta"]
    (tmp_path / "custom.json").write_text(json.dumps(schema), encoding="utf-8")
    registry = SchemaRegistry([tmp_path])
    with pytest.raises(GeneratorError, match="'tunnus'"):
        list(generate_documents("1.2.246.537.6.1506.99", 1, 1, registry))


# The three pattern kinds of the 202 exports, as they are written there.
_DATE = "^-?[0-9]{4}(-(0[1-9]|1[0-2])(-(0[0-9]|[1-2][0-9]|3[0-1]))?)?$"
_DATETIME = (
    "^-?[0-9]{4}(-(0[1-9]|1[0-2])(-(0[0-9]|[1-2][0-9]|3[0-1])(T([01][0-9]|2[0-3]):[0-5][0-9]"
    ":([0-5][0-9]|60)(\\.[0-9]+)?(Z|(\\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?$"
)
_SYSTEM = "^urn:oid:1\\.2\\.246\\.537\\.6\\.1221(\\.\\d+)*$"


def test_pattern_sampler() -> None:
    rng = random.Random(1)
    day = date(2024, 5, 17)
    moment = datetime(2024, 5, 17, 9, 30, tzinfo=UTC)
    assert patterns.sample(rng, _DATE, day, moment) == "2024-05-17"
    assert patterns.sample(rng, _DATETIME, day, moment) == "2024-05-17T09:30:00+00:00"
    assert patterns.sample(rng, _SYSTEM, day, moment) == "urn:oid:1.2.246.537.6.1221"
    for _ in range(20):
        digits = patterns.sample(rng, "^[0-9]{3,5}$", day, moment)
        assert digits is not None and re.fullmatch("[0-9]{3,5}", digits)
    assert patterns.sample(rng, "^[A-Z]{3}-\\d{2}$", day, moment) is None
    assert not patterns.matches("^(a", "a")  # not a regular expression: no match, no crash
