"""The CDA form: every metadata item read, parity with JSON, bad input, frame, locations.

Documents are made with the tool's own writer (``render_cda``) from the valid samples,
then changed in one way.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from kanta_archive.formats.cda_common import NOT_IN_CDA, from_ts, to_ts
from kanta_archive.formats.cda_writer import frame_cda, left_out, render_cda
from kanta_archive.formats.read import read_bytes, sniff_format
from kanta_archive.model import Document
from kanta_archive.schemas import SchemaRegistry
from kanta_archive.validate import Validator

ROOT = Path(__file__).resolve().parents[2]
VALID = ROOT / "samples" / "valid"
REGISTRY = SchemaRegistry()
JSON_SAMPLES = sorted(VALID.glob("*.json"))


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator(REGISTRY)


def _json(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VALID / f"{name}.json").read_text(encoding="utf-8"))
    return data


def _cda(metadata: dict[str, Any], content: dict[str, Any]) -> bytes:
    key = Document("x", "json", b"", metadata, content).metadata.schema_key
    structure = REGISTRY.get(*key) if key else None
    return render_cda(metadata, content, structure.schema if structure else None)


def _read(data: bytes) -> Document:
    outcome = read_bytes(data, "doc.xml")
    assert outcome.document is not None, outcome.findings
    return outcome.document


def _keys(validator: Validator, data: bytes) -> set[tuple[str, str, str]]:
    return {f.key() for f in validator.validate_bytes(data, "doc.xml").findings}


def _comparable(metadata: dict[str, Any]) -> dict[str, Any]:
    """The metadata the CDA form carries: without the archive's own fields."""
    result = {k: v for k, v in metadata.items() if k not in NOT_IN_CDA}
    result.pop("storage_format", None)
    if "signature" in result:
        result["signature"] = {
            k: v for k, v in result["signature"].items() if k in ("signer", "signed_at", "method")
        }
    result["clients"] = [
        {k: v for k, v in c.items() if k != "non_disclosure"} for c in result.get("clients", [])
    ]
    return result


# -- every metadata item ------------------------------------------------------------------

FULL_EXTRA: dict[str, Any] = {
    "document_type": {
        "system": "urn:oid:1.2.246.537.6.1506.201701",
        "code": "19",
        "display": "Asiakaskertomusmerkintä",
    },
    "retention_class": {
        "system": "urn:oid:1.2.246.537.6.1258.201601",
        "code": "1",
        "display": "Säilytetään pysyvästi",
    },
    "special_content": {"system": "urn:oid:1.2.246.537.6.112.2007", "code": "E", "display": "Ei"},
    "software": {"moderator": "Esimerkki Oy", "product": "Asiakas", "version": "11.7"},
    "organiser": {"oid": "1.2.246.10.91000013", "name": "Esimerkkilän hyvinvointialue"},
    "responsible_organisation_oid": "1.2.246.10.91000013.10.2",
    "service_process": {
        "type": {"system": "urn:oid:1.2.246.537.6.1277.201701", "code": "1", "display": "A"},
        "code": {"system": "urn:oid:1.2.246.537.6.1277.201701", "code": "2", "display": "B"},
    },
    "minor_consent": {"system": "urn:oid:1.2.246.537.6.1286.201901", "code": "1", "display": "K"},
    "restriction_reason": "Asiakkaan pyynnöstä",
    "inaccessible_reason": {
        "system": "urn:oid:1.2.246.537.6.1288.201901",
        "code": "1",
        "display": "Vaarantaa terveyden",
    },
    "previous_version_oid": "1.2.246.10.91000013.11.2002.1",
    "version": 2,
    "customership_oid": "1.2.246.10.91000013.30.9",
    "case_oid": "1.2.246.10.91000013.31.9",
}


def _full() -> tuple[dict[str, Any], dict[str, Any]]:
    doc = _json("client-record-entry")
    metadata = {**doc["metadata"], **copy.deepcopy(FULL_EXTRA)}
    metadata["controller"] = {"oid": "1.2.246.10.91000013", "name": "Esimerkkilän hva"}
    metadata["signature"] = {
        "signer": "Liisa Laine",
        "signed_at": "2024-06-12T08:00:00Z",
        "method": {"system": "urn:oid:1.2.246.537.5.40128.2006", "code": "1", "display": "X"},
    }
    return metadata, doc["content"]


def _all_fields() -> list[str]:
    metadata, _ = _full()
    return sorted(k for k in metadata if k not in NOT_IN_CDA and k != "storage_format")


