"""Enveloped XML Signatures (XAdES-BES) over the XHTML form of a document.

The signature is a ``ds:Signature`` appended as the last child of ``<head>``
(outside ``ka:metadata``, so neither the reader nor the head XSD sees it). Its
main reference has ``URI=""`` with the enveloped-signature transform and
canonical XML 1.1 without comments: it covers the whole document,
metadata block included, except the signature itself. XAdES-BES qualifying
properties (signing time, signing certificate digest) come from signxml's
``XAdESSigner``; the signing certificate travels in ``KeyInfo/X509Data``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lxml import etree

from kanta_archive.formats.xhtml_common import KA, XHTML
from kanta_archive.signatures.verify import (
    ABSENT,
    SignatureCheck,
    SigningError,
    SigningMaterial,
    certificate_sha256,
    chain_problem,
    checked,
    common_name,
    parse_time,
    utc_text,
)

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
DS = f"{{{DS_NS}}}"
XADES_NS = "http://uri.etsi.org/01903/v1.3.2#"
XADES = f"{{{XADES_NS}}}"


def find_signature(root: Any) -> Any | None:
    """The document's ds:Signature: a child of ``<head>``, else anywhere (then it is wrong)."""
    head = root.find(XHTML + "head")
    found = head.find(DS + "Signature") if head is not None else None
    # The first descendant, as find(".//ds:Signature") gives it, found by lxml in C.
    return found if found is not None else next(root.iterdescendants(DS + "Signature"), None)


def _set_metadata_block(root: Any, block: dict[str, str]) -> None:
    """Write ``ka:signature`` into ``ka:metadata``, replacing one that is there."""
    metadata = root.find(f"{XHTML}head/{KA}metadata")
    if metadata is None:
        raise SigningError("the document has no ka:metadata in <head>")
    old = metadata.find(KA + "signature")
    children = [c for c in metadata if isinstance(c.tag, str)]
    indent = (children[0].getprevious() is None and metadata.text) or "\n      "
    inner = indent + "  "
    element = etree.Element(KA + "signature")
    element.text = inner
    for i, (name, value) in enumerate(block.items()):
        child = etree.SubElement(element, KA + name)
        child.text = value
        child.tail = inner if i < len(block) - 1 else indent
    if old is not None:
        element.tail = old.tail
        metadata.replace(old, element)
        return
    retention = metadata.find(KA + "retention")
    if retention is not None:
        retention.addprevious(element)
        element.tail = indent
    else:
        last = children[-1] if children else None
        element.tail = last.tail if last is not None else "\n    "
        if last is not None:
            last.tail = indent
        metadata.append(element)


def _xades_signer(
    material: SigningMaterial, signing_time: str, token_seed: int | None = None
) -> Any:
    from random import Random

    from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
    from signxml.xades.xades import XAdESSigner

    tokens = Random(token_seed) if token_seed is not None else None

    class _Signer(XAdESSigner):
        """signxml's XAdES signer with a given signing time (its own always uses now),
        and, given a seed, reproducible element Ids (its own are random)."""

        def add_signing_time(
            self, signed_signature_properties: Any, sig_root: Any, signing_settings: Any
        ) -> None:
            element = etree.SubElement(signed_signature_properties, XADES + "SigningTime")
            element.text = signing_time

        def _get_token(self, length: int = 4) -> str:
            if tokens is None:
                return str(super()._get_token(length))  # type: ignore[no-untyped-call]
            while True:
                token = f"{tokens.getrandbits(8 * length):0{2 * length}X}"
                if token not in self._tokens_used:
                    self._tokens_used[token] = True
                    return token

    from cryptography.hazmat.primitives.asymmetric import ec

    method = (
        SignatureMethod.ECDSA_SHA256
        if isinstance(material.key, ec.EllipticCurvePrivateKey)
        else SignatureMethod.RSA_SHA256
    )
    return _Signer(
        signature_algorithm=method,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.CANONICAL_XML_1_1,
    )


