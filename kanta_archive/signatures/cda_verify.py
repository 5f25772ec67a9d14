"""Verify every ``signatureCollection/signature`` of a CDA document (docs/signatures.md).

Each signature is checked on its own: its ``signatureDescription`` (1 professional, 3
system signature), its XML-DSig ``Signature`` (exclusive c14n, RSA-SHA256, two
references by ``ID``: the ``nonXMLBody`` and its own ``signatureTimestamp``), and with
``--trust`` its certificate chain. A signature in exactly the profile ``sign`` writes is
verified directly (signatures/direct_dsig.py: lxml's c14n, ``hashlib`` and
``cryptography``, a fraction of signxml's cost, which re-parses the whole document for
each reference); any other, and any that does not verify there, is verified by
signxml, which then also words the problem. signxml is the reference: tests compare both
on valid and tampered documents. When a digest fails, this module
works out which reference it is, and whether only the white space between elements
changed (a document pretty-printed after signing), so that the finding can say so.

DVV certificates may carry extensions that ``cryptography`` refuses to parse; a
certificate is only parsed as far as needed (its key, subject and DER), and a chain that
``cryptography``'s verifier cannot read is checked by names, signatures and validity
periods alone (:func:`_basic_chain_problem`).
"""

from __future__ import annotations

import base64
import copy
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lxml import etree

from kanta_archive.formats.cda_common import EP2, HL7
from kanta_archive.signatures.direct_dsig import cda_verifies_directly
from kanta_archive.signatures.verify import (
    ABSENT,
    SignatureCheck,
    certificate_sha256,
    chain_problem,
    common_name,
    parse_time,
    utc_text,
)
from kanta_archive.signatures.xml_dsig import DS

if TYPE_CHECKING:
    from cryptography import x509

    from kanta_archive.model import Document

EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
KINDS = {"1": "professional", "3": "system"}


def find_signatures(doc: Any) -> list[Any]:
    """The ``signatureCollection/signature`` elements of a ClinicalDocument."""
    return [
        el
        for el in doc.iter(EP2 + "signature")
        if el.getparent() is not None and el.getparent().tag == EP2 + "signatureCollection"
    ]


@dataclass(frozen=True)
class _One:
    ident: str
    kind: str | None
    check: SignatureCheck


def _by_id(root: Any, ident: str) -> Any | None:
    found = [el for el in root.iter() if isinstance(el.tag, str) and el.get("ID") == ident]
    return found[0] if len(found) == 1 else None


def _digest(el: Any, transforms: list[str]) -> str:
    el = copy.deepcopy(el)
    if ENVELOPED in transforms:
        for signature in list(el.iter(DS + "Signature")):
            signature.getparent().remove(signature)
    data = etree.tostring(el, method="c14n", exclusive=True, with_comments=False)
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def _without_layout(el: Any) -> Any:
    """A copy of ``el`` without white space between elements (text between tags that
    is only white space); text inside an element with no child elements is kept."""
    el = copy.deepcopy(el)
    for node in el.iter():
        if not isinstance(node.tag, str):
            continue
        if len(node) and node.text is not None and not node.text.strip():
            node.text = None
        if node.tail is not None and not node.tail.strip():
            node.tail = None
    return el


def _layouts(el: Any) -> list[Any]:
    """The element as it may have been signed before someone re-indented it: with no
    white space between elements, or pretty-printed at its depth (2 or 4 spaces, a tab)."""
    compact = _without_layout(el)
    depth = sum(1 for _ in el.iterancestors())
    variants = [compact]
    for space in ("  ", "    ", "\t"):
        for level in sorted({depth, 0}):
            indented = copy.deepcopy(compact)
            etree.indent(indented, space=space, level=level)
            variants.append(indented)
    return variants