@pytest.mark.parametrize("field", _all_fields())
def test_each_metadata_item_survives_the_cda_form(field: str) -> None:
    metadata, content = _full()
    document = _read(_cda(metadata, content))
    assert _comparable(dict(document.metadata_raw))[field] == _comparable(metadata)[field]


def test_the_cda_form_says_cda_as_its_storage_format() -> None:
    metadata, content = _full()
    assert _read(_cda(metadata, content)).metadata_raw["storage_format"] == "cda"


def test_a_cda_document_is_sniffed_as_cda_also_after_comments() -> None:
    metadata, content = _full()
    data = _cda(metadata, content)
    assert sniff_format(data) == "cda"
    commented = data.replace(b"?>", b"?>\n<!-- <html> -->", 1)
    assert sniff_format(commented) == "cda"
    assert sniff_format(b"<html xmlns='http://www.w3.org/1999/xhtml'/>") == "xhtml"


@pytest.mark.parametrize(
    ("iso", "ts"),
    [
        ("2024-06-10T14:20:00+03:00", "20240610142000+0300"),
        ("2024-06-10T14:20+03:00", "202406101420+0300"),
        ("2024-06-10T11:20:00Z", "20240610112000+0000"),
        ("2024-06-10T11:20:00.25-01:30", "20240610112000.25-0130"),
    ],
)
def test_times_read_back_from_hl7_time_stamps(iso: str, ts: str) -> None:
    assert to_ts(iso) == ts
    assert from_ts(ts) == iso


def test_a_language_code_in_capitals_reads_as_the_model_language() -> None:
    metadata, content = _full()
    data = _cda(metadata, content).replace(
        b'<languageCode code="fi"/>', b'<languageCode code="FI"/>'
    )
    assert _read(data).metadata_raw["language"] == "fi"


# -- parity with the JSON form ------------------------------------------------------------


@pytest.mark.parametrize("path", JSON_SAMPLES, ids=lambda p: p.stem)
def test_a_sample_reads_to_the_same_model_as_cda(path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    document = _read(_cda(doc["metadata"], doc["content"]))
    assert dict(document.content) == doc["content"]
    assert _comparable(dict(document.metadata_raw)) == _comparable(doc["metadata"])


def test_render_to_cda_names_what_it_leaves_out() -> None:
    metadata = _json("client-record-entry-common-matter")["metadata"]
    assert "/metadata/common_matter_oid" in left_out(metadata)
    assert left_out({"clients": [{"hetu": "x", "non_disclosure": True}]}) == [
        "/metadata/clients/0/non_disclosure"
    ]


@pytest.mark.parametrize(
    "change",
    [
        lambda m, c: m.update(effective_time="2024-07-01T10:00:00+03:00"),  # after created
        lambda m, c: m["controller"].update(oid="1.2.246.10.91000021"),  # not the producer
        lambda m, c: m["specific_document_type"].update(code="4"),
        lambda m, c: m.update(version=2),  # no previous version
        lambda m, c: m.update(language="de"),
        lambda m, c: c["merkinta_tapaamisesta_tai_yhteydenotosta"].update(extra="x"),
        lambda m, c: m.update(structure="1.2.246.537.6.1506.19005.2099.1.1"),
    ],
    ids=[
        "time-order",
        "controller",
        "document-type",
        "version-chain",
        "language",
        "content",
        "unknown-structure",
    ],
)
def test_a_defect_gets_the_same_findings_in_json_and_cda(validator: Validator, change: Any) -> None:
    doc = _json("client-record-entry")
    metadata, content = copy.deepcopy(doc["metadata"]), copy.deepcopy(doc["content"])
    change(metadata, content)
    as_json = json.dumps({"metadata": metadata, "content": content}).encode()
    json_keys = {f.key() for f in validator.validate_bytes(as_json, "doc.json").findings}
    metadata.pop("status")
    assert _keys(validator, _cda(metadata, content)) == json_keys
    assert any(severity == "error" for _, severity, _ in json_keys)


# -- bad input ------------------------------------------------------------------------------


def _valid_cda() -> bytes:
    doc = _json("client-record-entry")
    return _cda(doc["metadata"], doc["content"])


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data)


def _sub(pattern: bytes, replacement: bytes, data: bytes) -> bytes:
    new, count = re.subn(pattern, replacement, data, count=1, flags=re.DOTALL)
    assert count == 1
    return new


