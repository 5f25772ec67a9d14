"""The JSON signature's building blocks: RFC 8785 canonical form and JWS verification.

Signing and verification call cryptography directly. These tests hold the fast paths to
the reference implementations: ``rfc8785`` for the canonical form, jwcrypto-made tokens
(every algorithm we accept) for verification, and jwcrypto's verification for the tokens
``sign_json`` makes.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC
from typing import Any

import pytest
import rfc8785
from cryptography.hazmat.primitives import serialization
from hypothesis import given, settings
from hypothesis import strategies as st
from jwcrypto import jwk, jws  # type: ignore[import-untyped]

from kanta_archive.signatures.json_jws import canonical_json, signing_payload, verify_json
from kanta_archive.signatures.testpki import PkiIdentity, make_ca, make_signer

METADATA = {"document_oid": "1.2.246.10.1.1", "title": "Päätös €", "signature": {"x": 1}}
CONTENT = {"kirjaus": "Asiakas kävi toimistolla.", "määrä": 3, "lista": [1, "kaksi", None]}

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


def _assert_canonical_as_reference(value: dict[str, Any]) -> None:
    """canonical_json gives rfc8785's bytes, or refuses (ValueError) what rfc8785 refuses."""
    try:
        expected = rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, UnicodeEncodeError):
        with pytest.raises(ValueError):
            canonical_json(value)
    else:
        assert canonical_json(value) == expected


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.text(max_size=8), json_values, max_size=5))
def test_canonical_json_is_byte_for_byte_rfc8785(value: dict[str, Any]) -> None:
    _assert_canonical_as_reference(value)


@pytest.mark.parametrize(
    "value",
    [
        {"a": 1.5},
        {"a": [1, 2, 3.0]},
        {"a": 2**53 - 1},
        {"a": -(2**53 - 1)},
        {"a": 2**53},
        {"a": -(2**53)},
        {"a": 10**21},
        {"\U0001f600": 1, "\ue000": 2},
        {"a": '\x00\x1f\x7f\u2028"\\'},
        {"a": {"b": [{"c": 1e-7}]}},
    ],
    ids=repr,
)
def test_canonical_json_matches_rfc8785_where_the_fast_path_must_step_aside(
    value: dict[str, Any],
) -> None:
    _assert_canonical_as_reference(value)


def test_canonical_json_refuses_what_rfc8785_cannot_represent() -> None:
    with pytest.raises(ValueError, match="RFC 8785"):
        canonical_json({"a": float("nan")})


def test_signing_payload_leaves_out_the_metadata_signature_block() -> None:
    payload = json.loads(signing_payload(METADATA, CONTENT))
    assert "signature" not in payload["metadata"]
    assert payload["content"] == CONTENT


# -- verification against tokens that jwcrypto made ------------------------------------


@pytest.fixture(scope="module")
def ca() -> PkiIdentity:
    return make_ca()


@pytest.fixture(scope="module")
def rsa_signer(ca: PkiIdentity) -> PkiIdentity:
    return make_signer(ca, "Antti Niemi")


@pytest.fixture(scope="module")
def ec_signer(ca: PkiIdentity) -> PkiIdentity:
    return make_signer(ca, "Liisa Laine", kind="ec")


