"""XML signatures verified without signxml, for the two profiles ``sign`` writes; signxml
decides everything else, and is the reference the tests hold these to.

signxml re-serialises and re-parses the whole document for each reference (and the
signature, and each payload), and finds elements with XPath over the whole tree: 1.5 ms
for a CDA signature, 3 ms for an XHTML XAdES one here. What is checked here is what
signxml checks for the same signature, with the same lxml canonicalisation, the same
``base64`` decoding and the same ``cryptography`` calls, in fewer passes. Each function
answers ``True`` only where signxml would accept the signature; ``False`` means "not
decided here": for a signature outside the profile, for anything that does not verify,
and for anything unexpected (an exception), so that signxml's verdict and wording stand.

* CDA (:func:`cda_verifies_directly`): SignedInfo in exclusive c14n, RSA-SHA256, two
  references by ``ID`` (the ``nonXMLBody`` and the ``signatureTimestamp``), each with only
  the exclusive-c14n transform and SHA-256.
* XHTML (:func:`xades_verifies_directly`): XAdES-BES with SignedInfo in C14N 1.1 (lxml's
  inclusive c14n, as signxml does it), RSA-SHA256, three references: the whole document
  (``URI=""``, enveloped-signature and C14N 1.1 transforms), the SignedProperties and the
  KeyInfo (no transforms: signxml's default C14N 1.1), SHA-256; the KeyValue equal to the
  certificate's key; SigningCertificate(V2) with the SHA-256 of the signer certificate.
"""

from __future__ import annotations

import hashlib
import re
from base64 import b64decode
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from lxml import etree

from kanta_archive.formats.xhtml_common import XHTML

if TYPE_CHECKING:
    from cryptography import x509

# The names of xml_dsig.py (which imports this module, so they are not imported from it).
DS = "{http://www.w3.org/2000/09/xmldsig#}"
XADES = "{http://uri.etsi.org/01903/v1.3.2#}"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
C14N_11 = "http://www.w3.org/2006/12/xml-c14n11"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
DSIG11 = "{http://www.w3.org/2009/xmldsig11#}"
# How signxml resolves '#x': an element with an attribute of one of these local names
# (in this order; 'xml:id' is one of signxml's names too, but no local name has a colon).
_ID_NAMES_CDA = ("ID",)
_ID_NAMES_XADES = ("Id", "ID", "id")
# An id that c14n writes in an attribute value as it is: printable ASCII without the
# & < " it escapes (nor > and ', to stay plain).
_PLAIN_ID = re.compile(r"[!#-%(-;=?-~]*")
# White space as XML defines it (str.strip would also take U+00A0 and the like, which
# make the serialised part fail to parse).
_XML_SPACE = " \t\r\n"


def cda_verifies_directly(root: Any, ds: Any, ident: str, leaf: x509.Certificate) -> bool:
    """Whether the CDA signature ``ds`` (in ``ep2:signature`` ``ident``) verifies as signxml
    would find it (``XMLVerifier``, the certificate given, ``id_attribute="ID"``, two
    references), in the document whose root is ``root``; ``False``: signxml decides."""
    try:
        return _cda(root, ds, ident, leaf)
    except Exception:  # anything unexpected in a hostile signature: signxml decides
        return False


def xades_verifies_directly(
    root: Any, ds: Any, leaf: x509.Certificate, signed_at: datetime | None
) -> bool:
    """Whether the XAdES signature ``ds`` (a child of ``<head>``) of the XHTML document
    ``root`` verifies as signxml's ``XAdESVerifier`` would find it (the certificate given,
    verified at ``signed_at``, three references); ``False``: signxml decides."""
    try:
        return _xades(root, ds, leaf, signed_at)
    except Exception:
        return False


def _alone(el: Any) -> Any:
    """``el`` as signxml sees a part it checks, which it serialises (with its tail) and
    parses alone: text in the tail does not parse, and signxml fails; raised here as
    ``ValueError`` (not decided here). Otherwise the part is ``el`` itself, in place: lxml
    validates and canonicalises an element on a stand-in root that carries the namespace
    declarations in scope, which a serialised element carries too, so its schema check
    and its canonical form are those of signxml's copy, without the round trip (a third
    of the check's cost). The tests compare the verdicts with signxml's."""
    if (el.tail or "").strip(_XML_SPACE):
        raise ValueError("text after the element: signxml cannot parse the part")
    return el


def _c14n(el: Any, exclusive: bool) -> bytes:
    """signxml's canonical form: lxml's c14n, exclusive or inclusive (signxml does C14N 1.1
    as lxml's inclusive c14n), without comments."""
    data: bytes = etree.tostring(el, method="c14n", exclusive=exclusive, with_comments=False)
    return data


