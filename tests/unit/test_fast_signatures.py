"""The direct signature checks (lxml c14n + cryptography; CDA and XHTML XAdES) give the
same result as signxml, the reference, on valid and on tampered documents: differential
tests. Where the
direct check does not accept a signature, signxml decides, so the results must be equal
field by field (the problem's wording too). Set ``KANTA_PARITY_EXAMPLES`` to hunt with
more examples and fresh randomness."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from kanta_archive.formats.cda_common import EP2, HL7
from kanta_archive.formats.cda_writer import render_cda
from kanta_archive.formats.read import read_bytes
from kanta_archive.formats.xhtml_common import KA, XHTML
from kanta_archive.model import Document
from kanta_archive.schemas import SchemaRegistry
from kanta_archive.signatures.cda_sign import sign_cda
from kanta_archive.signatures.cda_verify import _load_chain, find_signatures, verify_cda
from kanta_archive.signatures.direct_dsig import cda_verifies_directly, xades_verifies_directly
from kanta_archive.signatures.testpki import make_ca, make_signer
from kanta_archive.signatures.verify import SigningMaterial, checked, load_signing_material
from kanta_archive.signatures.xml_dsig import DS, XADES

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
SIGNED_CDA = [
    p for p in sorted((SAMPLES / "cda").glob("*/*.xml")) if b"signatureCollection" in p.read_bytes()
]
REGISTRY = SchemaRegistry()
NOW = datetime(2024, 6, 10, 11, 20, tzinfo=UTC)
_HUNT = os.environ.get("KANTA_PARITY_EXAMPLES")  # as in test_parity_mutations.py
TAMPERING = settings(
    max_examples=int(_HUNT) if _HUNT else 80,
    derandomize=not _HUNT,
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
    # As validate runs it: through @checked, which makes what a library raises on a
    # malformed signature (a certificate whose subject does not parse) an invalid check.
    verify = checked(verify_cda)
    assert verify(outcome.document) == verify(outcome.document, reference=True)


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
        assert cda_verifies_directly(document.xml.root, ds, signature.get("ID"), leaf)


def test_an_expired_signer_certificate_is_left_to_signxml() -> None:
    data = sign_cda(_read(_unsigned("case-document-open")), _material("Vanha", True), NOW)
    document = _read(data)
    assert document.cda is not None
    (signature,) = find_signatures(document.cda.document)
    ds = signature.find(DS + "Signature")
    assert not cda_verifies_directly(document.xml.root, ds, signature.get("ID"), _load_chain(ds)[0])
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


# -- XHTML (XAdES) --------------------------------------------------------------------------

SIGNED_XHTML = [p for p in sorted(SAMPLES.glob("*/*.xhtml")) if b"ds:Signature" in p.read_bytes()]


def _xhtml_agree(data: bytes) -> None:
    from kanta_archive.signatures.xml_dsig import verify_xhtml

    outcome = read_bytes(data, "doc.xhtml")
    if outcome.document is None or outcome.document.xml is None:
        return
    root = outcome.document.xml.root
    assert verify_xhtml(root) == verify_xhtml(root, reference=True)


def _xades_direct(data: bytes, root: Any = None) -> bool:
    from kanta_archive.signatures.verify import parse_time
    from kanta_archive.signatures.xml_dsig import find_signature

    if root is None:
        root = _read(data).xml.root  # type: ignore[union-attr]
    ds = find_signature(root)
    text = ds.find(f"{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate").text
    leaf = x509.load_der_x509_certificate(base64.b64decode("".join(text.split())))
    signed_at = parse_time(ds.findtext(f".//{XADES}SigningTime"))
    return xades_verifies_directly(root, ds, leaf, signed_at)


@pytest.mark.parametrize("path", SIGNED_XHTML, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_direct_check_and_signxml_agree_on_every_signed_xhtml_sample(path: Path) -> None:
    _xhtml_agree(path.read_bytes())


@pytest.mark.parametrize(
    "path", [p for p in SIGNED_XHTML if p.parent.name == "valid"], ids=lambda p: p.name
)
def test_the_direct_check_accepts_each_valid_xades_signature_itself(path: Path) -> None:
    assert _xades_direct(path.read_bytes())


def _sign_xhtml(name: str, material: SigningMaterial) -> bytes:
    from kanta_archive.signatures.xml_dsig import sign_xhtml

    root = etree.fromstring((SAMPLES / "valid" / f"{name}.xhtml").read_bytes())
    return sign_xhtml(root, material, NOW)


def test_an_expired_xades_signer_certificate_is_left_to_signxml() -> None:
    ca = make_ca("kanta-archive TEST CA for the direct check")
    old = make_signer(
        ca,
        "Vanha",
        not_before=datetime(2020, 1, 1, tzinfo=UTC),
        not_after=datetime(2021, 1, 1, tzinfo=UTC),
    )
    data = _sign_xhtml("client-record-entry", load_signing_material(old.key_pem, old.cert_pem))
    assert not _xades_direct(data)
    _xhtml_agree(data)


def test_an_ec_xades_signature_is_left_to_signxml() -> None:
    ca = make_ca("kanta-archive TEST CA for the direct check")
    signer = make_signer(ca, "Elliptinen", kind="ec")
    data = _sign_xhtml(
        "client-record-entry", load_signing_material(signer.key_pem, signer.cert_pem)
    )
    assert not _xades_direct(data)
    _xhtml_agree(data)


@cache
def _signed_xhtml(name: str) -> bytes:
    return _sign_xhtml(name, _material("Liisa Laine"))


def _xades_tamper(data: st.DataObject, root: Any) -> None:
    """One change to a signed XHTML document: a character of the document or of a part of
    the signature, an Id, white space, text after an element, an element with the same
    id, a comment or PI, the signature moved, or nothing."""
    ds = next(root.iter(DS + "Signature"))  # in <head>, unless an earlier change moved it
    properties = ds.find(f".//{XADES}SignedProperties")
    texts = {
        "metadata": next(e for e in root.iter(f"{KA}title")),
        "content": next(e for e in root.iter(f"{XHTML}span")),
        "digest": ds.find(f"{DS}SignedInfo/{DS}Reference/{DS}DigestValue"),
        "value": ds.find(f"{DS}SignatureValue"),
        "certificate": ds.find(f"{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate"),
        "modulus": ds.find(f".//{DS}Modulus"),
        "signing time": ds.find(f".//{XADES}SigningTime"),
        "cert digest": ds.find(f".//{XADES}CertDigest/{DS}DigestValue"),
    }
    operation = data.draw(
        st.sampled_from(
            [
                *texts,
                "uri",
                "algorithm",
                "id",
                "tail",
                "same id",
                "comment",
                "pi",
                "move",
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
        refs = ds.findall(f"{DS}SignedInfo/{DS}Reference")
        ref = data.draw(st.sampled_from(refs), label="reference")
        ref.set("URI", data.draw(st.sampled_from(["", "#x", "#" + (ref.get("URI") or "#")])))
    elif operation == "algorithm":
        targets = [t for t in ds.iter() if t.get("Algorithm")]
        el = data.draw(st.sampled_from(targets), label="element")
        el.set("Algorithm", el.get("Algorithm") + "#x")
    elif operation == "id":
        properties.set("Id", properties.get("Id") + "x")
    elif operation == "tail":
        el = data.draw(st.sampled_from([ds, properties, ds.find(DS + "KeyInfo")]), label="after")
        el.tail = (el.tail or "") + data.draw(st.sampled_from([" ", "\n", "junk"]))
    elif operation == "same id":
        span = next(root.iter(f"{XHTML}span"))
        span.set(data.draw(st.sampled_from(["id", "Id", "{urn:x}Id"])), properties.get("Id"))
    elif operation == "comment":
        next(root.iter(f"{XHTML}span")).append(etree.Comment(" x "))
    elif operation == "pi":
        next(root.iter(f"{XHTML}span")).append(etree.ProcessingInstruction("x", "y"))
    elif operation == "move":
        root.find(f"{XHTML}body").append(ds)
    elif operation == "reindent":
        etree.indent(root, space="  ")


def _as_signxml_parses(el: Any) -> Any:
    """A signed part as signxml digests it: serialised and parsed alone."""
    return etree.fromstring(etree.tostring(el), etree.XMLParser(resolve_entities=False))


def _enveloped_as_signxml(root: Any) -> bytes:
    """The document's digested form as signxml makes it: a re-parsed copy, the signature
    removed keeping its tail, re-parsed again, inclusive c14n."""
    from signxml.util import _remove_sig

    copied = _as_signxml_parses(root)
    _remove_sig(copied.find(f"./{XHTML}head/{DS}Signature"), idempotent=True)  # type: ignore[no-untyped-call]
    return _c14n_of(_as_signxml_parses(copied))


def _c14n_of(el: Any) -> bytes:
    data: bytes = etree.tostring(el, method="c14n", exclusive=False, with_comments=False)
    return data


def _resign(root: Any, material: SigningMaterial) -> None:
    """Sign the signature's SignedInfo anew after its digests are made anew, as signxml
    does both: a signature that verifies, whatever its signed parts now say."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    from kanta_archive.signatures.direct_dsig import _c14n

    ds = next(root.iter(DS + "Signature"))
    for ref in ds.findall(f"{DS}SignedInfo/{DS}Reference"):
        uri = ref.get("URI") or ""
        if uri == "":
            data = _enveloped_as_signxml(root)
        else:
            (target,) = [el for el in root.iter() if el.get("Id") == uri[1:]]
            data = _c14n(_as_signxml_parses(target), exclusive=False)
        ref.find(DS + "DigestValue").text = base64.b64encode(hashlib.sha256(data).digest()).decode()
    info = _c14n(_as_signxml_parses(ds).find(DS + "SignedInfo"), exclusive=False)
    value = material.key.sign(info, padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr, call-arg]
    ds.find(DS + "SignatureValue").text = base64.b64encode(value).decode()


