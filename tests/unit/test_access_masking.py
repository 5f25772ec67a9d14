"""Non-disclosure masking (kanta_archive.access.masking) on the bundled schemas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kanta_archive.access.masking import MASK, mask_content, mask_document_content, protected_paths
from kanta_archive.model import Metadata
from kanta_archive.schemas import SchemaRegistry

VALID = Path(__file__).resolve().parents[2] / "samples" / "valid"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VALID / name).read_text(encoding="utf-8"))
    return data


def test_schemas_mark_contact_data_protected() -> None:
    structures = SchemaRegistry().structures()
    assert structures
    for structure in structures:
        paths = protected_paths(structure.schema)
        assert (structure.root, "asiakas", "*", "yhteystiedot") in paths, structure.key


def test_non_disclosure_client_is_masked() -> None:
    doc = load("client-record-entry-non-disclosure.json")
    masked = mask_document_content(Metadata.from_raw(doc["metadata"]), doc["content"])
    client = masked["asiakaskertomusmerkinta"]["asiakas"][0]
    assert client["yhteystiedot"]["osoite"] == {
        "katuosoite": MASK,
        "postinumero": MASK,
        "postitoimipaikka": MASK,
    }
    assert client["yhteystiedot"]["puhelinnumero"] == MASK
    assert client["nimi"]["sukunimi"] == "Turvanen"  # not protected
    text = json.dumps(masked, ensure_ascii=False)
    assert "Salakuja" not in text and "+358 40 1234567" not in text
    # the original is untouched
    assert doc["content"]["asiakaskertomusmerkinta"]["asiakas"][0]["yhteystiedot"]["puhelinnumero"]


def test_documents_without_marking_are_unchanged() -> None:
    doc = load("client-record-entry.json")
    assert (
        mask_document_content(Metadata.from_raw(doc["metadata"]), doc["content"])
        == (doc["content"])
    )


def test_only_the_protected_clients_entry_is_masked() -> None:
    content = {
        "x": {
            "asiakas": [
                {"henkilotunnus": {"value": "A"}, "yhteystiedot": {"puhelinnumero": "1"}},
                {"henkilotunnus": {"value": "B"}, "yhteystiedot": {"puhelinnumero": "2"}},
                {"yhteystiedot": {"puhelinnumero": "3"}},
            ]
        }
    }
    masked = mask_content(content, [("x", "asiakas", "*", "yhteystiedot")], {"B"})
    phones = [c["yhteystiedot"]["puhelinnumero"] for c in masked["x"]["asiakas"]]
    assert phones == ["1", MASK, MASK]