def _verification_time(signed_at: datetime | None) -> datetime:
    """The time signxml checks the certificate at: the signing time, else now, in UTC (a
    time without a zone taken as UTC)."""
    moment = signed_at or datetime.now(UTC)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _rsa_key_valid_at(leaf: x509.Certificate, moment: datetime) -> Any | None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = leaf.public_key()
    if not (leaf.not_valid_before_utc <= moment <= leaf.not_valid_after_utc):
        return None  # signxml's certificate validity check fails
    return key if isinstance(key, rsa.RSAPublicKey) else None


def _schema_valid(ds: Any, verifier: Any) -> bool:
    """Whether one of signxml's schemas takes ``ds``, tried from the last (the order does
    not change the answer): XAdES's first, XAdESv141.xsd, has no SigningCertificateV2,
    which ``sign`` writes, and would fail each time before another schema is tried."""
    schemas: Any = verifier.schemas()
    return any(schema.validate(ds) for schema in reversed(schemas))


def _signed_info_verifies(info: Any, value: str | None, key: Any, exclusive: bool) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    c14n = info.find(DS + "CanonicalizationMethod")
    if c14n.get("Algorithm") != (EXC_C14N if exclusive else C14N_11) or len(c14n):
        return False  # another algorithm, or InclusiveNamespaces: not this profile
    method = info.find(DS + "SignatureMethod")
    if method is None or method.get("Algorithm") != RSA_SHA256:
        return False
    data = _c14n(info, exclusive)
    try:
        key.verify(b64decode(value), data, padding.PKCS1v15(), hashes.SHA256())  # type: ignore[arg-type]
    except InvalidSignature:
        return False
    return True


def _ids(root: Any, names: tuple[str, ...]) -> dict[tuple[str, str], list[Any]]:
    """Elements by (local name of an ID attribute, its value), in document order: those
    signxml's ``//*[@*[local-name() = ...] = ...]`` finds. A walk over the elements of
    the whole document, not an XPath over its attributes: a call of ``local-name()`` for
    each attribute costs more than the walk. A key's local name is what follows its first
    ``}``: lxml refuses a namespace URI with one."""
    found: dict[tuple[str, str], list[Any]] = {}
    for el in root.getroottree().getroot().iter(etree.Element):
        keys = el.keys()  # its attributes' names (iterating an element gives its children)
        for key in keys:
            name = key[key.find("}") + 1 :]
            if name in names:
                elements = found.setdefault((name, el.get(key)), [])
                if not any(el is e for e in elements):
                    elements.append(el)
    return found


def _resolve(ids: dict[tuple[str, str], list[Any]], names: tuple[str, ...], uri: str) -> Any:
    """The element ``#uri`` names, as signxml resolves it; ``None`` where signxml would
    refuse (no such element, or more than one for the first name that has any)."""
    if not uri.startswith("#") or uri.startswith("#xpointer("):
        return None
    for name in names:
        elements = ids.get((name, uri.lstrip("#")), [])
        if len(elements) > 1:
            return None
        if elements:
            return elements[0]
    return None


def _resolve_inside(ds: Any, root: Any, canonical: bytes, uri: str) -> Any:
    """The element ``#uri`` names in the XHTML document ``root`` as :func:`_resolve` finds
    it among all its ``_ids``, looked for only inside the signature ``ds`` where the
    document's c14n ``canonical`` shows that no other element can have that id.

    c14n writes each attribute as `` name="value"`` or `` prefix:name="value"``, so the
    number of places such text for an id stands in ``canonical`` is at least the number
    of elements that have it (more where text or a declaration spells it too). None:
    no element has it, and the next name is tried, as ``_resolve`` does; one: the element
    found inside ``ds``, if it is there, is the only one. Only an id that c14n writes as
    it is (printable ASCII, nothing it escapes) is counted; anything else, and two or
    more places: the walk over the whole document."""
    if not uri.startswith("#") or uri.startswith("#xpointer("):
        return None
    value = uri.lstrip("#")
    if not _PLAIN_ID.fullmatch(value):
        return _resolve(_ids(root, _ID_NAMES_XADES), _ID_NAMES_XADES, uri)
    for name in _ID_NAMES_XADES:
        written = f'{name}="{value}"'.encode("ascii")
        places = _places(canonical, b" " + written) + _places(canonical, b":" + written)
        if places == 0:
            continue
        if places == 1:
            found = [el for el in ds.iter(etree.Element) if _has_id(el, name, value)]
            if len(found) == 1:
                return found[0]
        return _resolve(_ids(root, _ID_NAMES_XADES), _ID_NAMES_XADES, uri)
    return None


