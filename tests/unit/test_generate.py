"""The sample generator: valid, varied, reproducible documents for any structure schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kanta_archive.errors import UsageError
from kanta_archive.findings import Severity
from kanta_archive.generate import (
    GeneratorError,
    document_bytes,
    generate_documents,
    sample_pattern,
    write_documents,
)
from kanta_archive.model import structure_id_of
from kanta_archive.schemas import SchemaRegistry, StructureSchema
from kanta_archive.validate import Validator

REGISTRY = SchemaRegistry()
STRUCTURES = REGISTRY.structures()
VALIDATOR = Validator(REGISTRY)


def _errors(data: bytes, source: str) -> list[str]:
    result = VALIDATOR.validate_bytes(data, source)
    return [
        f"{f.code} {f.location.pointer} {f.message}"
        for f in result.findings
        if f.severity is Severity.ERROR
    ]


def _keys(data: bytes, source: str) -> set[tuple[str, str, str]]:
    return {f.key() for f in VALIDATOR.validate_bytes(data, source).findings}


def test_six_bundled_structures() -> None:
    assert len(STRUCTURES) == 6


@pytest.mark.parametrize("structure", STRUCTURES, ids=lambda s: s.key)
def test_fifty_generated_documents_validate(structure: StructureSchema) -> None:
    docs = list(generate_documents(structure, 50, 11, REGISTRY))
    assert len(docs) == 50
    assert len({stem for stem, _ in docs}) == 50
    for stem, doc in docs:
        assert doc["metadata"]["structure"] == structure_id_of(structure.oid, structure.version)
        assert _errors(document_bytes(doc, "json", structure), f"{stem}.json") == []
    # varied, not one document fifty times
    assert len({json.dumps(doc["content"], sort_keys=True) for _, doc in docs}) == 50
    # own production, a service for an organiser, a private producer as controller
    assert any("organiser" in doc["metadata"] for _, doc in docs)
    assert any("organiser" not in doc["metadata"] for _, doc in docs)
    assert any(len(doc["metadata"]["clients"]) > 1 for _, doc in docs)
    assert any("temporary_id" in c for _, d in docs for c in d["metadata"]["clients"])
    assert any(doc["metadata"]["version"] > 1 for _, doc in docs)


@pytest.mark.parametrize("structure", STRUCTURES, ids=lambda s: s.key)
def test_json_and_xhtml_forms_get_the_same_finding_keys(structure: StructureSchema) -> None:
    for stem, doc in generate_documents(structure, 3, 5, REGISTRY):
        as_json = document_bytes(doc, "json", structure)
        as_xhtml = document_bytes(doc, "xhtml", structure)
        assert _errors(as_xhtml, f"{stem}.xhtml") == []
        assert _keys(as_json, f"{stem}.json") == _keys(as_xhtml, f"{stem}.xhtml")


def test_same_seed_same_bytes_different_seed_different(tmp_path: Path) -> None:
    key = STRUCTURES[2].key
    first = write_documents(key, 5, 7, tmp_path / "a", "both", REGISTRY)
    again = write_documents(key, 5, 7, tmp_path / "b", "both", REGISTRY)
    other = write_documents(key, 5, 8, tmp_path / "c", "both", REGISTRY)
    assert [p.name for p in first] == [p.name for p in again] == [p.name for p in other]
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in again]
    assert [p.read_bytes() for p in first] != [p.read_bytes() for p in other]


def test_case_documents_keep_the_case_rules() -> None:
    case = next(s for s in STRUCTURES if s.root == "asia_asiakirja")
    closed = 0
    for _, doc in generate_documents(case, 40, 3, REGISTRY):
        details = doc["content"]["asia_asiakirja"]["asian_tiedot"]
        assert details["asianumero"] == doc["metadata"]["case_oid"]
        if details["tila"]["code"] == "2":
            closed += 1
            assert "paattymispaiva" in details
        if "yhteinen_asia" in details:
            assert details["yhteinen_asia"]["tunniste"] == doc["metadata"]["common_matter_oid"]
    assert closed > 0


def test_unknown_structure_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        list(generate_documents("1.2.3.4", 1, 0, REGISTRY))


_CUSTOM = {
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
            "required": ["asiakas", "maara", "osuus", "kylla", "laji", "tunnus", "lista"],
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
                            "tilapainen_tunnus": {
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
                "tunnus": {"type": "string", "pattern": "^[A-Z]{3}-\\d{2}(x|y)?$"},
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
        assert len(body["lista"]) == 2
        result = validator.validate_bytes(document_bytes(doc, "json", structure), stem)
        assert not [f for f in result.findings if f.severity is Severity.ERROR]


def test_pattern_sampler() -> None:
    import random
    import re

    rng = random.Random(1)
    for pattern in ("^[A-Z]{3}-\\d{2}$", "^(ab|cd)+[^x]?$", "^\\d{5}$", "^[0-9a-f]{64}$"):
        for _ in range(20):
            assert re.search(pattern, sample_pattern(rng, pattern))
    with pytest.raises(GeneratorError):
        sample_pattern(rng, "^(a)\\1$")