def _x5c(identity: PkiIdentity) -> list[str]:
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(identity.cert_pem)
    return [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _token(identity: PkiIdentity, alg: str, payload: bytes, **extra: Any) -> dict[str, str]:
    header = {"alg": alg, "x5c": _x5c(identity), "sigT": "2024-07-08T07:30:00Z", **extra}
    token = jws.JWS(payload)
    token.add_signature(jwk.JWK.from_pem(identity.key_pem), None, json.dumps(header))
    protected, _payload, signature = str(token.serialize(compact=True)).split(".")
    return {"jws": f"{protected}..{signature}"}


@pytest.mark.parametrize(("alg", "kind"), [("RS256", "rsa"), ("PS256", "rsa"), ("ES256", "ec")])
def test_jwcrypto_signature_of_each_algorithm_verifies(
    alg: str, kind: str, rsa_signer: PkiIdentity, ec_signer: PkiIdentity, ca: PkiIdentity
) -> None:
    identity = rsa_signer if kind == "rsa" else ec_signer
    signature = _token(identity, alg, signing_payload(METADATA, CONTENT))
    check = verify_json(METADATA, CONTENT, signature, (ca.cert_pem,))
    assert check.valid and check.trusted, check.problem


@pytest.mark.parametrize(("alg", "kind"), [("RS256", "rsa"), ("PS256", "rsa"), ("ES256", "ec")])
def test_changed_content_does_not_verify_with_any_algorithm(
    alg: str, kind: str, rsa_signer: PkiIdentity, ec_signer: PkiIdentity
) -> None:
    identity = rsa_signer if kind == "rsa" else ec_signer
    signature = _token(identity, alg, signing_payload(METADATA, CONTENT))
    changed = {**CONTENT, "määrä": 4}
    check = verify_json(METADATA, changed, signature)
    assert check.present and not check.valid
    assert "does not verify" in (check.problem or "")


def test_algorithm_that_does_not_fit_the_key_does_not_verify(rsa_signer: PkiIdentity) -> None:
    signature = _token(rsa_signer, "RS256", signing_payload(METADATA, CONTENT))
    protected, _, sig = signature["jws"].split(".")
    header = json.loads(base64.urlsafe_b64decode(protected + "=" * (-len(protected) % 4)))
    header["alg"] = "ES256"
    forged = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()
    check = verify_json(METADATA, CONTENT, {"jws": f"{forged}..{sig}"})
    assert not check.valid


def test_critical_header_extension_is_refused_even_when_the_signature_is_right(
    rsa_signer: PkiIdentity,
) -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    header = {"alg": "RS256", "x5c": _x5c(rsa_signer), "crit": ["urn:example:x"]}
    protected = _b64(json.dumps(header).encode())
    signing_input = f"{protected}.{_b64(signing_payload(METADATA, CONTENT))}".encode()
    key = serialization.load_pem_private_key(rsa_signer.key_pem, None)
    assert isinstance(key, rsa.RSAPrivateKey)
    sig = _b64(key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256()))
    check = verify_json(METADATA, CONTENT, {"jws": f"{protected}..{sig}"})
    assert not check.valid and "extensions" in (check.problem or "")


def test_signature_segment_that_is_not_base64url_is_unreadable(rsa_signer: PkiIdentity) -> None:
    signature = _token(rsa_signer, "RS256", signing_payload(METADATA, CONTENT))
    protected = signature["jws"].split(".")[0]
    check = verify_json(METADATA, CONTENT, {"jws": f"{protected}..not+base64/url="})
    assert not check.valid and "unreadable" in (check.problem or "")


def test_x5c_that_is_not_a_certificate_is_unreadable() -> None:
    header = {"alg": "RS256", "x5c": [base64.b64encode(b"not a certificate").decode()]}
    protected = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()
    check = verify_json(METADATA, CONTENT, {"jws": f"{protected}..AAAA"})
    assert check.present and not check.valid and "unreadable" in (check.problem or "")


# -- signing: the tokens sign_json makes, checked by jwcrypto ------------------------------


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_sign_json_tokens_verify_with_jwcrypto(
    kind: str, rsa_signer: PkiIdentity, ec_signer: PkiIdentity, ca: PkiIdentity
) -> None:
    from datetime import datetime

    from kanta_archive.signatures.json_jws import sign_json
    from kanta_archive.signatures.verify import load_signing_material

    identity = rsa_signer if kind == "rsa" else ec_signer
    material = load_signing_material(identity.key_pem, identity.cert_pem)
    now = datetime(2024, 7, 8, 7, 30, tzinfo=UTC)
    signed = sign_json({"metadata": METADATA, "content": CONTENT}, material, now)
    protected, empty, signature = signed["signature"]["jws"].split(".")
    assert empty == ""  # detached payload
    payload = signing_payload(signed["metadata"], signed["content"])
    token = jws.JWS()
    token.deserialize(f"{protected}.{_b64(payload)}.{signature}")
    token.verify(jwk.JWK.from_pem(identity.cert_pem))  # raises when it does not verify
    header = json.loads(base64.urlsafe_b64decode(protected + "=" * (-len(protected) % 4)))
    assert header["alg"] == ("RS256" if kind == "rsa" else "ES256")
    assert header["sigT"] == "2024-07-08T07:30:00Z"
    check = verify_json(signed["metadata"], signed["content"], signed["signature"], (ca.cert_pem,))
    assert check.valid and check.trusted, check.problem
