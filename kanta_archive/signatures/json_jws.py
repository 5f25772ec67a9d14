"""JWS signatures (RFC 7515) over the RFC 8785 canonical form of a JSON document.

The signed JSON document is the usual ``{"metadata", "content"}`` object plus a
top-level member ``"signature": {"jws": "<compact JWS, detached payload>"}``.
The payload (RFC 7515 appendix F: left out of the compact form, base64url
encoded as usual for the signing input) is the RFC 8785 (JCS) canonical JSON of
``{"metadata": <metadata without its "signature" block>, "content": ...}``, so
the signature survives re-indenting, key reordering and any other change that
leaves the JSON data model the same. The protected header carries ``alg``
(RS256, PS256 or ES256), ``x5c`` (the signer's certificate chain) and ``sigT``
(the signing time, as in JAdES). JOSE processing is ``jwcrypto``'s.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from kanta_archive.signatures.verify import (
    ABSENT,
    SignatureCheck,
    SigningError,
    SigningMaterial,
    certificate_sha256,
    chain_problem,
    common_name,
    parse_time,
    utc_text,
)

ALGORITHMS = ("RS256", "PS256", "ES256")


def signing_payload(metadata: Mapping[str, Any], content: Mapping[str, Any]) -> bytes:
    """The bytes a JSON document's JWS signs: RFC 8785 canonical JSON, metadata signature removed.

    Raises ValueError when the document holds values JCS cannot represent
    (integers beyond 2**53, non-finite numbers).
    """
    import rfc8785

    unsigned_metadata = {k: v for k, v in metadata.items() if k != "signature"}
    try:
        return rfc8785.dumps({"metadata": unsigned_metadata, "content": content})
    except rfc8785.CanonicalizationError as exc:
        raise ValueError(f"the document cannot be canonicalised (RFC 8785): {exc}") from exc


def _algorithm(material: SigningMaterial) -> str:
    from cryptography.hazmat.primitives.asymmetric import ec

    return "ES256" if isinstance(material.key, ec.EllipticCurvePrivateKey) else "RS256"


def sign_json(
    document: Mapping[str, Any], material: SigningMaterial, now: datetime
) -> dict[str, Any]:
    """Return ``document`` (``{"metadata", "content", ...}``) signed with a detached JWS.

    The metadata ``signature`` block is written first (signer = certificate CN,
    signed_at = ``now`` in UTC, certificate_sha256); an old JWS is replaced.
    """
    from cryptography.hazmat.primitives import serialization
    from jwcrypto import jwk, jws  # type: ignore[import-untyped]

    signer = common_name(material.certificate)
    if not signer:
        raise SigningError("the signer certificate has no subject common name (CN)")
    signed_at = utc_text(now)
    metadata = dict(document["metadata"])
    metadata["signature"] = {
        "signer": signer,
        "signed_at": signed_at,
        "certificate_sha256": certificate_sha256(material.certificate),
    }
    content = document["content"]
    try:
        payload = signing_payload(metadata, content)
    except ValueError as exc:
        raise SigningError(str(exc)) from exc
    key_pem = material.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    header = {
        "alg": _algorithm(material),
        "x5c": [
            base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode("ascii")
            for c in material.chain
        ],
        "sigT": signed_at,
    }
    token = jws.JWS(payload)
    token.add_signature(jwk.JWK.from_pem(key_pem), None, json.dumps(header))
    protected, _payload, signature = str(token.serialize(compact=True)).split(".")
    return {
        "metadata": metadata,
        "content": content,
        "signature": {"jws": f"{protected}..{signature}"},
    }


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify_json(
    metadata: Mapping[str, Any],
    content: Mapping[str, Any],
    signature: Mapping[str, Any] | None,
    trust_anchors: tuple[bytes, ...] = (),
) -> SignatureCheck:
    """Verify the detached JWS of a JSON document against its canonical payload."""
    if signature is None:
        return ABSENT
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from jwcrypto import jwk, jws
    from jwcrypto.common import JWException  # type: ignore[import-untyped]

    compact = signature.get("jws")
    if not isinstance(compact, str):
        return SignatureCheck(True, False, problem="'signature' has no 'jws' string")
    parts = compact.split(".")
    if len(parts) != 3 or parts[1] != "":
        return SignatureCheck(
            True, False, problem="'jws' must be a compact JWS with a detached (empty) payload"
        )
    try:
        header = json.loads(_b64url(parts[0]))
        chain = [x509.load_der_x509_certificate(base64.b64decode(c)) for c in header["x5c"]]
    except (ValueError, KeyError, TypeError) as exc:
        return SignatureCheck(True, False, problem=f"unreadable JWS header or x5c: {exc}")
    if not isinstance(header, dict) or not chain:
        return SignatureCheck(True, False, problem="the JWS header carries no certificate")
    leaf = chain[0]
    signed_at = parse_time(header.get("sigT") if isinstance(header.get("sigT"), str) else None)
    facts: dict[str, Any] = {
        "signer": common_name(leaf),
        "signed_at": utc_text(signed_at) if signed_at else None,
        "certificate_sha256": certificate_sha256(leaf),
    }
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        return SignatureCheck(
            True, False, problem=f"JWS algorithm {alg!r} is not one of {ALGORITHMS}", **facts
        )
    try:
        payload = signing_payload(metadata, content)
    except ValueError as exc:
        return SignatureCheck(True, False, problem=str(exc), **facts)
    try:
        key = jwk.JWK.from_pem(
            leaf.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        token = jws.JWS()
        token.deserialize(compact)
        token.verify(key, alg=alg, detached_payload=payload)
    except (JWException, ValueError, TypeError) as exc:
        return SignatureCheck(
            True,
            False,
            problem=f"the JWS does not verify: the document changed after signing, or the "
            f"signature is broken ({type(exc).__name__})",
            **facts,
        )
    trusted: bool | None = None
    problem: str | None = None
    if trust_anchors:
        problem = chain_problem(chain, trust_anchors, signed_at)
        trusted = problem is None
    return SignatureCheck(True, True, trusted=trusted, problem=problem, **facts)
