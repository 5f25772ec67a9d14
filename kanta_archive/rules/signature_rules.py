"""Document signatures: required where the metadata says so, intact, trusted, and described.

Which documents must be signed is decided by ``validate.signature_requirement`` (the
metadata names a signer; a user's schema or ``--require-signature`` can require more).
A signature that is there is checked whatever. See ``docs/signatures.md``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from kanta_archive.findings import Finding
from kanta_archive.rules.context import RuleContext, finding

if TYPE_CHECKING:
    from kanta_archive.model import Document, Metadata
    from kanta_archive.signatures.verify import SignatureCheck

_AT = "/signature"
_META = "/metadata/signature"


def check_signature(ctx: RuleContext) -> Iterator[Finding]:
    """A document that must be signed (its metadata names a signer, or the user's schema or
    --require-signature asks for it) is signed (JWS for JSON, XAdES for XHTML);
    a signature verifies over the document as it is now; with a trust anchor given
    (``--trust``) its certificate chains to it; and the metadata ``signature`` block
    (signer, signed_at, certificate_sha256) agrees with the signature.
    """
    from kanta_archive.signatures import has_signature, verify_document

    document = ctx.document
    if not ctx.signature_required and not has_signature(document):
        return
    check = verify_document(document, ctx.trust_anchors)
    if not check.present:
        why = ctx.signature_reason or f"structure {ctx.metadata.structure_oid or '?'} requires it"
        yield finding(
            "KA-SIGNATURE-MISSING",
            f"the document must be signed ({why}) and has no signature "
            "(sign it with 'kanta-archive sign')",
            _AT,
        )
        return
    if not check.valid:
        yield finding(
            "KA-SIGNATURE-INVALID",
            f"the signature does not verify: {check.problem or 'unknown reason'}",
            _AT,
        )
        return
    if check.trusted is False:
        yield finding(
            "KA-SIGNATURE-UNTRUSTED",
            f"signer {check.signer!r}: {check.problem or 'certificate not trusted'}",
            _AT,
        )
    yield from metadata_disagreements(document, check, ctx.metadata)


def metadata_disagreements(
    document: Document, check: SignatureCheck, meta: Metadata | None = None
) -> Iterator[Finding]:
    """KA-SIGNATURE-METADATA findings: where the metadata block and a valid signature differ.
    ``meta`` is the document's typed metadata view when the caller has it already."""
    from kanta_archive.signatures.verify import parse_time

    signer, signed_at, certificate_sha256 = check.signer, check.signed_at, check.certificate_sha256
    raw = document.metadata_raw.get("signature")
    if not isinstance(raw, Mapping):
        yield finding(
            "KA-SIGNATURE-METADATA",
            "the document is signed but its metadata has no signature block",
            _META,
        )
        return
    meta = meta or document.metadata
    if meta.signer is not None and meta.signer != signer:
        yield finding(
            "KA-SIGNATURE-METADATA",
            f"metadata signer {meta.signer!r} differs from the signing certificate's "
            f"name {signer!r}",
            f"{_META}/signer",
        )
    claimed, actual = parse_time(meta.signed_at), parse_time(signed_at)
    if meta.signed_at is not None and claimed is not None and claimed != actual:
        yield finding(
            "KA-SIGNATURE-METADATA",
            f"metadata signed_at {meta.signed_at} differs from the signing time in the "
            f"signature ({signed_at or 'none'})",
            f"{_META}/signed_at",
        )
    digest = raw.get("certificate_sha256")
    if isinstance(digest, str) and digest != certificate_sha256:
        yield finding(
            "KA-SIGNATURE-METADATA",
            "metadata certificate_sha256 differs from the SHA-256 of the signing certificate "
            f"({certificate_sha256})",
            f"{_META}/certificate_sha256",
        )