def _places(data: bytes, text: bytes) -> int:
    """At how many places ``text`` begins in ``data`` (overlapping ones too)."""
    count = 0
    at = data.find(text)
    while at >= 0:
        count += 1
        at = data.find(text, at + 1)
    return count


def _has_id(el: Any, name: str, value: str) -> bool:
    keys = el.keys()  # its attributes' names (iterating an element gives its children)
    return any(key[key.find("}") + 1 :] == name and el.get(key) == value for key in keys)


def _digest_holds(ref: Any, data: bytes) -> bool:
    method = ref.find(DS + "DigestMethod")
    if method is None or method.get("Algorithm") != SHA256:
        return False
    return bool(b64decode(ref.findtext(DS + "DigestValue")) == hashlib.sha256(data).digest())


def _transforms(ref: Any) -> list[str | None] | None:
    """The transform algorithms of a reference; ``None`` if one has parameters."""
    transforms = ref.findall(f"{DS}Transforms/{DS}Transform")
    if any(len(t) for t in transforms):
        return None
    return [t.get("Algorithm") for t in transforms]


def _outside_signatures(target: Any) -> bool:
    inside = any(a.tag == DS + "Signature" for a in target.iterancestors())
    return not inside and next(target.iter(DS + "Signature"), None) is None


def _cda(root: Any, ds: Any, ident: str, leaf: x509.Certificate) -> bool:
    from signxml.verifier import XMLVerifier

    key = _rsa_key_valid_at(leaf, _verification_time(None))
    if key is None:
        return False
    # signxml is given a copy with only this ds:Signature and verifies the first it finds.
    kept = [s for s in root.iter(DS + "Signature") if s.getparent().get("ID") == ident]
    if kept != [ds]:
        return False
    signature = _alone(ds)
    if signature.find(f"{DS}KeyInfo/{DS}KeyValue") is not None:
        return False
    if signature.find(f"{DS}KeyInfo/{DSIG11}DEREncodedKeyValue") is not None:
        return False
    if not _schema_valid(signature, XMLVerifier):
        return False
    info = signature.find(DS + "SignedInfo")
    if not _signed_info_verifies(info, signature.findtext(DS + "SignatureValue"), key, True):
        return False
    references = info.findall(DS + "Reference")
    if len(references) != 2:
        return False
    ids = _ids(root, _ID_NAMES_CDA)
    for ref in references:
        target = _resolve(ids, _ID_NAMES_CDA, ref.get("URI") or "")
        if target is None or not _outside_signatures(target):
            return False  # inside another signature it is gone from signxml's copy
        if _transforms(ref) != [EXC_C14N] or not _digest_holds(ref, _c14n(_alone(target), True)):
            return False
    return True


def _xades(root: Any, ds: Any, leaf: x509.Certificate, signed_at: datetime | None) -> bool:
    from signxml.xades.xades import XAdESVerifier

    key = _rsa_key_valid_at(leaf, _verification_time(signed_at))
    if key is None or root.find(f"./{XHTML}head/{DS}Signature") is not ds:
        return False
    signature = _alone(ds)
    if not _schema_valid(signature, XAdESVerifier):
        return False
    if signature.find(f"{DS}KeyInfo/{DSIG11}DEREncodedKeyValue") is not None:
        return False
    if not _key_value_matches(signature.find(f"{DS}KeyInfo/{DS}KeyValue"), key):
        return False
    info = signature.find(DS + "SignedInfo")
    if not _signed_info_verifies(info, signature.findtext(DS + "SignatureValue"), key, False):
        return False
    references = info.findall(DS + "Reference")
    if len(references) != 3 or (references[0].get("URI") != ""):
        return False
    document, properties, key_info = references
    if _transforms(document) != [ENVELOPED, C14N_11]:
        return False
    canonical = _c14n(root, exclusive=False)
    if not _digest_holds(document, _enveloped(root, canonical)):
        return False
    parts = []
    for ref in (properties, key_info):
        target = _resolve_inside(ds, root, canonical, ref.get("URI") or "")
        if target is None or _transforms(ref) != []:
            return False
        part = _alone(target)
        parts.append(part)
        if not _digest_holds(ref, _c14n(part, exclusive=False)):
            return False
    if parts[0].tag != XADES + "SignedProperties" or parts[1].tag == XADES + "SignedProperties":
        return False  # signxml checks the first SignedProperties among the references
    return _signing_certificate_holds(parts[0], signature, leaf)