@pytest.mark.parametrize(
    ("edit", "code"),
    [
        (
            lambda d: _sub(rb"<ep2:json>.*?</ep2:json>", b"<ep2:json>@@@</ep2:json>", d),
            "KA-CDA-BASE64",
        ),
        (
            lambda d: _sub(rb'B64">.*?</text>', b'B64">' + b"A" * 5 + b"</text>", d),
            "KA-CDA-BASE64",
        ),
        (
            lambda d: _sub(
                rb"<ep2:json>.*?</ep2:json>", b"<ep2:json>" + _b64(b"[1, 2") + b"</ep2:json>", d
            ),
            "KA-CDA-JSON",
        ),
        (
            lambda d: _sub(
                rb"<ep2:json>.*?</ep2:json>", b"<ep2:json>" + _b64(b"[1, 2]") + b"</ep2:json>", d
            ),
            "KA-CDA-JSON",
        ),
        (
            lambda d: _sub(
                rb"<ep2:json>.*?</ep2:json>",
                b"<ep2:json>" + _b64(b'{"a": 1, "a": 2}') + b"</ep2:json>",
                d,
            ),
            "KA-CDA-JSON",
        ),
        (
            lambda d: _sub(
                rb"<ep2:json>.*?</ep2:json>", b"<ep2:json>" + _b64(b"\xff\xfe") + b"</ep2:json>", d
            ),
            "KA-CDA-JSON",
        ),
        (
            lambda d: _sub(rb'B64">.*?</text>', b'B64">' + _b64(b"<div><p></div>") + b"</text>", d),
            "KA-CDA-DISPLAY",
        ),
        (
            lambda d: _sub(
                rb'B64">.*?</text>',
                b'B64">' + _b64(b"<p xmlns='http://www.w3.org/1999/xhtml'/>") + b"</text>",
                d,
            ),
            "KA-CDA-DISPLAY",
        ),
        (
            lambda d: _sub(
                rb'B64">.*?</text>',
                b'B64">'
                + _b64(
                    b'<!DOCTYPE d [<!ENTITY a "aaaa">]><div xmlns="http://www.w3.org/1999/xhtml">&a;</div>'
                )
                + b"</text>",
                d,
            ),
            "KA-CDA-DISPLAY",
        ),
        (
            lambda d: d.replace(b"?>", b'?>\n<!DOCTYPE x SYSTEM "file:///etc/passwd">', 1),
            "KA-XML-FORBIDDEN",
        ),
        (lambda d: _sub(rb"<component>.*</component>", b"", d), "KA-DOCUMENT-SHAPE"),
        (
            lambda d: _sub(rb"<ep2:localSocialHeader>.*</ep2:localSocialHeader>", b"", d),
            "KA-DOCUMENT-SHAPE",
        ),
        (
            lambda d: _sub(rb'mediaType="application/xhtml\+xml"', b'mediaType="text/plain"', d),
            "KA-DOCUMENT-SHAPE",
        ),
        (lambda d: d.replace(b"</ClinicalDocument>", b""), "KA-XML-SYNTAX"),
    ],
    ids=[
        "json-not-base64",
        "text-not-base64",
        "json-cut-off",
        "json-not-an-object",
        "json-duplicate-member",
        "json-not-utf8",
        "display-not-well-formed",
        "display-not-a-div",
        "display-with-entities",
        "doctype",
        "no-body",
        "no-local-header",
        "display-media-type",
        "cut-off",
    ],
)
def test_bad_input_is_one_finding_never_a_traceback(
    validator: Validator, edit: Any, code: str
) -> None:
    result = validator.validate_bytes(edit(_valid_cda()), "doc.xml")
    assert [f.code for f in result.findings] == [code]


def test_a_missing_content_specification_id_is_a_schema_finding(validator: Validator) -> None:
    data = _sub(
        rb"\s*<ep2:contentSpecificationId>[^<]*</ep2:contentSpecificationId>", b"", _valid_cda()
    )
    assert ("KA-META-SCHEMA", "error", "/metadata") in _keys(validator, data)


def test_an_unknown_content_specification_id_is_an_unknown_structure(validator: Validator) -> None:
    data = _sub(
        rb"(<ep2:contentSpecificationId>)[^<]*",
        rb"\g<1>1.2.246.537.6.1506.19005.2001.1.1",
        _valid_cda(),
    )
    assert ("KA-STRUCTURE-UNKNOWN", "error", "/metadata/structure") in _keys(validator, data)


def test_an_envelope_error_names_the_cda_element(validator: Validator) -> None:
    data = _valid_cda().replace(b'extension="POCD_HD000040"', b'extension="POCD_HD000041"')
    findings = validator.validate_bytes(data, "doc.xml").findings
    [envelope] = [f for f in findings if f.code == "KA-CDA-SCHEMA"]
    assert envelope.location.xpath == "/hl7:ClinicalDocument/hl7:typeId"
    assert envelope.location.line == 4