def _xades_forgery(data: st.DataObject, root: Any) -> None:
    """A change to a signed part of the XAdES signature, signed anew: what the direct check
    must refuse where signxml does, beyond the digests and the signature value."""
    ds = next(root.iter(DS + "Signature"))
    block = ds.find(f".//{XADES}SigningCertificateV2")
    other = base64.b64encode(hashlib.sha256(b"another certificate").digest()).decode()
    operation = data.draw(
        st.sampled_from(
            [
                "cert digest",
                "second cert",
                "no cert",
                "cert algorithm",
                "modulus",
                "exponent",
                "signing time",
                "unchanged",
            ]
        ),
        label="forgery",
    )
    if operation == "cert digest":
        block.find(f".//{DS}DigestValue").text = other
    elif operation == "second cert":
        second = copy.deepcopy(block.find(XADES + "Cert"))
        second.find(f".//{DS}DigestValue").text = other
        block.insert(data.draw(st.integers(0, 1), label="position"), second)
    elif operation == "no cert":
        block.getparent().remove(block)
    elif operation == "cert algorithm":
        block.find(f".//{DS}DigestMethod").set(
            "Algorithm", "http://www.w3.org/2001/04/xmlenc#sha512"
        )
    elif operation == "modulus":
        element = ds.find(f".//{DS}Modulus")
        element.text = _flip(element.text or "", data.draw(st.integers(0, 300), label="at"))
    elif operation == "exponent":
        ds.find(f".//{DS}Exponent").text = "AQAC"
    elif operation == "signing time":
        ds.find(f".//{XADES}SigningTime").text = data.draw(
            st.sampled_from(["2019-01-01T00:00:00Z", "2060-01-01T00:00:00Z", "x"])
        )
    _resign(root, _material("Liisa Laine"))


