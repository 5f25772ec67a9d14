"""JWS signatures (RFC 7515) over the RFC 8785 canonical form of a JSON document.

The signed JSON document is the usual ``{"metadata", "content"}`` object plus a
top-level member ``"signature": {"jws": "<compact JWS, detached payload>"}``.
The payload (RFC 7515 appendix F: left out of the compact form, base64url
encoded as usual for the signing input) is the RFC 8785 (JCS) canonical JSON of
``{"metadata": <metadata without its "signature" block>, "content": ...}``, so
the signature survives re-indenting, key reordering and any other change that
leaves the JSON data model the same. The protected header carries ``alg``
(RS256, PS256 or ES256), ``x5c`` (the signer's certificate chain) and ``sigT``
(the signing time, as in JAdES). Signing and verification call ``cryptography`` directly
(:func:`_signature_of`, :func:`_signature_verifies`); the tests check both against
``jwcrypto``, the reference implementation.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from cryptography import x509

ALGORITHMS = ("RS256", "PS256", "ES256")


def signing_payload(metadata: Mapping[str, Any], content: Mapping[str, Any]) -> bytes:
    """The bytes a JSON document's JWS signs: RFC 8785 canonical JSON, metadata signature removed.

    Raises ValueError when the document holds values JCS cannot represent
    (integers beyond 2**53, non-finite numbers).
    """
    unsigned_metadata = {k: v for k, v in metadata.items() if k != "signature"}
    return canonical_json({"metadata": unsigned_metadata, "content": content})


# JCS (and rfc8785) refuse integers of this magnitude or more: they are not exact doubles.
_JCS_MAX_INT = 2**53
# JCS sorts keys by UTF-16 code units, Python by code points: they differ only for
# characters beyond U+FFFF, whose UTF-8 encoding starts with one of these bytes.
_FOUR_BYTE_LEADS = (b"\xf0", b"\xf1", b"\xf2", b"\xf3", b"\xf4")


def _plain_json(value: Any) -> bool:
    """Whether ``value`` holds only strings, booleans, nulls and integers JCS writes as digits."""
    stack = [value]
    while stack:
        node = stack.pop()
        items = node.values() if type(node) is dict else node
        for item in items:
            kind = type(item)
            if kind is str or kind is bool or item is None:
                continue
            if kind is int:
                if -_JCS_MAX_INT < item < _JCS_MAX_INT:
                    continue
                return False
            if kind is dict or kind is list:
                stack.append(item)
                continue
            return False
    return True


def canonical_json(value: Any) -> bytes:
    """RFC 8785 (JCS) canonical JSON of ``value``.

    The ``rfc8785`` package is the reference, but it serialises in Python one string at a
    time (about 170 µs for a 4 KB document). For the usual document (integers below 2**53
    in size, no floats, no characters beyond U+FFFF) JCS is exactly what ``orjson`` writes
    with sorted keys: no whitespace, UTF-8 as is, and the same string escapes
    (``\\b \\f \\n \\r \\t``, other controls as ``\\u00xx``), in about a tenth of the time of
    ``json.dumps(sort_keys=True)``; anything else goes to ``rfc8785``. A property test holds
    the two to the same bytes.
    """
    if type(value) is dict and _plain_json(value):
        import orjson

        try:
            data = orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER)
        except TypeError:
            data = None  # e.g. a lone surrogate: rfc8785 refuses it with a reason
        if data is not None and not any(lead in data for lead in _FOUR_BYTE_LEADS):
            return data
    import rfc8785

    try:
        return rfc8785.dumps(value)
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
    alg = _algorithm(material)
    header = {
        "alg": alg,
        "x5c": [
            base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode("ascii")
            for c in material.chain
        ],
        "sigT": signed_at,
    }
    protected = _b64url_text(json.dumps(header).encode("utf-8"))
    signing_input = f"{protected}.{_b64url_text(payload)}".encode("ascii")
    signature = _b64url_text(_signature_of(material, alg, signing_input))
    return {
        "metadata": metadata,
        "content": content,
        "signature": {"jws": f"{protected}..{signature}"},
    }


def _b64url_text(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _signature_of(material: SigningMaterial, alg: str, signing_input: bytes) -> bytes:
    """The JWS signature (RFC 7518 section 3) of ``signing_input`` by ``alg``.

    ``cryptography`` signs with the key already loaded (jwcrypto re-loaded and re-checked
    the RSA key twice per signature, ~170 ms of a 2048-bit key); tests hold the tokens to
    jwcrypto's verification.
    """
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    key = material.key
    if alg == "ES256" and isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    if alg == "RS256" and isinstance(key, rsa.RSAPrivateKey):
        return key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    raise SigningError(f"cannot sign {alg} with a {type(key).__name__}")


_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def _b64url(text: str) -> bytes:
    """Strict base64url without padding (RFC 7515 section 2)."""
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class _Signer:
    """What a JWS header's ``x5c`` says about the signer (parsed once per chain)."""

    chain: tuple[x509.Certificate, ...]
    name: str | None
    certificate_sha256: str


