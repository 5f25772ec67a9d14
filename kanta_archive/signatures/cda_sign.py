"""Sign the CDA form: one ``signatureCollection/signature`` per signing (docs/signatures.md).

As *Kanta CDA R2 -asiakirjojen sähköinen allekirjoitus* describes and real documents
show (../shared/kanta-cda.md): an XML-DSig ``Signature`` (exclusive c14n, RSA-SHA256,
SHA-256 digests) with two references by ``ID``, to ``component/nonXMLBody`` and to the
signature's own ``signatureTimestamp``, inside ``signatureCollection/signature`` (namespace
``urn:hl7finland``) with its ``signatureDescription`` (signature type, code system
1.2.246.537.5.40127: 1 professional, 3 system signature). signxml makes the signature.
A new signature is added to those already there; the metadata block
``localSocialHeader/signature`` (signer name, time) is written for the professional one.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lxml import etree

from kanta_archive.formats.cda_common import EP2, EP2_NS, HL7, SIGNATURE_TYPE_SYSTEM, to_ts
from kanta_archive.signatures.verify import SigningError, SigningMaterial, common_name, utc_text

if TYPE_CHECKING:
    from kanta_archive.model import Document

EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
SIGNATURE_TYPES = {"1": "Ammattilaisen allekirjoitus", "3": "Järjestelmäallekirjoitus"}


def _metadata_block(local: Any, signer: str, time: str) -> None:
    old = local.find(EP2 + "signature")
    block = etree.Element(EP2 + "signature")
    etree.SubElement(etree.SubElement(block, EP2 + "signer"), EP2 + "name").text = signer
    etree.SubElement(block, EP2 + "time", {"value": time})
    if old is not None:
        local.replace(old, block)
        return
    collection = local.find(EP2 + "signatureCollection")
    if collection is not None:
        collection.addprevious(block)
    else:
        local.append(block)


def _collection(local: Any) -> Any:
    collection = local.find(EP2 + "signatureCollection")
    if collection is None:
        collection = etree.SubElement(
            local,
            EP2 + "signatureCollection",
            nsmap={None: EP2_NS},  # type: ignore[dict-item]
        )
    return collection


def _unique_id(root: Any, stem: str) -> str:
    taken = {el.get("ID") for el in root.iter() if isinstance(el.tag, str)}
    n = 1
    while f"{stem}{n}" in taken:
        n += 1
    return f"{stem}{n}"


def sign_cda(
    document: Document, material: SigningMaterial, now: datetime, *, signature_type: str = "1"
) -> bytes:
    """Sign a CDA document that has been read; return the signed document's bytes.

    ``signature_type`` is ``1`` (a professional's signature: the metadata block names
    the signer) or ``3`` (a system signature). Everything outside the new signature
    and the metadata block keeps its bytes' meaning; the output is re-serialised.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from signxml.algorithms import (
        CanonicalizationMethod,
        DigestAlgorithm,
        SignatureConstructionMethod,
        SignatureMethod,
    )
    from signxml.signer import XMLSigner

    if signature_type not in SIGNATURE_TYPES:
        raise SigningError(f"signature type {signature_type!r}: 1 professional or 3 system")
    if not isinstance(material.key, rsa.RSAPrivateKey):
        raise SigningError("a Kanta CDA signature is RSA-SHA256: give an RSA key")
    if document.cda is None or document.xml is None:
        raise SigningError(f"{document.source}: not a CDA document")
    signer_name = common_name(material.certificate)
    if not signer_name:
        raise SigningError("the signer certificate has no subject common name (CN)")
    root = copy.deepcopy(document.xml.root)
    doc = (
        root if root.tag == HL7 + "ClinicalDocument" else next(root.iter(HL7 + "ClinicalDocument"))
    )
    local = doc.find(EP2 + "localSocialHeader")
    body = doc.find(f"{HL7}component/{HL7}nonXMLBody")
    if local is None or body is None or not body.get("ID"):
        raise SigningError("the CDA needs ep2:localSocialHeader and a nonXMLBody with an ID")
    if signature_type == "1":
        _metadata_block(local, signer_name, to_ts(utc_text(now)))
    signature = etree.SubElement(
        _collection(local), EP2 + "signature", {"ID": _unique_id(root, "signature")}
    )
    etree.SubElement(
        signature,
        EP2 + "signatureDescription",
        {
            "code": signature_type,
            "codeSystem": SIGNATURE_TYPE_SYSTEM,
            "displayName": SIGNATURE_TYPES[signature_type],
        },
    )
    stamp_id = _unique_id(root, "timestamp")
    stamp = etree.SubElement(signature, EP2 + "signatureTimestamp", {"ID": stamp_id})
    stamp.text = utc_text(now)
    signer = XMLSigner(
        method=SignatureConstructionMethod.detached,
        signature_algorithm=SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    chain = [c.public_bytes(serialization.Encoding.PEM).decode("ascii") for c in material.chain]
    made = signer.sign(
        root,
        key=material.key,
        cert=chain,
        reference_uri=[f"#{body.get('ID')}", f"#{stamp_id}"],
        id_attribute="ID",
    )
    signature.append(made)
    data: bytes = etree.tostring(etree.ElementTree(root), encoding="UTF-8", xml_declaration=True)
    return data if data.endswith(b"\n") else data + b"\n"
