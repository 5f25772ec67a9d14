"""CDA signatures: sign and verify, several signatures, types, trust, DVV-style
certificates, tampering and the white-space diagnosis. Keys and certificates are made
here (signatures/testpki.py), never the sample keys."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtensionOID

from kanta_archive.formats.cda_writer import render_cda
from kanta_archive.formats.read import read_bytes
from kanta_archive.model import Document
from kanta_archive.schemas import SchemaRegistry
from kanta_archive.signatures import sign_document, verify_document
from kanta_archive.signatures.cda_sign import sign_cda
from kanta_archive.signatures.testpki import (
    NOT_AFTER,
    NOT_BEFORE,
    PkiIdentity,
    make_ca,
    make_signer,
)
from kanta_archive.signatures.verify import SigningError, SigningMaterial, load_signing_material
from kanta_archive.validate import Validator

VALID = Path(__file__).resolve().parents[2] / "samples" / "valid"
NOW = datetime(2024, 6, 10, 11, 20, tzinfo=UTC)
REGISTRY = SchemaRegistry()


@dataclass(frozen=True)
class Pki:
    ca: PkiIdentity
    professional: SigningMaterial
    system: SigningMaterial
    other_ca: PkiIdentity


def _material(identity: PkiIdentity, *chain: PkiIdentity) -> SigningMaterial:
    return load_signing_material(
        identity.key_pem, identity.cert_pem + b"".join(c.cert_pem for c in chain)
    )


@pytest.fixture(scope="module")
def pki() -> Pki:
    ca = make_ca("TEST Social Welfare and Healthcare Prof. Certs - G2R")
    return Pki(
        ca,
        _material(make_signer(ca, "Liisa Laine")),
        _material(make_signer(ca, "Esimerkki Oy järjestelmä")),
        make_ca("kanta-archive TEST other CA"),
    )


def _unsigned(name: str = "case-document-open") -> bytes:
    doc = json.loads((VALID / f"{name}.json").read_text(encoding="utf-8"))
    metadata = {k: v for k, v in doc["metadata"].items() if k != "signature"}
    key = Document("x", "json", b"", metadata, doc["content"]).metadata.schema_key
    structure = REGISTRY.get(*key) if key else None
    return render_cda(metadata, doc["content"], structure.schema if structure else None)


def _read(data: bytes) -> Document:
    outcome = read_bytes(data, "doc.xml")
    assert outcome.document is not None, outcome.findings
    return outcome.document


def _signed(pki: Pki, data: bytes | None = None, **kw: Any) -> bytes:
    return sign_cda(_read(data or _unsigned()), kw.pop("material", pki.professional), NOW, **kw)


def _codes(data: bytes, *anchors: bytes) -> list[str]:
    result = Validator(REGISTRY, trust_anchors=anchors).validate_bytes(data, "doc.xml")
    return [f.code for f in result.findings if f.severity.value == "error"]


def test_a_signed_cda_document_verifies_and_the_metadata_names_the_signer(pki: Pki) -> None:
    signed = _signed(pki)
    document = _read(signed)
    check = verify_document(document)
    assert (check.present, check.valid, check.signer) == (True, True, "Liisa Laine")
    assert check.signed_at == "2024-06-10T11:20:00Z"
    assert document.metadata_raw["signature"]["signer"] == "Liisa Laine"
    assert document.metadata_raw["signature"]["type"]["code"] == "1"
    assert _codes(signed, pki.ca.cert_pem) == []


def test_the_signature_is_exclusive_c14n_rsa_sha256_over_the_body_and_its_timestamp(
    pki: Pki,
) -> None:
    text = _signed(pki).decode("utf-8")
    assert 'CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"' in text
    assert 'SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"' in text
    uris = re.findall(r'Reference URI="([^"]+)"', text)
    body = re.search(r'<nonXMLBody ID="([^"]+)"', text)
    stamp = re.search(r'<signatureTimestamp ID="([^"]+)"', text)
    assert body and stamp and uris == [f"#{body.group(1)}", f"#{stamp.group(1)}"]


def test_the_sign_command_path_signs_cda_through_sign_document(pki: Pki) -> None:
    signed = sign_document(_read(_unsigned()), pki.professional, NOW)
    assert verify_document(_read(signed)).valid


def test_a_system_signature_is_type_3_and_keeps_the_professional_signer(pki: Pki) -> None:
    twice = _signed(pki, _signed(pki), material=pki.system, signature_type="3")
    document = _read(twice)
    assert twice.count(b"<signatureDescription") == 2
    assert b'code="3" codeSystem="1.2.246.537.5.40127"' in twice
    check = verify_document(document)
    assert check.valid and check.signer == "Liisa Laine"  # the professional one speaks
    assert document.metadata_raw["signature"]["signer"] == "Liisa Laine"
    assert _codes(twice, pki.ca.cert_pem) == []


def test_every_signature_is_verified_and_a_broken_one_is_named(pki: Pki) -> None:
    twice = _signed(pki, _signed(pki), material=pki.system, signature_type="3")
    # Break the second signature's value only.
    values = list(re.finditer(rb"<ds:SignatureValue>([^<]+)</ds:SignatureValue>", twice))
    start, end = values[1].span(1)
    value = bytearray(base64.b64decode(twice[start:end]))
    value[0] ^= 1
    broken = twice[:start] + base64.b64encode(bytes(value)) + twice[end:]
    check = verify_document(_read(broken))
    assert not check.valid
    assert check.problem is not None and "signature2 (system)" in check.problem


@pytest.mark.parametrize("code", ["2", "9"])
def test_an_unknown_signature_type_is_refused(pki: Pki, code: str) -> None:
    signed = _signed(pki).replace(
        b'signatureDescription code="1"', f'signatureDescription code="{code}"'.encode()
    )
    assert _codes(signed) == ["KA-SIGNATURE-INVALID"]


def test_a_signature_type_other_than_1_or_3_cannot_be_made(pki: Pki) -> None:
    with pytest.raises(SigningError):
        _signed(pki, signature_type="2")


def _decoded_part(data: bytes, tag: bytes) -> tuple[int, int, bytes]:
    match = re.search(tag + rb">([^<]+)<", data)
    assert match is not None
    return match.start(1), match.end(1), base64.b64decode(b"".join(match.group(1).split()))


@pytest.mark.parametrize(
    "tag",
    [rb"<ep2:json", rb'<text mediaType="application/xhtml\+xml" representation="B64"'],
    ids=["json", "xhtml"],
)
def test_one_byte_changed_in_a_decoded_form_breaks_the_signature(pki: Pki, tag: bytes) -> None:
    signed = _signed(pki)
    start, end, decoded = _decoded_part(signed, tag)
    i = decoded.index(b"a")  # a letter inside a value, not markup
    changed = decoded[:i] + b"e" + decoded[i + 1 :]
    tampered = signed[:start] + base64.b64encode(changed) + signed[end:]
    check = verify_document(_read(tampered))
    assert not check.valid
    assert check.problem is not None and "changed after signing" in check.problem
    assert "white space" not in check.problem


def test_white_space_changed_between_elements_after_signing_is_said_so(pki: Pki) -> None:
    signed = _signed(pki)
    pretty = re.sub(rb"(</text>)\s*(<ep2:json>)", rb"\1\n\n    \2", signed, count=1)
    check = verify_document(_read(pretty))
    assert not check.valid and check.problem is not None
    assert "only because the white space between elements was changed" in check.problem


def test_a_compact_signed_document_pretty_printed_afterwards_is_said_so(pki: Pki) -> None:
    from lxml import etree

    compact = etree.tostring(etree.fromstring(_unsigned(), etree.XMLParser(remove_blank_text=True)))
    signed = _signed(pki, compact)
    root = etree.fromstring(signed)
    etree.indent(root, space="  ")
    check = verify_document(_read(etree.tostring(root, xml_declaration=True, encoding="UTF-8")))
    assert not check.valid and check.problem is not None
    assert "white space between elements" in check.problem


def test_the_timestamp_changed_after_signing_breaks_the_signature(pki: Pki) -> None:
    signed = _signed(pki).replace(b">2024-06-10T11:20:00Z<", b">2024-06-10T11:21:00Z<")
    check = verify_document(_read(signed))
    assert not check.valid and check.problem is not None and "#timestamp1" in check.problem


def test_a_signature_referencing_something_else_is_refused(pki: Pki) -> None:
    signed = _signed(pki)
    moved = re.sub(rb'Reference URI="#timestamp1"', b'Reference URI="#signature1"', signed)
    check = verify_document(_read(moved))
    assert not check.valid and check.problem is not None and "reference" in check.problem


def test_the_certificate_must_chain_to_the_trust_anchor(pki: Pki) -> None:
    signed = _signed(pki)
    assert _codes(signed, pki.ca.cert_pem) == []
    assert _codes(signed, pki.other_ca.cert_pem) == ["KA-SIGNATURE-UNTRUSTED"]


def test_a_signature_needs_an_rsa_key(pki: Pki) -> None:
    ec_signer = make_signer(pki.ca, "EC Signer", kind="ec")
    with pytest.raises(SigningError, match="RSA"):
        _signed(pki, material=_material(ec_signer))


# -- DVV-style certificates: extensions cryptography refuses ------------------------------


def _dvv_style(ca: PkiIdentity, name: str) -> SigningMaterial:
    """A signer certificate whose certificate policies extension is not valid DER, as some
    DVV test certificates carry extensions that ``cryptography`` refuses to parse."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(
            x509.UnrecognizedExtension(ExtensionOID.CERTIFICATE_POLICIES, b"\x30\x03\x02\x01"),
            critical=False,
        )
        .sign(ca.key, hashes.SHA256())
    )
    return SigningMaterial(key, (cert,))


