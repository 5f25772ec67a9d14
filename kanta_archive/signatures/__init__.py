"""Document signatures: XAdES-BES enveloped XML Signatures for XHTML, detached JWS for JSON.

See ``docs/signatures.md``. Crypto libraries are imported lazily, inside the
functions that need them, so that the CLI starts fast.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

from kanta_archive.signatures.verify import (
    ABSENT,
    SignatureCheck,
    SigningError,
    SigningMaterial,
    checked,
    load_signing_material,
)

if TYPE_CHECKING:
    from kanta_archive.model import Document


def sign_document(document: Document, material: SigningMaterial, now: datetime) -> bytes:
    """Sign a document that has been read, returning the signed document's bytes.

    JSON is re-serialised (two-space indent, UTF-8): its JWS covers the data
    model, not the bytes. XHTML keeps its bytes apart from the new metadata
    block and the appended ``ds:Signature``.
    """
    if document.format == "json":
        from kanta_archive.signatures.json_jws import sign_json

        signed = sign_json(document.as_json_object(), material, now)
        return (json.dumps(signed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    if document.format == "cda":
        from kanta_archive.signatures.cda_sign import sign_cda

        return sign_cda(document, material, now)
    from kanta_archive.signatures.xml_dsig import sign_xhtml

    assert document.xml is not None
    return sign_xhtml(document.xml.root, material, now)


@checked
def verify_document(document: Document, trust_anchors: tuple[bytes, ...] = ()) -> SignatureCheck:
    """Verify the document's signature (``present=False`` when it has none). Never raises
    for a malformed signature: see :func:`~kanta_archive.signatures.verify.checked`."""
    if document.format == "json":
        from kanta_archive.signatures.json_jws import verify_json

        return verify_json(
            document.metadata_raw, document.content, document.signature, trust_anchors
        )
    if document.xml is None:
        return ABSENT
    if document.format == "cda":
        from kanta_archive.signatures.cda_verify import verify_cda

        return verify_cda(document, trust_anchors)
    from kanta_archive.signatures.xml_dsig import verify_xhtml

    return verify_xhtml(document.xml.root, trust_anchors)


def has_signature(document: Document) -> bool:
    """Whether the document carries a signature at all (cheap: no crypto)."""
    if document.format == "json":
        return document.signature is not None
    if document.xml is None:
        return False
    if document.format == "cda":
        from kanta_archive.signatures.cda_verify import find_signatures

        return bool(find_signatures(document.xml.metadata))
    from kanta_archive.signatures.xml_dsig import find_signature

    return find_signature(document.xml.root) is not None


__all__ = [
    "SignatureCheck",
    "SigningError",
    "SigningMaterial",
    "has_signature",
    "load_signing_material",
    "sign_document",
    "verify_document",
]