@TAMPERING
@given(data=st.data())
def test_the_direct_check_and_signxml_agree_on_a_tampered_xhtml_document(
    data: st.DataObject,
) -> None:
    name = data.draw(
        st.sampled_from(["case-document-open", "disclosure-consent", "client-record-entry"]),
        label="document",
    )
    root = copy.deepcopy(etree.fromstring(_signed_xhtml(name)))
    if data.draw(st.booleans(), label="forged"):
        _xades_forgery(data, root)
    else:
        for _ in range(data.draw(st.integers(1, 2), label="changes")):
            _xades_tamper(data, root)
    _xhtml_agree(etree.tostring(root.getroottree(), encoding="UTF-8", xml_declaration=True))


def _odd_signed_documents() -> dict[str, bytes]:
    """Signed documents whose signature sits where cutting it out of the canonical form
    could go wrong: text around it, declarations it repeats or that its parent makes
    with another prefix, a name a longer one begins with, tags spelled elsewhere."""
    data = _signed_xhtml("client-record-entry")
    ds_open = b"<ds:Signature "
    assert data.count(ds_open) == 1
    cases = {
        "as signed": data,
        "tail text": data.replace(b"</ds:Signature>", b"</ds:Signature> after &amp; <!-- c -->"),
        "text before": data.replace(ds_open, b"before<?pi x?>" + ds_open),
        "repeated declarations": data.replace(
            b'<html xmlns="http://www.w3.org/1999/xhtml"',
            b'<html xmlns="http://www.w3.org/1999/xhtml"'
            b' xmlns:ds="http://www.w3.org/2000/09/xmldsig#"'
            b' xmlns:sig="http://www.w3.org/2000/09/xmldsig#"',
        ),
        "a longer name first": data.replace(
            b"<head>", b'<head><ds:SignatureX xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/>'
        ),
        "a start tag in a PI": data.replace(b"<head>", b"<head><?x <ds:Signature >?>"),
        "an end tag in a PI": data.replace(b"<head>", b"<head><?x </ds:Signature>?>"),
        "a second signature": data.replace(
            b"</body>", data[data.index(ds_open) : data.index(b"</ds:Signature>") + 15] + b"</body>"
        ),
        "tags in text": data.replace(
            b"<head>", b"<head><title>&lt;ds:Signature &gt;&lt;/ds:Signature&gt;</title>"
        ),
    }
    return cases