@pytest.fixture(scope="module")
def dvv(pki: Pki) -> SigningMaterial:
    material = _dvv_style(pki.ca, "Doris DVV-tyyli")
    with pytest.raises(ValueError):
        _ = material.certificate.extensions  # cryptography refuses to parse them
    return material


def test_a_dvv_style_certificate_signs_and_verifies(pki: Pki, dvv: SigningMaterial) -> None:
    signed = _signed(pki, material=dvv)
    check = verify_document(_read(signed))
    assert check.valid and check.signer == "Doris DVV-tyyli"


def test_a_dvv_style_certificate_is_trusted_through_its_issuer(
    pki: Pki, dvv: SigningMaterial
) -> None:
    signed = _signed(pki, material=dvv)
    assert _codes(signed, pki.ca.cert_pem) == []
    assert _codes(signed, pki.other_ca.cert_pem) == ["KA-SIGNATURE-UNTRUSTED"]


def test_a_dvv_style_certificate_out_of_its_validity_is_not_trusted(pki: Pki) -> None:
    material = _dvv_style(pki.ca, "Vanha Varmenne")
    signed = sign_cda(_read(_unsigned()), material, datetime(2050, 1, 1, tzinfo=UTC))
    codes = _codes(signed, pki.ca.cert_pem)
    assert "KA-SIGNATURE-UNTRUSTED" in codes


def test_signing_keeps_the_document_readable_and_otherwise_the_same(pki: Pki) -> None:
    before, after = _read(_unsigned()), _read(_signed(pki))
    assert dict(after.content) == dict(before.content)
    meta_before = {k: v for k, v in before.metadata_raw.items() if k != "signature"}
    meta_after = {k: v for k, v in after.metadata_raw.items() if k != "signature"}
    assert meta_after == meta_before
