"""Non-disclosure masking through the CLI: ``show --content`` and ``summary`` never print
protected data in clear, for a real Sosmeta export and for a ``--schemas-dir`` structure."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from sosmeta_exports import export

Run = Callable[..., Result]

VALID = Path(__file__).resolve().parents[2] / "samples" / "valid"
CUSTOMERSHIP = "1.2.246.537.6.1505.1.2023.6.1"
HETU = "140503A9759"
SECRET_STREET = "Salakuja 3 B 12"
SECRET_PHONE = "+358 40 1234567"


def _metadata(structure: str, oid: str, *, non_disclosure: bool) -> dict[str, Any]:
    """The metadata of the client record entry sample, for structure ``structure`` (its
    full dated OID; the specific document type is its structure number)."""
    base = json.loads((VALID / "client-record-entry.json").read_text(encoding="utf-8"))
    meta: dict[str, Any] = copy.deepcopy(base["metadata"])
    meta["structure"] = structure
    number = structure.rsplit(".", 3)[0].rsplit(".", 1)[-1]  # <base OID>.<yyyy>.<m>.<d>
    meta["specific_document_type"] = {**meta["specific_document_type"], "code": number}
    meta["document_oid"], meta["set_oid"] = f"{oid}.1", oid
    meta["clients"] = [{"hetu": HETU, "non_disclosure": True} if non_disclosure else {"hetu": HETU}]
    return meta


@pytest.fixture
def real_doc(tmp_path: Path) -> tuple[Path, Path, str]:
    """A customership document of the real export whose client has turvakielto (and the
    metadata no marking), with a schemas folder holding that export."""
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    shutil.copy(export(f"{CUSTOMERSHIP}.json"), schemas)
    oid = "1.2.246.10.91000013.11.2101"
    content = {
        "asiakkuusasiakirja": {
            "asiakas": {
                "sukunimi": "Turvanen",
                "etunimet": "Ella",
                "henkilotunnus": {"system": "urn:oid:1.2.246.21", "value": HETU},
                "turvakielto": True,
                "kotikunta": {
                    "kunta": {
                        "system": "urn:oid:1.2.246.537.6.21",
                        "code": "091",
                        "display": "Helsinki",
                    },
                },
                "yhteystiedot": {
                    "osoite": [
                        {
                            "lahiosoite": SECRET_STREET,
                            "postinumero": "00990",
                            "postitoimipaikka": "Esimerkkilä",
                        }
                    ],
                    "puhelinnumero": SECRET_PHONE,
                },
            },
            "sosiaalihuollon_asiakkuus": {"asiakkuuden_alkamispvm": "2024-06-01"},
        }
    }
    doc = {"metadata": _metadata(CUSTOMERSHIP, oid, non_disclosure=False), "content": content}
    path = tmp_path / "customership.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path, schemas, f"{oid}.1"


USER_STRUCTURE = "1.2.246.10.91000013.99.7"


@pytest.fixture
def user_doc(tmp_path: Path) -> tuple[Path, Path, str]:
    """A document of a user's own structure (only in --schemas-dir) that marks a field
    ``nonDisclosureProtected``, for a client the metadata marks."""
    schemas = tmp_path / "user-schemas"
    schemas.mkdir()
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "additionalProperties": False,
        "sosmeta": {
            "oid": USER_STRUCTURE,
            "documentDefinitionVersion": "2025-01-01",
            "title": "Oma merkintä",
        },
        "required": ["oma_merkinta"],
        "properties": {
            "oma_merkinta": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "asiakas": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "properties": {
                                "henkilotunnus": {"type": "object"},
                                "piilopaikka": {
                                    "type": "string",
                                    "sosmeta": {"nonDisclosureProtected": True},
                                },
                            },
                        },
                    },
                    "kuvaus": {"type": "string"},
                },
            }
        },
    }
    (schemas / "oma.json").write_text(json.dumps(schema), encoding="utf-8")
    oid = "1.2.246.10.91000013.11.2102"
    content = {
        "oma_merkinta": {
            "asiakas": [
                {
                    "henkilotunnus": {"system": "urn:oid:1.2.246.21", "value": HETU},
                    "piilopaikka": SECRET_STREET,
                },
            ],
            "kuvaus": "Tapaaminen toimistolla.",
        }
    }
    doc = {
        "metadata": _metadata(f"{USER_STRUCTURE}.2025.1.1", oid, non_disclosure=True),
        "content": content,
    }
    path = tmp_path / "own.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path, schemas, f"{oid}.1"


def _archive(run_cli: Run, store: Path, doc: Path, schemas: Path) -> None:
    result = run_cli("--schemas-dir", schemas, "archive", doc, "--store", store)
    assert result.exit_code == 0, result.output


def _assert_hidden(output: str) -> None:
    assert SECRET_STREET not in output and SECRET_PHONE not in output
    assert "***" in output


def test_show_content_masks_a_real_exports_turvakielto_client(
    run_cli: Run, tmp_store: Path, real_doc: tuple[Path, Path, str]
) -> None:
    doc, schemas, oid = real_doc
    _archive(run_cli, tmp_store, doc, schemas)
    shown = run_cli("--schemas-dir", schemas, "show", oid, "--content", "--store", tmp_store)
    assert shown.exit_code == 0, shown.output
    _assert_hidden(shown.output)
    client = json.loads(shown.output)["asiakkuusasiakirja"]["asiakas"]
    assert client["sukunimi"] == "Turvanen" and client["kotikunta"]["kunta"]["code"] == "***"


def test_summary_masks_a_real_exports_turvakielto_client(
    run_cli: Run, tmp_store: Path, real_doc: tuple[Path, Path, str]
) -> None:
    doc, schemas, _oid = real_doc
    _archive(run_cli, tmp_store, doc, schemas)
    for fmt in ("text", "json", "html"):
        result = run_cli("--schemas-dir", schemas, "summary", "--client", HETU,
                         "--format", fmt, "--store", tmp_store)  # fmt: skip
        assert result.exit_code == 0, result.output
        assert SECRET_STREET not in result.output and SECRET_PHONE not in result.output
    data = json.loads(run_cli("--schemas-dir", schemas, "summary", "--client", HETU,
                              "--format", "json", "--store", tmp_store).output)  # fmt: skip
    assert data["non_disclosure"] is True and data["documents"][0]["masked"] is True


def test_show_raw_of_a_real_turvakielto_document_is_refused(
    run_cli: Run, tmp_path: Path, real_doc: tuple[Path, Path, str]
) -> None:
    doc, schemas, oid = real_doc
    store = tmp_path / "with-registry"
    assert run_cli("orgs", "import", VALID.parent / "orgs.csv", "--store", store).exit_code == 0
    stored = run_cli("--schemas-dir", schemas, "archive", doc, "--store", store,
                     "--as", "1.2.246.10.91000013")  # fmt: skip
    assert stored.exit_code == 0, stored.output
    raw = run_cli("--schemas-dir", schemas, "show", oid, "--raw", "--store", store,
                  "--as", "1.2.246.10.91000013")  # fmt: skip
    assert raw.exit_code == 1 and "non-disclosure" in raw.output


def test_show_content_masks_a_schemas_dir_structure_by_its_own_markers(
    run_cli: Run, tmp_store: Path, user_doc: tuple[Path, Path, str]
) -> None:
    doc, schemas, oid = user_doc
    _archive(run_cli, tmp_store, doc, schemas)
    shown = run_cli("--schemas-dir", schemas, "show", oid, "--content", "--store", tmp_store)
    assert shown.exit_code == 0, shown.output
    body = json.loads(shown.output)["oma_merkinta"]
    assert body["asiakas"][0]["piilopaikka"] == "***"
    # The structure was found (not masked wholesale): unprotected text stays readable.
    assert body["kuvaus"] == "Tapaaminen toimistolla."


def test_summary_masks_a_schemas_dir_structure_by_its_own_markers(
    run_cli: Run, tmp_store: Path, user_doc: tuple[Path, Path, str]
) -> None:
    doc, schemas, _oid = user_doc
    _archive(run_cli, tmp_store, doc, schemas)
    result = run_cli("--schemas-dir", schemas, "summary", "--client", HETU, "--format", "json",
                     "--store", tmp_store)  # fmt: skip
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)["documents"][0]["content"]["oma_merkinta"]
    assert body["asiakas"][0]["piilopaikka"] == "***"
    assert body["kuvaus"] == "Tapaaminen toimistolla."


def test_without_its_schema_a_protected_document_is_masked_entirely(
    run_cli: Run, tmp_store: Path, user_doc: tuple[Path, Path, str]
) -> None:
    doc, schemas, oid = user_doc
    _archive(run_cli, tmp_store, doc, schemas)
    shown = run_cli("show", oid, "--content", "--store", tmp_store)  # no --schemas-dir
    assert shown.exit_code == 0, shown.output
    assert SECRET_STREET not in shown.output and "Tapaaminen" not in shown.output