@pytest.mark.parametrize("case", list(_odd_signed_documents()))
def test_the_enveloped_form_is_signxml_s_or_not_decided(case: str) -> None:
    from kanta_archive.signatures.direct_dsig import _enveloped

    root = etree.fromstring(_odd_signed_documents()[case])
    try:
        data = _enveloped(root)
    except ValueError:
        assert case in ("a start tag in a PI", "an end tag in a PI", "a second signature")
        return
    assert data == _enveloped_as_signxml(root)


@pytest.mark.parametrize("case", list(_odd_signed_documents()))
def test_the_direct_check_leaves_the_tree_as_it_was(case: str) -> None:
    data = _odd_signed_documents()[case]
    for tampered in (data, data.replace(b"<ds:SignatureValue>", b"<ds:SignatureValue>AAAA")):
        root = _read(tampered).xml.root  # type: ignore[union-attr]
        before = etree.tostring(root.getroottree())
        _xades_direct(tampered, root)
        assert etree.tostring(root.getroottree()) == before
        _xhtml_agree(tampered)


def _ids_by_xpath(root: Any, names: tuple[str, ...]) -> dict[tuple[str, str], list[Any]]:
    """The elements with ID attributes as an XPath over the attributes finds them."""
    found: dict[tuple[str, str], list[Any]] = {}
    for value in root.xpath(
        "//@*[local-name() = 'Id' or local-name() = 'ID' or local-name() = 'id']"
    ):
        name = etree.QName(value.attrname).localname
        if name in names:
            elements = found.setdefault((name, str(value)), [])
            if not any(value.getparent() is el for el in elements):
                elements.append(value.getparent())
    return found


ID_TREES = {
    "signed": b"",  # made when the test runs
    "namespaced and xml:id": b'<a xmlns:p="urn:p" Id="x"><!-- c --><?pi d?>'
    b'<b p:Id="x" xml:id="x" id="y"/><c ID="x" p:ID="x" Id="z"/><p:d p:id="y" idx="x"/></a>',
    "one element twice": b'<a xmlns:p="urn:p" xmlns:q="urn:q"><b p:Id="x" q:Id="x" Id="x"/>'
    b'<c Id="x"/></a>',
    "none": b"<a><b Idx='x' name='Id'/></a>",
}


@pytest.mark.parametrize("case", list(ID_TREES))
@pytest.mark.parametrize("names", [("Id", "ID", "id"), ("ID",)])
def test_the_id_walk_finds_what_the_attribute_xpath_finds(
    case: str, names: tuple[str, ...]
) -> None:
    from kanta_archive.signatures.direct_dsig import _ids

    root = etree.fromstring(ID_TREES[case] or _signed_xhtml("client-record-entry"))
    expected = _ids_by_xpath(root, names)
    for context in (root, root[-1]):  # the whole document from any element in it
        found = _ids(context, names)
        assert list(found) == list(expected)
        assert all(
            len(found[k]) == len(expected[k])
            and all(a is b for a, b in zip(found[k], expected[k], strict=True))
            for k in expected
        )


def _same_id_documents() -> dict[str, bytes]:
    """A signed document with the SignedProperties' id given elsewhere too, or spelled."""
    data = _signed_xhtml("client-record-entry")
    ident = etree.fromstring(data).find(f".//{XADES}SignedProperties").get("Id").encode()
    span = b"<span"
    assert span in data
    return {
        "as signed": data,
        "Id on a span": data.replace(span, b'<span Id="' + ident + b'"', 1),
        "ID on a span": data.replace(span, b'<span ID="' + ident + b'"', 1),
        "a namespaced id": data.replace(span, b'<span xmlns:p="urn:p" p:Id="' + ident + b'"', 1),
        "spelled in text": data.replace(b"</span>", b' Id="' + ident + b'"</span>', 1),
    }


@pytest.mark.parametrize("case", list(_same_id_documents()))
def test_an_id_looked_for_inside_the_signature_resolves_as_in_the_whole_document(
    case: str,
) -> None:
    from kanta_archive.signatures.direct_dsig import _c14n, _ids, _resolve, _resolve_inside

    root = etree.fromstring(_same_id_documents()[case])
    ds = root.find(f"{XHTML}head/{DS}Signature")
    names = ("Id", "ID", "id")
    uris = [ref.get("URI") for ref in ds.iter(DS + "Reference")]
    uris += ["#", "#x", "##" + uris[1][1:], "#a&b", '#a"b', "#ä"]
    for el in ds.iter():
        for key in el.keys():  # noqa: SIM118 (an element's keys: its attributes)
            if key.endswith(("Id", "ID", "id")):
                uris.append("#" + el.get(key))
    canonical = _c14n(root, exclusive=False)
    for uri in uris:
        expected = _resolve(_ids(root, names), names, uri)
        assert _resolve_inside(ds, root, canonical, uri) is expected, uri
