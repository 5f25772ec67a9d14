"""Document signatures: JWS for JSON, XAdES-BES for XHTML, and the signature rule's findings.

Every key and certificate here is generated at test time (kanta_archive.signatures.testpki).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kanta_archive.findings import Severity
from kanta_archive.formats.read import read_bytes
from kanta_archive.model import Document
from kanta_archive.render import render
from kanta_archive.signatures import sign_document, verify_document
from kanta_archive.signatures.testpki import PkiIdentity, make_ca, make_signer
from kanta_archive.signatures.verify import (
    SigningError,
    SigningMaterial,
    certificate_sha256,
    load_signing_material,
)
from kanta_archive.signatures.xml_dsig import sign_xhtml
from kanta_archive.validate import Validator

ROOT = Path(__file__).resolve().parents[2]
VALID = ROOT / "samples" / "valid"
KEYS = ROOT / "samples" / "keys"
NOW = datetime(2024, 7, 8, 7, 30, tzinfo=UTC)
FORMATS = ("json", "xhtml")


@pytest.fixture(scope="module")
def ca() -> PkiIdentity:
    return make_ca()


@pytest.fixture(scope="module")
def other_ca() -> PkiIdentity:
    return make_ca("kanta-archive TEST other CA")


@pytest.fixture(scope="module")
def signer(ca: PkiIdentity) -> PkiIdentity:
    return make_signer(ca, "Antti Niemi")


@pytest.fixture(scope="module")
def material(signer: PkiIdentity) -> SigningMaterial:
    return load_signing_material(signer.key_pem, signer.cert_pem)


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator()


def read(data: bytes, name: str = "doc") -> Document:
    outcome = read_bytes(data, name)
    assert outcome.document is not None, outcome.findings
    return outcome.document


def unsigned(stem: str, fmt: str) -> Document:
    """A valid sample with its signature removed (rendered from the model again)."""
    return read(render(read((VALID / f"{stem}.{fmt}").read_bytes()), fmt), f"{stem}.{fmt}")


def signed(stem: str, fmt: str, material: SigningMaterial) -> bytes:
    return sign_document(unsigned(stem, fmt), material, NOW)


def codes(validator: Validator, data: bytes, name: str = "doc") -> set[tuple[str, str]]:
    result = validator.validate_bytes(data, name)
    return {(f.code, f.location.pointer) for f in result.findings if f.severity is Severity.ERROR}


# -- signing and verifying ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_signed_document_verifies_and_records_the_signer(
    fmt: str, material: SigningMaterial, ca: PkiIdentity, validator: Validator
) -> None:
    data = signed("disclosure-consent", fmt, material)
    document = read(data, f"x.{fmt}")
    check = verify_document(document, (ca.cert_pem,))
    assert check.present and check.valid and check.trusted is True, check.problem
    assert check.signer == "Antti Niemi"
    assert check.signed_at == "2024-07-08T07:30:00Z"
    assert check.certificate_sha256 == certificate_sha256(material.certificate)
    assert document.metadata_raw["signature"] == {
        "signer": "Antti Niemi",
        "signed_at": "2024-07-08T07:30:00Z",
        "certificate_sha256": certificate_sha256(material.certificate),
    }
    assert codes(validator, data, f"x.{fmt}") == set()


def test_json_signature_is_a_detached_compact_jws_with_x5c_and_sigt(
    material: SigningMaterial,
) -> None:
    import base64

    document = json.loads(signed("disclosure-ban", "json", material))
    protected, payload, _sig = document["signature"]["jws"].split(".")
    assert payload == ""
    header = json.loads(base64.urlsafe_b64decode(protected + "=" * (-len(protected) % 4)))
    assert header["alg"] == "RS256"
    assert header["sigT"] == "2024-07-08T07:30:00Z"
    assert len(header["x5c"]) == 1


def test_json_signature_survives_reformatting(
    material: SigningMaterial, validator: Validator
) -> None:
    """The JWS covers the RFC 8785 canonical form, not the bytes."""
    document = json.loads(signed("disclosure-ban", "json", material))
    compact = json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
    assert codes(validator, compact, "x.json") == set()


def test_ec_keys_sign_too(ca: PkiIdentity, validator: Validator) -> None:
    ec = make_signer(ca, "Liisa Laine", kind="ec")
    material = load_signing_material(ec.key_pem, ec.cert_pem)
    for fmt in FORMATS:
        data = signed("disclosure-ban", fmt, material)
        assert verify_document(read(data), (ca.cert_pem,)).trusted is True
        assert codes(validator, data, f"x.{fmt}") == set()


def test_xhtml_signature_is_xades_bes_in_head(material: SigningMaterial) -> None:
    data = signed("case-document-open", "xhtml", material)
    root = read(data).xml
    assert root is not None
    head = root.root.find("{http://www.w3.org/1999/xhtml}head")
    last = head[len(head) - 1]
    assert last.tag == "{http://www.w3.org/2000/09/xmldsig#}Signature"
    assert b"<xades:SigningTime>2024-07-08T07:30:00Z</xades:SigningTime>" in data
    assert b'URI=""' in data


def test_xhtml_signature_survives_reading_and_archiving_byte_for_byte(
    material: SigningMaterial, validator: Validator, tmp_path: Path
) -> None:
    data = signed("case-document-open", "xhtml", material)
    document = read(data)
    assert document.raw == data  # the store archives these exact bytes
    stored = tmp_path / "v1.xhtml"
    stored.write_bytes(document.raw)
    assert verify_document(read(stored.read_bytes())).valid
    assert validator.validate_path(stored).valid


def test_resigning_replaces_the_old_signature(material: SigningMaterial) -> None:
    data = signed("disclosure-ban", "xhtml", material)
    again = sign_document(read(data), material, NOW)
    assert again.count(b"<ds:Signature ") == 1
    assert verify_document(read(again)).valid


# -- findings -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_content_changed_after_signing_is_invalid(
    fmt: str, material: SigningMaterial, validator: Validator
) -> None:
    data = signed("disclosure-consent", fmt, material).replace(b"Pekka Juhani", b"Pekka Juhana")
    assert codes(validator, data, f"x.{fmt}") == {("KA-SIGNATURE-INVALID", "/signature")}


@pytest.mark.parametrize("fmt", FORMATS)
def test_broken_signature_value_is_invalid(
    fmt: str, material: SigningMaterial, validator: Validator
) -> None:
    data = signed("disclosure-consent", fmt, material)
    marker = b'"jws": "' if fmt == "json" else b"<ds:SignatureValue>"
    at = data.index(marker) + len(marker) + 20
    broken = data[:at] + (b"A" if data[at : at + 1] != b"A" else b"B") + data[at + 1 :]
    if fmt == "json":  # break the signature part, not the header
        _head, _, sig = json.loads(data)["signature"]["jws"].partition("..")
        flipped = ("A" if sig[5] != "A" else "B").join((sig[:5], sig[6:]))
        broken = data.replace(sig.encode(), flipped.encode())
    assert codes(validator, broken, f"x.{fmt}") == {("KA-SIGNATURE-INVALID", "/signature")}


@pytest.mark.parametrize("fmt", FORMATS)
def test_signer_from_another_ca_is_untrusted(
    fmt: str, material: SigningMaterial, other_ca: PkiIdentity, ca: PkiIdentity
) -> None:
    data = signed("disclosure-ban", fmt, material)
    strict = Validator(trust_anchors=(other_ca.cert_pem,))
    assert codes(strict, data, f"x.{fmt}") == {("KA-SIGNATURE-UNTRUSTED", "/signature")}
    both = Validator(trust_anchors=(other_ca.cert_pem, ca.cert_pem))
    assert codes(both, data, f"x.{fmt}") == set()


def test_certificate_not_valid_at_signing_time_is_untrusted(ca: PkiIdentity) -> None:
    late = make_signer(ca, "Antti Niemi", not_before=datetime(2025, 1, 1, tzinfo=UTC))
    material = load_signing_material(late.key_pem, late.cert_pem)
    data = signed("disclosure-ban", "json", material)
    strict = Validator(trust_anchors=(ca.cert_pem,))
    assert codes(strict, data, "x.json") == {("KA-SIGNATURE-UNTRUSTED", "/signature")}


def test_metadata_signer_edited_in_json_is_a_metadata_finding(
    material: SigningMaterial, validator: Validator
) -> None:
    """The JWS payload leaves the metadata signature block out, so the signature still
    verifies, and the block now disagrees with it: KA-SIGNATURE-METADATA."""
    document = json.loads(signed("disclosure-consent", "json", material))
    document["metadata"]["signature"]["signer"] = "Liisa Laine"
    document["metadata"]["signature"]["signed_at"] = "2024-07-08T10:31:00+03:00"
    data = json.dumps(document).encode()
    assert codes(validator, data, "x.json") == {
        ("KA-SIGNATURE-METADATA", "/metadata/signature/signer"),
        ("KA-SIGNATURE-METADATA", "/metadata/signature/signed_at"),
    }


def test_same_signing_instant_in_another_zone_agrees(
    material: SigningMaterial, validator: Validator
) -> None:
    document = json.loads(signed("disclosure-consent", "json", material))
    document["metadata"]["signature"]["signed_at"] = "2024-07-08T10:30:00+03:00"
    assert codes(validator, json.dumps(document).encode(), "x.json") == set()


def test_metadata_signer_edited_in_xhtml_is_invalid(
    material: SigningMaterial, validator: Validator
) -> None:
    """In XHTML the metadata block is inside the signed document (URI=""): editing it is
    changing the document after signing, so KA-SIGNATURE-INVALID."""
    data = signed("disclosure-consent", "xhtml", material)
    edited = data.replace(b"<ka:signer>Antti Niemi<", b"<ka:signer>Liisa Laine<")
    assert codes(validator, edited, "x.xhtml") == {("KA-SIGNATURE-INVALID", "/signature")}


def test_xhtml_signed_over_a_wrong_metadata_block_is_a_metadata_finding(
    material: SigningMaterial, validator: Validator
) -> None:
    """The block is signed as it stands (write_metadata=False): wrong signer, and the digest of
    another certificate (the sample's TEST key): both disagree with the signature."""
    document = unsigned("disclosure-consent", "xhtml")
    assert document.xml is not None
    signer_el = document.xml.root.find(".//{urn:kanta-archive:metadata:1}signer")
    signer_el.text = "Liisa Laine"
    data = sign_xhtml(document.xml.root, material, NOW, write_metadata=False)
    assert codes(validator, data, "x.xhtml") == {
        ("KA-SIGNATURE-METADATA", "/metadata/signature/signer"),
        ("KA-SIGNATURE-METADATA", "/metadata/signature/certificate_sha256"),
    }


@pytest.mark.parametrize("stem", ["case-document-open", "disclosure-consent", "disclosure-ban"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_unsigned_document_of_a_required_type_is_missing(
    stem: str, fmt: str, validator: Validator
) -> None:
    data = render(read((VALID / f"{stem}.{fmt}").read_bytes()), fmt)
    assert codes(validator, data, f"x.{fmt}") == {("KA-SIGNATURE-MISSING", "/signature")}


@pytest.mark.parametrize("fmt", FORMATS)
def test_unsigned_document_of_other_types_is_fine(fmt: str, validator: Validator) -> None:
    data = (VALID / f"client-record-entry.{fmt}").read_bytes()
    assert codes(validator, data, f"x.{fmt}") == set()


def test_signed_document_of_an_optional_type_is_still_checked(
    material: SigningMaterial, validator: Validator
) -> None:
    data = signed("client-record-entry", "json", material).replace(b"2024-06-12", b"2024-06-11")
    assert ("KA-SIGNATURE-INVALID", "/signature") in codes(validator, data, "x.json")


def test_signature_member_must_be_an_object() -> None:
    data = (VALID / "client-record-entry.json").read_bytes()
    bad = data.rstrip()[:-1] + b', "signature": "x"}'
    outcome = read_bytes(bad, "x.json")
    assert outcome.document is None
    assert [f.code for f in outcome.findings] == ["KA-DOCUMENT-SHAPE"]


# -- parity and rendering ------------------------------------------------------------------


@pytest.mark.parametrize("stem", ["case-document-closed", "disclosure-consent"])
def test_signed_json_and_xhtml_twins_both_validate(
    stem: str, material: SigningMaterial, ca: PkiIdentity
) -> None:
    strict = Validator(trust_anchors=(ca.cert_pem,))
    json_result = strict.validate_bytes(signed(stem, "json", material), "x.json")
    xhtml_result = strict.validate_bytes(signed(stem, "xhtml", material), "x.xhtml")
    assert json_result.valid and xhtml_result.valid
    assert {f.key() for f in json_result.findings} == {f.key() for f in xhtml_result.findings}


@pytest.mark.parametrize(("fmt", "to"), [("json", "xhtml"), ("xhtml", "json"), ("xhtml", "xhtml")])
def test_rendering_a_signed_document_drops_the_signature(
    fmt: str, to: str, material: SigningMaterial, validator: Validator
) -> None:
    """A signature covers the form it was made for; a rendered document must be signed again."""
    rendered = render(read(signed("disclosure-ban", fmt, material)), to)
    assert codes(validator, rendered, f"x.{to}") == {("KA-SIGNATURE-MISSING", "/signature")}


def test_committed_test_keys_sign_the_valid_samples(validator: Validator) -> None:
    anchors = ((KEYS / "TEST-ONLY-ca.pem").read_bytes(),)
    strict = Validator(trust_anchors=anchors)
    for stem in ("case-document-open", "disclosure-consent", "disclosure-ban"):
        for fmt in FORMATS:
            result = strict.validate_path(VALID / f"{stem}.{fmt}")
            assert result.valid, result.findings
            check = verify_document(read((VALID / f"{stem}.{fmt}").read_bytes()), anchors)
            assert check.valid and check.trusted


# -- keys ----------------------------------------------------------------------------------


def test_encrypted_key_needs_the_right_passphrase(ca: PkiIdentity) -> None:
    locked = make_signer(ca, "Antti Niemi", passphrase=b"s3cret")
    assert load_signing_material(locked.key_pem, locked.cert_pem, b"s3cret")
    with pytest.raises(SigningError, match="encrypted"):
        load_signing_material(locked.key_pem, locked.cert_pem)
    with pytest.raises(SigningError, match="passphrase"):
        load_signing_material(locked.key_pem, locked.cert_pem, b"wrong")


def test_certificate_must_belong_to_the_key(ca: PkiIdentity, signer: PkiIdentity) -> None:
    other = make_signer(ca, "Liisa Laine")
    with pytest.raises(SigningError, match="does not belong"):
        load_signing_material(signer.key_pem, other.cert_pem)
    with pytest.raises(SigningError, match="not a PEM private key"):
        load_signing_material(b"junk", signer.cert_pem)
    with pytest.raises(SigningError, match="certificate"):
        load_signing_material(signer.key_pem, b"junk")
