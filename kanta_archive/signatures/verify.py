"""Format-independent parts of document signatures: keys, certificates, trust, results.

Everything cryptographic is done by ``cryptography`` (certificates, chain
building), ``signxml`` (XML Signature, XAdES) and ``jwcrypto`` (JWS); this
module only loads keys and certificates and phrases the outcome as a
:class:`SignatureCheck`, which the signature rule turns into findings.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ParamSpec

from kanta_archive.errors import KantaArchiveError, UsageError

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
    from cryptography.x509 import verification


@dataclass(frozen=True)
class SignatureCheck:
    """What verifying one document's signature found, whatever the storage form.

    ``present``: the document carries a cryptographic signature (a JWS or a
    ds:Signature). ``valid``: it verifies and covers the document as it is now.
    ``signer``, ``signed_at`` and ``certificate_sha256`` come from the signature
    (the signer certificate's subject CN, the signed signing time in UTC, the
    SHA-256 of the signer certificate's DER) and are compared with the metadata.
    ``trusted`` is ``None`` when no trust anchor was given, else whether the
    signer certificate chains to one. ``problem`` says what is wrong, if anything.
    """

    present: bool
    valid: bool
    signer: str | None = None
    signed_at: str | None = None
    certificate_sha256: str | None = None
    trusted: bool | None = None
    problem: str | None = None


ABSENT = SignatureCheck(present=False, valid=False)

_P = ParamSpec("_P")

# What the libraries' exceptions mean for a signature, by class name (the classes are
# imported only when something has failed).
_FAILURES = {
    "DocumentInvalid": "the ds:Signature does not follow the XML Signature schema",
    "C14NError": "the document cannot be canonicalised (C14N), e.g. for a relative namespace URI",
    "XMLSyntaxError": "a signed part is not well-formed XML",
    "UnsupportedAlgorithm": "unsupported key type or algorithm",
    "InvalidVersion": "unreadable signer certificate",
}
_MAX_PROBLEM = 200


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_PROBLEM else text[: _MAX_PROBLEM - 1] + "…"


def unverifiable(exc: Exception) -> SignatureCheck:
    """The result for a signature whose check raised ``exc``: present, not valid, and why."""
    meaning = _FAILURES.get(type(exc).__name__, "the signature cannot be checked")
    detail = _one_line(str(exc)) or type(exc).__name__
    return SignatureCheck(
        True, False, problem=_one_line(f"{meaning} ({type(exc).__name__}: {detail})")
    )


def checked(verify: Callable[_P, SignatureCheck]) -> Callable[_P, SignatureCheck]:
    """Make a signature verifier total: what a library raises becomes an invalid check.

    signxml, lxml and cryptography raise on malformed signatures in more ways than can be
    listed (schema errors, certificates and keys they cannot read, XML that cannot be
    canonicalised), and their exceptions do not always pickle, which breaks worker
    processes. A signature that cannot be checked is not a valid one: the document gets
    KA-SIGNATURE-INVALID with the reason. The tool's own errors (:class:`KantaArchiveError`,
    e.g. an unusable trust anchor) and running out of memory still propagate.

    Every verifier is wrapped here, whatever its form (JWS, XML-DSig, CDA): decorate it with
    ``@checked``.
    """

    @functools.wraps(verify)
    def total(*args: _P.args, **kwargs: _P.kwargs) -> SignatureCheck:
        try:
            return verify(*args, **kwargs)
        except (KantaArchiveError, MemoryError):
            raise
        except Exception as exc:  # any library failure: see the docstring
            return unverifiable(exc)

    return total


class SigningError(UsageError):
    """A signing key, certificate or passphrase cannot be used (a usage problem: exit 2)."""


@dataclass(frozen=True)
class SigningMaterial:
    """A private key and its certificate chain (signer certificate first)."""

    key: PrivateKeyTypes
    chain: tuple[x509.Certificate, ...]

    @property
    def certificate(self) -> x509.Certificate:
        """The signer's own certificate."""
        return self.chain[0]