def _diagnose(root: Any, ds: Any, body_id: str) -> str:
    """Which reference fails, and whether white space between elements explains it."""
    for ref in ds.findall(f"{DS}SignedInfo/{DS}Reference"):
        uri = ref.get("URI") or ""
        target = _by_id(root, uri.removeprefix("#"))
        transforms = [t.get("Algorithm") for t in ref.findall(f"{DS}Transforms/{DS}Transform")]
        wanted = "".join((ref.findtext(DS + "DigestValue") or "").split())
        if target is None or _digest(target, transforms) == wanted:
            continue
        what = "nonXMLBody" if uri == f"#{body_id}" else uri
        if any(_digest(variant, transforms) == wanted for variant in _layouts(target)):
            return (
                f"the digest of {what} ({uri}) fails only because the white space between "
                "elements was changed after signing (the document was pretty-printed or "
                "re-indented); its content is unchanged, but the signature no longer covers "
                "the bytes: send the document as it was signed"
            )
        return f"the digest of {what} ({uri}) does not match: it changed after signing"
    return "the signature value does not verify over SignedInfo"


def _load_chain(ds: Any) -> list[x509.Certificate]:
    from cryptography import x509

    certs = ds.findall(f"{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate")
    # load_der is lazy: extensions are parsed only when read, so a DVV certificate whose
    # extensions cryptography refuses still gives its key, subject and DER.
    return [
        x509.load_der_x509_certificate(base64.b64decode("".join((c.text or "").split())))
        for c in certs
    ]


def _basic_chain_problem(
    chain: list[x509.Certificate], anchors: tuple[bytes, ...], at: datetime | None
) -> str | None:
    """Names, signatures and validity periods, for certificates whose extensions
    ``cryptography``'s verifier refuses (no extension policy is checked)."""
    from cryptography import x509

    roots = [c for pem in anchors for c in x509.load_pem_x509_certificates(pem)]
    moment = at
    path = list(chain)
    for _ in range(len(chain) + 1):
        cert = path[-1]
        if moment is not None and not (
            cert.not_valid_before_utc <= moment <= cert.not_valid_after_utc
        ):
            return (
                f"certificate {cert.subject.rfc4514_string()} was not valid at {utc_text(moment)}"
            )
        for anchor in roots:
            try:
                cert.verify_directly_issued_by(anchor)
                return None
            except Exception:
                continue
        issuers = [c for c in chain if c.subject == cert.issuer and c is not cert]
        if not issuers:
            break
        try:
            cert.verify_directly_issued_by(issuers[0])
        except Exception as exc:
            return f"certificate {cert.subject.rfc4514_string()} is not signed by its issuer: {exc}"
        path.append(issuers[0])
    return "the signer certificate does not chain to a trust anchor"


def _trust(
    chain: list[x509.Certificate], anchors: tuple[bytes, ...], at: datetime | None
) -> str | None:
    try:
        return chain_problem(chain, anchors, at)
    except ValueError:  # an extension cryptography's verifier cannot parse (DVV-style)
        return _basic_chain_problem(chain, anchors, at)