@functools.lru_cache(maxsize=256)
def _signer(x5c: tuple[str, ...]) -> _Signer:
    # A signer signs many documents with one chain: parse it once per process.
    from cryptography import x509

    try:
        chain = tuple(
            x509.load_der_x509_certificate(base64.b64decode(c, validate=True)) for c in x5c
        )
    except binascii.Error as exc:
        raise ValueError(f"x5c is not base64: {exc}") from exc
    if not chain:
        raise ValueError("the JWS header carries no certificate")
    return _Signer(chain, common_name(chain[0]), certificate_sha256(chain[0]))


def _signature_verifies(alg: str, key: Any, signing_input: bytes, signature: bytes) -> bool:
    """The JWS signature check of RFC 7518 section 3 for RS256, PS256 and ES256.

    ``cryptography`` does the arithmetic; this only maps each ``alg`` to its padding and
    signature encoding. (jwcrypto spends ~0.4 ms per verification on re-parsing keys and
    copying headers; this takes ~20 µs. Tests hold the two together.)
    """
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    try:
        if alg in ("RS256", "PS256") and isinstance(key, rsa.RSAPublicKey):
            pad: padding.AsymmetricPadding = (
                padding.PKCS1v15()
                if alg == "RS256"
                else padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.DIGEST_LENGTH)
            )
            key.verify(signature, signing_input, pad, hashes.SHA256())
            return True
        if (
            alg == "ES256"
            and isinstance(key, ec.EllipticCurvePublicKey)
            and isinstance(key.curve, ec.SECP256R1)
            and len(signature) == 64
        ):
            r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            key.verify(encode_dss_signature(r, s), signing_input, ec.ECDSA(hashes.SHA256()))
            return True
    except InvalidSignature:
        return False
    return False


@checked
def verify_json(
    metadata: Mapping[str, Any],
    content: Mapping[str, Any],
    signature: Mapping[str, Any] | None,
    trust_anchors: tuple[bytes, ...] = (),
) -> SignatureCheck:
    """Verify the detached JWS of a JSON document against its canonical payload."""
    if signature is None:
        return ABSENT
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
        if not isinstance(header, dict):
            raise TypeError("the protected header is not a JSON object")
        x5c = header["x5c"]
        if not isinstance(x5c, list) or not all(isinstance(c, str) for c in x5c):
            raise TypeError("x5c is not a list of strings")
        signer = _signer(tuple(x5c))
        signature_bytes = _b64url(parts[2])
    except (ValueError, KeyError, TypeError) as exc:
        return SignatureCheck(True, False, problem=f"unreadable JWS header or x5c: {exc}")
    signed_at = parse_time(header.get("sigT") if isinstance(header.get("sigT"), str) else None)
    facts: dict[str, Any] = {
        "signer": signer.name,
        "signed_at": utc_text(signed_at) if signed_at else None,
        "certificate_sha256": signer.certificate_sha256,
    }
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        return SignatureCheck(
            True, False, problem=f"JWS algorithm {alg!r} is not one of {ALGORITHMS}", **facts
        )
    if "crit" in header or header.get("b64", True) is not True:
        # No JWS extension is understood here (RFC 7515 section 4.1.11: refuse them).
        return SignatureCheck(
            True, False, problem="the JWS header asks for extensions ('crit' or 'b64')", **facts
        )
    try:
        payload = signing_payload(metadata, content)
    except ValueError as exc:
        return SignatureCheck(True, False, problem=str(exc), **facts)
    signing_input = parts[0].encode("ascii") + b"." + base64.urlsafe_b64encode(payload).rstrip(b"=")
    if not _signature_verifies(alg, signer.chain[0].public_key(), signing_input, signature_bytes):
        return SignatureCheck(
            True,
            False,
            problem="the JWS does not verify: the document changed after signing, or the "
            "signature is broken",
            **facts,
        )
    trusted: bool | None = None
    problem: str | None = None
    if trust_anchors:
        problem = chain_problem(signer.chain, trust_anchors, signed_at)
        trusted = problem is None
    return SignatureCheck(True, True, trusted=trusted, problem=problem, **facts)