def _enveloped(root: Any, canonical: bytes | None = None) -> bytes:
    """The whole document without its signature, canonicalised as signxml does it (a
    re-parsed copy, the signature removed keeping its tail, C14N 1.1 done as lxml's
    inclusive c14n of the re-parsed result).

    Cut out of the canonical form of the document itself, which is left as it is: no copy
    (half the cost), nothing detached and put back (lxml's remove and insert rewrite
    namespace declarations). Inclusive c14n writes an element as one run of bytes from
    its start tag to its end tag, the tail after it; removing the element takes out that
    run and nothing else, and the tail stays where signxml's removal joins it to the text
    before. The run is found by its tags, which c14n writes with the element's prefixed
    name; where the start tag or the end tag of that name is found more than once (a
    signature inside it, a processing instruction that spells one), ``ValueError``: not
    decided here. ``canonical``: the document's c14n, if made already.

    The document itself, not signxml's re-parsed copy: both are the root element's tree
    node for node, with the namespace declarations of the root, which has no ancestors
    to inherit any from; what a round trip would drop, the document's DOCTYPE and the
    nodes beside the root, c14n of the root element does not write either. The tests
    compare the result with signxml's."""
    ds = root.find(f"./{XHTML}head/{DS}Signature")
    local = etree.QName(ds).localname
    name = (f"{ds.prefix}:{local}" if ds.prefix else local).encode("utf-8")
    whole = _c14n(root, exclusive=False) if canonical is None else canonical
    starts = _starts(whole, b"<" + name)
    end = b"</" + name + b">"
    stop = whole.find(end)
    if len(starts) != 1 or stop < starts[0] or whole.find(end, stop + 1) >= 0:
        raise ValueError("the signature's tags are not found once each")
    return whole[: starts[0]] + whole[stop + len(end) :]


def _starts(data: bytes, start: bytes) -> list[int]:
    """Where the start tags that begin with ``start`` (``<`` and a name) are in c14n output
    (not a longer name: ``<ds:SignatureValue`` is not ``<ds:Signature``)."""
    found = []
    at = data.find(start)
    while at >= 0:
        if data[at + len(start) : at + len(start) + 1] in (b" ", b">"):
            found.append(at)
        at = data.find(start, at + 1)
    return found


def _key_value_matches(key_value: Any, key: Any) -> bool:
    """signxml refuses a KeyValue that is not the certificate's key."""
    if key_value is None:
        return True
    rsa_value = key_value.find(DS + "RSAKeyValue")
    if rsa_value is None:
        return False
    numbers = key.public_numbers()
    modulus = int.from_bytes(b64decode(rsa_value.findtext(DS + "Modulus")), "big")
    exponent = int.from_bytes(b64decode(rsa_value.findtext(DS + "Exponent")), "big")
    return bool(modulus == numbers.n and exponent == numbers.e)


@lru_cache(maxsize=64)
def _pem_certificate_digest(text: str) -> bytes:
    """The SHA-256 fingerprint of a certificate as signxml loads it from X509Certificate
    text (its PEM header added). Kept by text: a signer certificate signs many documents,
    and loading it is not cheap."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from signxml.util import add_pem_header

    certificate = x509.load_pem_x509_certificate(add_pem_header(text))  # type: ignore[no-untyped-call]
    return certificate.fingerprint(hashes.SHA256())


def _signing_certificate_holds(properties: Any, signature: Any, leaf: x509.Certificate) -> bool:
    """XAdES: one SigningCertificate(V2), each Cert's SHA-256 digest that of a certificate
    in the signature or of the signer certificate, the first that of the signer
    certificate."""
    from cryptography.hazmat.primitives import hashes

    signed = properties.find(XADES + "SignedSignatureProperties")
    blocks = [signed.find(XADES + name) for name in ("SigningCertificate", "SigningCertificateV2")]
    present = [b for b in blocks if b is not None]
    texts = signature.findall(f"{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate")
    if len(present) != 1 or not texts:
        return False
    signer = leaf.fingerprint(hashes.SHA256())
    # signxml adds the signer certificate to those in the signature unless it is one of
    # them; either way its digest is among theirs.
    digests = {_pem_certificate_digest(t.text) for t in texts} | {signer}
    for index, cert in enumerate(present[0].findall(XADES + "Cert")):
        method = cert.find(f"{XADES}CertDigest/{DS}DigestMethod")
        if method is None or method.get("Algorithm") != SHA256:
            return False
        value = b64decode(cert.findtext(f"{XADES}CertDigest/{DS}DigestValue"))
        if value not in digests or (index == 0 and value != signer):
            return False
    return True
