"""The JSON and the XHTML form of one document get the same findings, also when it is defective.

Each test writes one document in both forms, checks that the XHTML form reads back to the
same model as the JSON form, and that both get the same finding keys (code, severity, JSON
Pointer).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import pytest
from lxml import etree

from kanta_archive.formats.read import read_bytes
from kanta_archive.formats.xhtml_common import KA, XHTML
from kanta_archive.formats.xhtml_writer import render_xhtml
from kanta_archive.generate import (
    _signing_material,
    generate_documents,
    sign_xhtml_bytes,
    signature_required,
)
from kanta_archive.identifiers import parse_datetime
from kanta_archive.schemas import SchemaRegistry, StructureSchema
from kanta_archive.signatures.json_jws import sign_json
from kanta_archive.validate import Validator

REGISTRY = SchemaRegistry()
STRUCTURES = REGISTRY.structures()
VALIDATOR = Validator(REGISTRY)
SEEDS = 8

THIS_FORM = "\x00this-form"
OTHER_FORM = "\x00other-form"

Path = tuple[str | int, ...]
Key = tuple[str, str, str]


@cache
def _generated(index: int, seed: int) -> Mapping[str, Any]:
    _stem, document = next(generate_documents(STRUCTURES[index], 1, seed, REGISTRY))
    return document


# -- the two forms ---------------------------------------------------------------------------


def _with_format(metadata: Mapping[str, Any], form: str) -> dict[str, Any]:
    other = "xhtml" if form == "json" else "json"
    written = dict(metadata)
    if "storage_format" in written:
        declared = written["storage_format"]
        written["storage_format"] = {THIS_FORM: form, OTHER_FORM: other}.get(declared, declared)
    return written


def _declare_format(data: bytes, declared: str) -> bytes:
    root = etree.fromstring(data)
    root.find(f"{XHTML}head/{KA}metadata/{KA}storage_format").text = declared
    patched: bytes = etree.tostring(root.getroottree(), encoding="UTF-8", xml_declaration=True)
    return patched


def both_forms(
    metadata: Mapping[str, Any], content: Mapping[str, Any], structure: StructureSchema, at: str
) -> tuple[bytes, bytes]:
    """The JSON and the XHTML form of one document; signed (at ``at``) if the structure says so.

    Signing writes the metadata ``signature`` block in both forms alike.
    """
    signed = signature_required(structure)
    whole: dict[str, Any] = {"metadata": _with_format(metadata, "json"), "content": content}
    if signed:
        whole = sign_json(whole, _signing_material(), parse_datetime(at))
    as_json = (json.dumps(whole, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    as_xhtml = render_xhtml(_with_format(metadata, "xhtml"), content, structure.schema)
    if metadata.get("storage_format", THIS_FORM) != THIS_FORM:
        # The writer always declares the form it writes; a wrong declaration is patched in.
        as_xhtml = _declare_format(as_xhtml, _with_format(metadata, "xhtml")["storage_format"])
    if signed:
        as_xhtml = sign_xhtml_bytes(as_xhtml, whole["metadata"]["signature"]["signed_at"])
    return as_json, as_xhtml


def _model(data: bytes, source: str) -> dict[str, Any]:
    outcome = read_bytes(data, source)
    assert outcome.document is not None, outcome.findings
    metadata = {k: v for k, v in outcome.document.metadata_raw.items() if k != "storage_format"}
    return {"metadata": metadata, "content": outcome.document.content}


def keys(data: bytes, source: str) -> set[Key]:
    """The finding keys of one document."""
    return {f.key() for f in VALIDATOR.validate_bytes(data, source).findings}


def assert_same_findings(
    metadata: Mapping[str, Any],
    content: Mapping[str, Any],
    structure: StructureSchema,
    at: str = "2024-06-01T10:00:00Z",
) -> set[Key]:
    """Write both forms, check they hold the same model and get the same finding keys."""
    as_json, as_xhtml = both_forms(metadata, content, structure, at)
    assert _model(as_xhtml, "doc.xhtml") == _model(as_json, "doc.json"), "not the same model"
    found = keys(as_json, "doc.json")
    assert keys(as_xhtml, "doc.xhtml") == found
    return found


# -- one defect at a time: the discrepancies the mutation test below found -------------------

UNSIGNED = 0  # STRUCTURES[0], the client record entry, needs no signature


def _document(where: Callable[[Mapping[str, Any]], bool]) -> dict[str, Any]:
    """A copy of the first generated client record entry whose metadata satisfies ``where``."""
    assert not signature_required(STRUCTURES[UNSIGNED])
    for seed in range(50):
        generated = _generated(UNSIGNED, seed)
        if where(generated["metadata"]):
            document = copy.deepcopy(dict(generated))
            document["metadata"]["storage_format"] = THIS_FORM
            return document
    raise AssertionError("no generated document fits")


def _same_findings(document: Mapping[str, Any]) -> set[Key]:
    return assert_same_findings(document["metadata"], document["content"], STRUCTURES[UNSIGNED])


def test_a_malformed_previous_version_oid_gets_one_finding_in_both_forms() -> None:
    # An XSD assertion is a rule: it does not report a value that fails its schema again.
    document = _document(lambda m: m["version"] == 1)
    document["metadata"]["previous_version_oid"] = "1.2.03"
    found = _same_findings(document)
    assert ("KA-META-SCHEMA", "error", "/metadata/previous_version_oid") in found
    assert ("KA-VERSION-CHAIN", "error", "/metadata/previous_version_oid") not in found


def test_the_controller_rules_skip_a_document_without_controller_type_in_both_forms() -> None:
    for funding in ("purchased_service", "private_contract"):
        document = _document(lambda m, f=funding: m["service_funding"] == f)  # type: ignore[misc]
        del document["metadata"]["controller"]["type"]
        found = _same_findings(document)
        assert ("KA-META-SCHEMA", "error", "/metadata/controller") in found
        assert not {"KA-CONTROLLER-PUBLIC", "KA-CONTROLLER-PRIVATE"} & {c for c, _, _ in found}


def test_the_controller_rules_compare_absent_oids_alike_in_both_forms() -> None:
    # One OID absent: not the same organisation; both absent: the same, as in the rule.
    document = _document(lambda m: m["service_funding"] == "purchased_service")
    del document["metadata"]["producer_oid"]
    assert ("KA-CONTROLLER-PUBLIC", "error", "/metadata/controller/type") not in _same_findings(
        document
    )
    del document["metadata"]["controller"]["oid"]
    assert ("KA-CONTROLLER-PUBLIC", "error", "/metadata/controller/type") in _same_findings(
        document
    )
    document = _document(lambda m: m["service_funding"] == "private_contract")
    del document["metadata"]["controller"]["oid"], document["metadata"]["producer_oid"]
    assert ("KA-CONTROLLER-PRIVATE", "error", "/metadata/controller") not in _same_findings(
        document
    )


def test_a_version_of_any_size_gets_the_same_findings_in_both_forms() -> None:
    # The reader took at most 18 digits: a bigger integer became text, and a schema error.
    document = _document(lambda m: m["version"] > 1)
    for version in (10**18, 2**64, 10**40):
        document["metadata"]["version"] = version
        found = _same_findings(document)
        assert not any(pointer == "/metadata/version" for _, _, pointer in found)


@pytest.mark.parametrize("version", ["١", "\u00a01", "1\u2028"])
def test_a_version_in_other_digits_or_white_space_gets_the_same_findings_in_both_forms(
    version: str,
) -> None:
    # Python's int() reads them, XML Schema's integer does not: a string in both forms.
    document = _document(lambda m: m["version"] == 1 and "previous_version_oid" not in m)
    document["metadata"]["version"] = version
    found = _same_findings(document)
    assert ("KA-META-SCHEMA", "error", "/metadata/version") in found


@pytest.mark.parametrize("flag", ["\u00a0true", "false\u2028"])
def test_patient_data_in_other_white_space_gets_the_same_findings_in_both_forms(flag: str) -> None:
    document = _document(lambda m: True)
    document["metadata"]["patient_data"] = flag
    assert ("KA-META-SCHEMA", "error", "/metadata/patient_data") in _same_findings(document)


@pytest.mark.parametrize("version", [0, -1, "+2", "٢", "\u00a02"])
def test_the_version_chain_skips_a_version_the_rule_cannot_read_in_both_forms(
    version: int | str,
) -> None:
    # The XSD assertion took '+2', '٢' and ' 2' as version 2, and checked version 0 too.
    document = _document(lambda m: m["version"] == 1 and "previous_version_oid" not in m)
    document["metadata"]["version"] = version
    found = _same_findings(document)
    assert ("KA-META-SCHEMA", "error", "/metadata/version") in found
    assert ("KA-VERSION-CHAIN", "error", "/metadata/previous_version_oid") not in found


@pytest.mark.parametrize(
    "created",
    [
        " 2024-01-01T10:00:00Z",
        "2024-01-01T10:00:00Z\n",
        "2024-01-01T10:00:00",
        "2024-01-01T24:00:00Z",
        "0000-01-01T10:00:00Z",
    ],
)
def test_the_time_order_skips_a_creation_time_the_rule_cannot_read_in_both_forms(
    created: str,
) -> None:
    # The XSD assertion compared every pair castable as xs:dateTime; the rule does not.
    document = _document(lambda m: True)
    document["metadata"]["created"] = created
    document["metadata"]["effective_time"] = "2024-06-01T10:00:00Z"
    found = _same_findings(document)
    assert ("KA-TIME-ORDER", "error", "/metadata/effective_time") not in found


def test_the_time_order_compares_readable_times_in_both_forms() -> None:
    document = _document(lambda m: True)
    document["metadata"]["created"] = "2024-06-01T10:00:00.000001+03:00"
    for effective, late in (
        ("2024-06-01T07:00:00.000002Z", True),
        ("2024-06-01T07:00Z", False),
        ("2024-06-01T07:01+00:00", True),
    ):
        document["metadata"]["effective_time"] = effective
        found = _same_findings(document)
        assert (("KA-TIME-ORDER", "error", "/metadata/effective_time") in found) is late