def load_signing_material(
    key_pem: bytes, cert_pem: bytes, passphrase: bytes | None = None
) -> SigningMaterial:
    """Load a PEM private key and PEM certificate(s); raise SigningError with the reason."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    try:
        key = serialization.load_pem_private_key(key_pem, password=passphrase)
    except TypeError as exc:
        if passphrase is None:
            raise SigningError("the private key is encrypted: give its passphrase") from exc
        raise SigningError("the private key is not encrypted: give no passphrase") from exc
    except ValueError as exc:
        if passphrase is not None and b"ENCRYPTED" in key_pem:
            raise SigningError("wrong passphrase for the private key") from exc
        raise SigningError("the key file is not a PEM private key") from exc
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise SigningError("only RSA and EC (P-256) private keys can sign documents")
    if isinstance(key, ec.EllipticCurvePrivateKey) and not isinstance(key.curve, ec.SECP256R1):
        raise SigningError(f"EC keys must be on P-256, not {key.curve.name}")
    try:
        chain = tuple(x509.load_pem_x509_certificates(cert_pem))
    except ValueError as exc:
        raise SigningError("the certificate file is not a PEM certificate") from exc
    if not chain:
        raise SigningError("the certificate file holds no certificate")
    if chain[0].public_key() != key.public_key():
        raise SigningError("the certificate does not belong to the private key")
    return SigningMaterial(key, chain)


def load_certificates(pem: bytes) -> list[x509.Certificate]:
    """Every certificate in a PEM bundle; raise SigningError when there is none."""
    from cryptography import x509

    try:
        certs = x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        raise SigningError("the trust anchor file is not a PEM certificate bundle") from exc
    if not certs:
        raise SigningError("the trust anchor file holds no certificate")
    return certs


def common_name(cert: x509.Certificate) -> str | None:
    """The certificate subject's common name (CN), if it has one."""
    from cryptography.x509.oid import NameOID

    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    value: Any = names[0].value if names else None
    return value if isinstance(value, str) else None


def certificate_sha256(cert: x509.Certificate) -> str:
    """SHA-256 of the certificate's DER encoding, lower-case hex (the metadata field)."""
    from cryptography.hazmat.primitives.serialization import Encoding

    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()


def utc_text(moment: datetime) -> str:
    """``2024-06-28T12:05:00Z``: UTC, whole seconds, with Z."""
    if moment.tzinfo is None:
        raise ValueError("signing time must have a time zone")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str | None) -> datetime | None:
    """Parse an ISO 8601 time with zone (``Z`` or ``±hh:mm``); None when it is not one."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


@functools.lru_cache(maxsize=16)
def _trust_store(anchors: tuple[bytes, ...]) -> verification.Store:
    # One set of --trust anchors serves every document of a run: parse it once.
    from cryptography.x509 import verification

    roots: list[x509.Certificate] = []
    for pem in anchors:
        roots.extend(load_certificates(pem))
    return verification.Store(roots)


def chain_problem(
    chain: Sequence[x509.Certificate], anchors: Sequence[bytes], at: datetime | None
) -> str | None:
    """Why ``chain`` (signer first) does not chain to any of ``anchors``; None if it does.

    Chains are built and checked by ``cryptography``'s X.509 verifier, at the
    signing time ``at`` (archived signatures outlive their certificates), with
    CA certificates held to the Web PKI CA profile and the signer certificate
    only to the basics (no server or client name checks: it names a person).
    """
    from cryptography.x509 import verification

    builder = (
        verification.PolicyBuilder()
        .store(_trust_store(tuple(anchors)))
        .time((at or datetime.now(UTC)).astimezone(UTC))
        .extension_policies(
            ee_policy=verification.ExtensionPolicy.permit_all(),
            ca_policy=verification.ExtensionPolicy.webpki_defaults_ca(),
        )
    )
    try:
        builder.build_client_verifier().verify(chain[0], list(chain[1:]))
    except verification.VerificationError as exc:
        return f"the signer certificate does not chain to a trust anchor: {exc}"
    return None


def describe_time(text: str | None) -> str:
    """A time for messages (the text as given, or 'none')."""
    return text if text else "none"
