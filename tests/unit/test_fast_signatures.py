"""The direct CDA signature check (lxml c14n + cryptography) gives the same result as
signxml, the reference, on valid and on tampered documents: differential tests. Where the
direct check does not accept a signature, signxml decides, so the results must be equal
field by field (the problem's wording too)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from kanta_archive.formats.cda_common import EP2, HL7
from kanta_archive.formats.cda_writer import render_cda
from kanta_archive.formats.read import read_bytes
from kanta_archive.model import Document
from kanta_archive.schemas import SchemaRegistry
from kanta_archive.signatures.cda_sign import sign_cda
from kanta_archive.signatures.cda_verify import (
    _load_chain,
    _verifies_directly,
    find_signatures,
    verify_cda,
)
from kanta_archive.signatures.testpki import make_ca, make_signer
from kanta_archive.signatures.verify import SigningMaterial, load_signing_material
from kanta_archive.signatures.xml_dsig import DS

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
SIGNED_CDA = [
    p for p in sorted((SAMPLES / "cda").glob("*/*.xml")) if b"signatureCollection" in p.read_bytes()
]
REGISTRY = SchemaRegistry()
NOW = datetime(2024, 6, 10, 11, 20, tzinfo=UTC)
TAMPERING = settings(
    max_examples=80,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _read(data: bytes) -> Document:
    outcome = read_bytes(data, "doc.xml")
    assert outcome.document is not None, outcome.findings
    return outcome.document


def _both_agree(data: bytes) -> None:
    outcome = read_bytes(data, "doc.xml")
    if outcome.document is None:
        return  # unreadable: no signature to check
    assert verify_cda(outcome.document) == verify_cda(outcome.document, reference=True)


@cache
def _material(name: str, expired: bool = False) -> SigningMaterial:
    ca = make_ca("kanta-archive TEST CA for the direct check")
    if expired:
        signer = make_signer(
            ca,
            name,
            not_before=datetime(2020, 1, 1, tzinfo=UTC),
            not_after=datetime(2021, 1, 1, tzinfo=UTC),
        )
    else:
        signer = make_signer(ca, name)
    return load_signing_material(signer.key_pem, signer.cert_pem)


@cache
def _unsigned(name: str) -> bytes:
    doc = json.loads((SAMPLES / "valid" / f"{name}.json").read_text(encoding="utf-8"))
    metadata = {k: v for k, v in doc["metadata"].items() if k != "signature"}
    key = Document("x", "json", b"", metadata, doc["content"]).metadata.schema_key
    structure = REGISTRY.get(*key) if key else None
    return render_cda(metadata, doc["content"], structure.schema if structure else None)


@cache
def _signed(name: str, twice: bool) -> bytes:
    data = sign_cda(_read(_unsigned(name)), _material("Liisa Laine"), NOW)
    if twice:  # a professional and a system signature
        data = sign_cda(_read(data), _material("Järjestelmä"), NOW, signature_type="3")
    return data


@pytest.mark.parametrize("path", SIGNED_CDA, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_direct_check_and_signxml_agree_on_every_signed_cda_sample(path: Path) -> None:
    _both_agree(path.read_bytes())


@pytest.mark.parametrize(
    "path", [p for p in SIGNED_CDA if p.parent.name == "valid"], ids=lambda p: p.name
)
def test_the_direct_check_accepts_each_valid_signature_itself(path: Path) -> None:
    document = _read(path.read_bytes())
    assert document.cda is not None
    for signature in find_signatures(document.cda.document):
        ds = signature.find(DS + "Signature")
        leaf = _load_chain(ds)[0]
        assert _verifies_directly(document.xml.root, ds, signature.get("ID"), leaf)


def test_an_expired_signer_certificate_is_left_to_signxml() -> None:
    data = sign_cda(_read(_unsigned("case-document-open")), _material("Vanha", True), NOW)
    document = _read(data)
    assert document.cda is not None
    (signature,) = find_signatures(document.cda.document)
    ds = signature.find(DS + "Signature")
    assert not _verifies_directly(document.xml.root, ds, signature.get("ID"), _load_chain(ds)[0])
    _both_agree(data)


def _flip(text: str, at: int) -> str:
    if not text:
        return "A"
    at %= len(text)
    return text[:at] + ("B" if text[at] != "B" else "C") + text[at + 1 :]


def _tamper(data: st.DataObject, root: Any) -> None:
    """One change to a signed document: a character of a signed or signature part, an ID,
    white space, text after an element, a second element with an ID, a key value or
    inclusive namespaces the direct check does not take."""
    ds_all = list(root.iter(DS + "Signature"))
    ds = data.draw(st.sampled_from(ds_all), label="signature")
    body = root.find(f"{HL7}component/{HL7}nonXMLBody")
    stamp = ds.getparent().find(EP2 + "signatureTimestamp")
    texts = {
        "body text": body.find(f"{HL7}text"),
        "body json": body.find(f"{EP2}json"),
        "timestamp": stamp,
        "digest": ds.find(f"{DS}SignedInfo/{DS}Reference/{DS}DigestValue"),
        "value": ds.find(f"{DS}SignatureValue"),
        "certificate": ds.find(f"{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate"),
    }
    operation = data.draw(
        st.sampled_from(
            [
                *texts,
                "uri",
                "algorithm",
                "id",
                "tail",
                "ambiguous id",
                "key value",
                "inclusive namespaces",
                "reindent",
                "nothing",
            ]
        ),
        label="operation",
    )
    if operation in texts:
        el = texts[operation]
        el.text = _flip(el.text or "", data.draw(st.integers(0, 10_000), label="at"))
    elif operation == "uri":
        ref = ds.find(f"{DS}SignedInfo/{DS}Reference")
        ref.set("URI", data.draw(st.sampled_from(["", "#x", "##" + ref.get("URI")[1:]])))
    elif operation == "algorithm":
        targets = list(ds.find(DS + "SignedInfo").iter())
        el = data.draw(st.sampled_from([t for t in targets if t.get("Algorithm")]))
        el.set("Algorithm", el.get("Algorithm") + "#x")
    elif operation == "id":
        body.set("ID", body.get("ID") + "x")
    elif operation == "tail":
        el = data.draw(st.sampled_from([ds, body, stamp]), label="after")
        el.tail = (el.tail or "") + data.draw(st.sampled_from([" ", "\n", "junk"]))
    elif operation == "ambiguous id":
        extra = etree.SubElement(root.find(f"{HL7}title").getparent(), f"{HL7}foo")
        name = data.draw(st.sampled_from(["ID", "{urn:x}ID"]), label="attribute")
        extra.set(name, data.draw(st.sampled_from([body.get("ID"), stamp.get("ID")])))
    elif operation == "key value":
        etree.SubElement(ds.find(DS + "KeyInfo"), DS + "KeyValue")
    elif operation == "inclusive namespaces":
        method = ds.find(f"{DS}SignedInfo/{DS}CanonicalizationMethod")
        etree.SubElement(
            method,
            "{http://www.w3.org/2001/10/xml-exc-c14n#}InclusiveNamespaces",
            PrefixList="ep2",
        )
    elif operation == "reindent":
        etree.indent(root, space=data.draw(st.sampled_from(["  ", "\t"])))


@TAMPERING
@given(data=st.data())
def test_the_direct_check_and_signxml_agree_on_a_tampered_document(data: st.DataObject) -> None:
    name = data.draw(
        st.sampled_from(["case-document-open", "disclosure-consent", "client-record-entry"]),
        label="document",
    )
    root = etree.fromstring(_signed(name, data.draw(st.booleans(), label="twice")))
    root = copy.deepcopy(root)
    for _ in range(data.draw(st.integers(1, 2), label="changes")):
        _tamper(data, root)
    _both_agree(etree.tostring(root.getroottree(), encoding="UTF-8", xml_declaration=True))