# -- locations --------------------------------------------------------------------------------


def test_a_content_finding_points_into_the_decoded_json(validator: Validator) -> None:
    doc = _json("client-record-entry")
    doc["content"]["merkinta_tapaamisesta_tai_yhteydenotosta"]["extra"] = "x"
    findings = validator.validate_bytes(_cda(doc["metadata"], doc["content"]), "d.xml").findings
    [schema] = [f for f in findings if f.code == "KA-CONTENT-SCHEMA"]
    assert schema.location.pointer == "/content/merkinta_tapaamisesta_tai_yhteydenotosta"
    assert schema.location.xpath is not None
    assert schema.location.xpath.endswith("/ep2:json (decoded JSON)")
    assert (schema.location.line, schema.location.column) == (2, 3)


def test_a_metadata_finding_points_at_the_cda_element(validator: Validator) -> None:
    doc = _json("client-record-entry")
    doc["metadata"]["controller"]["oid"] = "1.2.246.10.91000021"
    findings = validator.validate_bytes(_cda(doc["metadata"], doc["content"]), "d.xml").findings
    [controller] = [f for f in findings if f.code == "KA-CONTROLLER-PRIVATE"]
    assert controller.location.xpath == (
        "/hl7:ClinicalDocument/hl7:custodian/hl7:assignedCustodian"
        "/hl7:representedCustodianOrganization/hl7:id"
    )
    assert controller.location.line is not None


# -- consistency -----------------------------------------------------------------------------


def test_a_body_id_of_another_document_is_refused(validator: Validator) -> None:
    data = _sub(rb'(<nonXMLBody ID=")[^"]*', rb"\g<1>OID1.2.3", _valid_cda())
    assert ("KA-CDA-BODY-ID", "error", "/metadata/document_oid") in _keys(validator, data)


def test_a_content_client_missing_from_the_header_is_refused(validator: Validator) -> None:
    data = _sub(rb'(root="1.2.246.21" extension=")[^"]*', rb"\g<1>311299-9628", _valid_cda())
    assert any(code == "KA-CLIENT-MISMATCH" for code, _, _ in _keys(validator, data))


# -- the frame -----------------------------------------------------------------------------


def _framed(**kw: str) -> bytes:
    args = {
        "message_id": "1.2.246.10.91000013.99.1",
        "created": "2024-06-12T10:00:00+03:00",
        "service_request": "SP1",
        "usage_situation": "1",
    }
    args.update(kw)
    return frame_cda(_valid_cda(), **args)


def test_a_framed_document_reads_as_the_document(validator: Validator) -> None:
    framed, alone = _read(_framed()), _read(_valid_cda())
    assert dict(framed.metadata_raw) == dict(alone.metadata_raw)
    assert framed.cda is not None and framed.cda.frame is not None
    assert _keys(validator, _framed()) == _keys(validator, _valid_cda())


@pytest.mark.parametrize(
    ("old", "new", "pointer"),
    [
        (rb'(<clinicalDocument>.*?<id root=")[^"]*', rb"\g<1>1.2.3", "/frame/id"),
        (rb'(<clinicalDocument>.*?<setId root=")[^"]*', rb"\g<1>1.2.3", "/frame/setId"),
        (rb'(<clinicalDocument>.*?<versionNumber value=")1', rb"\g<1>2", "/frame/versionNumber"),
        (rb'(<clinicalDocument>.*?extension=")[^"]*', rb"\g<1>311299-9628", "/frame/recordTarget"),
        (
            rb"(<clinicalDocument>.*?<representedCustodianOrganization>\s*<id root=\")[^\"]*",
            rb"\g<1>1.2.246.10.91000021",
            "/frame/custodian",
        ),
        (rb'\s*<reasonCode code="SP1"[^>]*/>', b"", "/frame/reasonCode"),
    ],
    ids=["id", "set", "version", "client", "custodian", "service-request"],
)
def test_a_frame_that_disagrees_with_its_document_is_refused(
    validator: Validator, old: bytes, new: bytes, pointer: str
) -> None:
    keys = _keys(validator, _sub(old, new, _framed()))
    assert ("KA-CDA-FRAME", "error", pointer) in keys


def test_a_frame_with_two_documents_is_refused(validator: Validator) -> None:
    framed = _framed()
    doc = _valid_cda().split(b"?>", 1)[1]
    twice = framed.replace(b"</subject>", doc + b"</subject>", 1)
    assert [f.code for f in validator.validate_bytes(twice, "m.xml").findings] == [
        "KA-DOCUMENT-SHAPE"
    ]