def _verify_one(
    root: Any, doc: Any, signature: Any, anchors: tuple[bytes, ...], reference: bool
) -> _One:
    ident = signature.get("ID") or "?"
    kind_el = signature.find(EP2 + "signatureDescription")
    kind = kind_el.get("code") if kind_el is not None else None

    def bad(problem: str, **facts: Any) -> _One:
        return _One(ident, kind, SignatureCheck(True, False, problem=problem, **facts))

    if kind not in KINDS:
        return bad(f"signatureDescription code {kind!r}: 1 (professional) or 3 (system)")
    ds = signature.find(DS + "Signature")
    stamp = signature.find(EP2 + "signatureTimestamp")
    body = doc.find(f"{HL7}component/{HL7}nonXMLBody")
    if ds is None or stamp is None or body is None:
        return bad("it needs a ds:Signature, a signatureTimestamp and the document's nonXMLBody")
    try:
        chain = _load_chain(ds)
    except ValueError as exc:
        return bad(f"unreadable signer certificate: {exc}")
    if not chain:
        return bad("the signature carries no X.509 certificate")
    leaf = chain[0]
    signed_at = parse_time((stamp.text or "").strip())
    facts: dict[str, Any] = {
        "signer": common_name(leaf),
        "signed_at": utc_text(signed_at) if signed_at else None,
        "certificate_sha256": certificate_sha256(leaf),
    }
    info = ds.find(DS + "SignedInfo")
    method = info.find(DS + "SignatureMethod") if info is not None else None
    c14n = info.find(DS + "CanonicalizationMethod") if info is not None else None
    if c14n is None or c14n.get("Algorithm") != EXC_C14N:
        return bad("SignedInfo must use exclusive c14n (xml-exc-c14n#)", **facts)
    if method is None or method.get("Algorithm") != RSA_SHA256:
        return bad("the signature method must be RSA-SHA256", **facts)
    uris = sorted(r.get("URI") or "" for r in info.findall(DS + "Reference"))
    wanted = sorted([f"#{body.get('ID')}", f"#{stamp.get('ID')}"])
    if uris != wanted:
        return bad(
            f"the signature must reference the nonXMLBody and its signatureTimestamp "
            f"({', '.join(wanted)}), not {', '.join(uris) or 'nothing'}",
            **facts,
        )
    if signed_at is None:
        return bad("the signatureTimestamp is not an ISO 8601 time with a zone", **facts)
    if reference or not cda_verifies_directly(root, ds, ident, leaf):
        failure = _signxml_failure(root, ident, leaf)
        if failure is not None:
            reason = _diagnose(root, ds, body.get("ID") or "")
            detail = " ".join(str(failure).split())[:160]
            return bad(f"{reason} ({type(failure).__name__}: {detail})", **facts)
    trusted: bool | None = None
    problem: str | None = None
    if anchors:
        problem = _trust(chain, anchors, signed_at)
        trusted = problem is None
    return _One(ident, kind, SignatureCheck(True, True, trusted=trusted, problem=problem, **facts))


def _signxml_failure(root: Any, ident: str, leaf: x509.Certificate) -> Exception | None:
    """What signxml raises verifying the signature in ``ep2:signature`` ``ident`` (``None``:
    it verifies)."""
    from signxml.verifier import SignatureConfiguration, XMLVerifier

    # signxml verifies the first ds:Signature it finds: give it a copy with only this one.
    alone = copy.deepcopy(root)
    for other in list(alone.iter(DS + "Signature")):
        if other.getparent().get("ID") != ident:
            other.getparent().remove(other)
    try:
        XMLVerifier().verify(
            alone,
            x509_cert=leaf,
            id_attribute="ID",
            expect_config=SignatureConfiguration(expect_references=2),
        )
    except Exception as exc:
        return exc
    return None


def verify_cda(
    document: Document, trust_anchors: tuple[bytes, ...] = (), *, reference: bool = False
) -> SignatureCheck:
    """Verify every signature; the result speaks for the first one that fails, else for
    the professional signature (whose signer the metadata names), else the first.
    ``reference``: every signature by signxml (what the direct check is tested against)."""
    if document.xml is None or document.cda is None:
        return ABSENT
    doc = document.cda.document
    signatures = find_signatures(doc)
    if not signatures:
        return ABSENT
    results = [_verify_one(document.xml.root, doc, s, trust_anchors, reference) for s in signatures]
    for one in results:
        if not one.check.valid or one.check.trusted is False:
            where = f"signature {one.ident} ({KINDS.get(one.kind or '', 'unknown type')})"
            check = one.check
            return SignatureCheck(
                check.present,
                check.valid,
                check.signer,
                check.signed_at,
                check.certificate_sha256,
                check.trusted,
                f"{where}: {check.problem}",
            )
    professional = [r for r in results if r.kind == "1"]
    return (professional or results)[0].check