def sign_xhtml(
    root: Any,
    material: SigningMaterial,
    now: datetime,
    *,
    write_metadata: bool = True,
    token_seed: int | None = None,
) -> bytes:
    """Sign the parsed XHTML document ``root`` and return the signed document's bytes.

    First the metadata ``signature`` block (signer = certificate CN, signed_at =
    ``now`` in UTC, certificate_sha256) is written, then the enveloped XAdES-BES
    signature is added as the last child of ``<head>``. An old signature is replaced.
    ``write_metadata=False`` signs the metadata as it is (tests use it). ``token_seed``
    makes the signature's element Ids reproducible (the sample generator uses it);
    without it they are random, as signxml makes them.
    """
    from cryptography.hazmat.primitives import serialization

    signer_name = common_name(material.certificate)
    if not signer_name:
        raise SigningError("the signer certificate has no subject common name (CN)")
    signed_at = utc_text(now)
    old = find_signature(root)
    while old is not None:
        old.getparent().remove(old)
        old = find_signature(root)
    if write_metadata:
        _set_metadata_block(
            root,
            {
                "signer": signer_name,
                "signed_at": signed_at,
                "certificate_sha256": certificate_sha256(material.certificate),
            },
        )
    head = root.find(XHTML + "head")
    placeholder = etree.SubElement(head, DS + "Signature", nsmap={"ds": DS_NS})
    placeholder.set("Id", "placeholder")
    last = placeholder.getprevious()
    if last is not None:  # keep the indentation: the new last child closes <head>
        placeholder.tail, last.tail = last.tail, head.text
    signer = _xades_signer(material, signed_at, token_seed)
    signed = signer.sign(
        root,
        key=material.key,
        cert=[c.public_bytes(serialization.Encoding.PEM).decode("ascii") for c in material.chain],
    )
    data: bytes = etree.tostring(signed.getroottree(), encoding="UTF-8", xml_declaration=True)
    return data + b"\n" if not data.endswith(b"\n") else data


def _signing_time(signature: Any) -> str | None:
    element = signature.find(".//" + XADES + "SigningTime")
    return element.text if element is not None and element.text else None


@checked
def verify_xhtml(
    root: Any, trust_anchors: tuple[bytes, ...] = (), *, reference: bool = False
) -> SignatureCheck:
    """Verify the enveloped signature of the parsed XHTML document ``root``. A XAdES
    signature in the profile ``sign`` writes is verified directly (signatures/direct_dsig.py),
    any other by signxml; ``reference``: by signxml always (what the direct check is
    tested against)."""
    signature = find_signature(root)
    if signature is None:
        return ABSENT
    from cryptography import x509
    from signxml.exceptions import InvalidInput, SignXMLException
    from signxml.verifier import SignatureConfiguration
    from signxml.xades.xades import XAdESSignatureConfiguration, XAdESVerifier

    from kanta_archive.signatures.direct_dsig import xades_verifies_directly

    parent = signature.getparent()
    if parent is None or parent.tag != XHTML + "head":
        return SignatureCheck(True, False, problem="the ds:Signature must be a child of <head>")
    certs = signature.findall(f"{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate")
    try:
        chain = [x509.load_der_x509_certificate(_b64(c.text or "")) for c in certs]
    except ValueError as exc:
        return SignatureCheck(True, False, problem=f"unreadable signer certificate: {exc}")
    if not chain:
        return SignatureCheck(True, False, problem="the signature carries no X.509 certificate")
    leaf = chain[0]
    signed_at_text = _signing_time(signature)
    signed_at = parse_time(signed_at_text)
    facts: dict[str, Any] = {
        "signer": common_name(leaf),
        "signed_at": utc_text(signed_at) if signed_at else None,
        "certificate_sha256": certificate_sha256(leaf),
    }
    xades = signed_at_text is not None
    config_class = XAdESSignatureConfiguration if xades else SignatureConfiguration
    config = config_class(
        location="./{http://www.w3.org/1999/xhtml}head/",
        verification_time=signed_at,
        expect_references=3 if xades else 1,
    )
    direct = xades and not reference and xades_verifies_directly(root, signature, leaf, signed_at)
    if not direct:
        verifier: Any = XAdESVerifier() if xades else _plain_verifier()
        try:
            results = verifier.verify(root, x509_cert=leaf, expect_config=config)
        except (SignXMLException, InvalidInput, ValueError) as exc:
            return SignatureCheck(True, False, problem=_short(str(exc)), **facts)
        first = results[0] if isinstance(results, list) else results
        if first.signed_xml is None or first.signed_xml.tag != XHTML + "html":
            return SignatureCheck(
                True, False, problem="the signature does not cover the whole document", **facts
            )
    trusted: bool | None = None
    problem: str | None = None
    if trust_anchors:
        problem = chain_problem(chain, trust_anchors, signed_at)
        trusted = problem is None
    return SignatureCheck(True, True, trusted=trusted, problem=problem, **facts)


def _plain_verifier() -> Any:
    from signxml.verifier import XMLVerifier

    return XMLVerifier()


def _b64(text: str) -> bytes:
    import base64

    return base64.b64decode("".join(text.split()))


def _short(message: str) -> str:
    message = " ".join(message.split())
    return message if len(message) <= 200 else message[:199] + "…"
