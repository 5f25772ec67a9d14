"""Non-disclosure masking (kanta_archive.access.masking): the real markers and the schema's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kanta_archive.access.masking import (
    MASK,
    is_protected_document,
    mask_content,
    mask_document_content,
)
from kanta_archive.model import Metadata
from kanta_archive.schemas import SchemaRegistry

VALID = Path(__file__).resolve().parents[2] / "samples" / "valid"

PERSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "x": {
            "type": "object",
            "properties": {
                "asiakas": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "henkilotunnus": {"type": "object"},
                            "turvakielto": {"type": "boolean"},
                            "sukunimi": {"type": "string"},
                            "kotikunta": {"type": "object"},
                            "yhteystiedot": {"type": "object"},
                            "salainen": {
                                "type": "string",
                                "sosmeta": {"nonDisclosureProtected": True},
                            },
                        },
                    },
                },
                "lapsi": {
                    "type": "object",
                    "sosmeta": {"hiddenField": True},
                    "properties": {
                        "etunimet": {"type": "string"},
                        "kotikunta": {"type": "object"},
                    },
                },
                "laatija": {
                    "type": "object",
                    "properties": {"yhteystiedot": {"type": "object"}},
                },
            },
        }
    },
}


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VALID / name).read_text(encoding="utf-8"))
    return data


def person(ident: str, turvakielto: bool | None = None, phone: str = "040 1") -> dict[str, Any]:
    entry: dict[str, Any] = {
        "henkilotunnus": {"value": ident},
        "sukunimi": "Turvanen",
        "kotikunta": {"kunta": {"code": "091"}},
        "yhteystiedot": {"puhelinnumero": phone},
    }
    if turvakielto is not None:
        entry["turvakielto"] = turvakielto
    return entry


def test_a_person_with_turvakielto_has_residence_and_contact_data_masked() -> None:
    content = {"x": {"asiakas": [person("A", True)]}}
    masked = mask_content(content, PERSON_SCHEMA)
    entry = masked["x"]["asiakas"][0]
    assert entry["yhteystiedot"] == {"puhelinnumero": MASK}
    assert entry["kotikunta"] == {"kunta": {"code": MASK}}
    assert entry["sukunimi"] == "Turvanen" and entry["turvakielto"] is True


def test_a_person_without_turvakielto_keeps_contact_data_in_the_same_document() -> None:
    content = {"x": {"asiakas": [person("A", True, "1"), person("B", False, "2")]}}
    phones = [
        e["yhteystiedot"]["puhelinnumero"]
        for e in mask_content(content, PERSON_SCHEMA)["x"]["asiakas"]
    ]
    assert phones == [MASK, "2"]


def test_a_client_marked_in_the_metadata_is_masked_by_identifier() -> None:
    content = {"x": {"asiakas": [person("A"), person("B")]}}
    masked = mask_content(content, PERSON_SCHEMA, {"B"})["x"]["asiakas"]
    assert [e["yhteystiedot"]["puhelinnumero"] for e in masked] == ["040 1", MASK]


def test_hidden_groups_have_their_residence_data_masked_in_a_protected_document() -> None:
    content = {
        "x": {
            "asiakas": [person("A", True)],
            "lapsi": {"etunimet": "Aino", "kotikunta": {"kunta": {"code": "091"}}},
            "laatija": {"yhteystiedot": {"puhelinnumero": "09 123"}},
        }
    }
    masked = mask_content(content, PERSON_SCHEMA)["x"]
    assert masked["lapsi"] == {"etunimet": "Aino", "kotikunta": {"kunta": {"code": MASK}}}
    assert masked["laatija"] == {"yhteystiedot": {"puhelinnumero": "09 123"}}  # not hidden


def test_schema_marked_fields_are_masked_except_for_an_unprotected_client() -> None:
    content = {
        "x": {
            "asiakas": [
                {**person("A"), "salainen": "a"},
                {**person("B"), "salainen": "b"},
                {"salainen": "c"},
            ]
        }
    }
    masked = mask_content(content, PERSON_SCHEMA, {"B"})["x"]["asiakas"]
    assert [e["salainen"] for e in masked] == ["a", MASK, MASK]


def test_unknown_structure_masks_a_protected_document_entirely() -> None:
    content = {"x": {"asiakas": [person("A", True)], "teksti": "merkintä"}}
    masked = mask_content(content, None)
    assert masked["x"]["teksti"] == MASK
    assert masked["x"]["asiakas"][0]["sukunimi"] == MASK


def test_masking_leaves_the_original_untouched() -> None:
    content = {"x": {"asiakas": [person("A", True)]}}
    mask_content(content, PERSON_SCHEMA)
    assert content["x"]["asiakas"][0]["yhteystiedot"] == {"puhelinnumero": "040 1"}


@pytest.mark.parametrize(
    ("content", "marked"),
    [
        ({"x": {"asiakas": {"turvakielto": True}}}, True),
        ({"x": {"asiakas": [{"turvakielto": False}], "h": [{"turvakielto": True}]}}, True),
        ({"x": {"asiakas": {"turvakielto": False}}}, False),
        ({"x": {"teksti": "turvakielto"}}, False),
    ],
)
def test_a_document_is_protected_by_any_persons_turvakielto(
    content: dict[str, Any], marked: bool
) -> None:
    meta = Metadata.from_raw({"clients": [{"hetu": "A"}]})
    assert is_protected_document(meta, content) is marked


def test_metadata_non_disclosure_protects_the_document() -> None:
    meta = Metadata.from_raw({"clients": [{"hetu": "A", "non_disclosure": True}]})
    assert is_protected_document(meta, {"x": {}})


def test_non_disclosure_sample_is_masked_by_the_bundled_schema() -> None:
    doc = load("customership-non-disclosure.json")
    meta = Metadata.from_raw(doc["metadata"])
    masked = mask_document_content(meta, doc["content"], SchemaRegistry())
    text = json.dumps(masked, ensure_ascii=False)
    assert "Salakuja" not in text and "+358 40 1234567" not in text
    assert "Turvanen" in text  # names are not residence or contact data


def test_documents_without_marking_are_unchanged() -> None:
    doc = load("client-record-entry.json")
    meta = Metadata.from_raw(doc["metadata"])
    assert mask_document_content(meta, doc["content"], SchemaRegistry()) == doc["content"]
