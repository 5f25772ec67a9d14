"""Signing generated documents with the public TEST-ONLY key (never for real documents).

The key and certificate are ``samples/keys/TEST-ONLY-signing-key.pem`` and
``TEST-ONLY-signing-cert.pem`` (``CN=Liisa Laine``, issued by ``TEST-ONLY-ca.pem``), shipped
in the wheel so that ``samples generate`` signs from an installed package too. A fixed key
keeps generated documents byte-identical from run to run (RSA PKCS#1 v1.5 signatures are
deterministic, and the XML signature's tokens are seeded by the document).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

from kanta_archive import identifiers as ids
from kanta_archive.generate.errors import GeneratorError
from kanta_archive.paths import bundled_samples_dir

SIGNER_FIRST, SIGNER_LAST = "Liisa", "Laine"
SIGNER_NAME = f"{SIGNER_FIRST} {SIGNER_LAST}"  # the certificate's CN
KEY_FILE, CERT_FILE = "TEST-ONLY-signing-key.pem", "TEST-ONLY-signing-cert.pem"


@lru_cache(maxsize=1)
def signing_material() -> Any:
    """The TEST-ONLY key and certificate (a ``signatures.verify.SigningMaterial``)."""
    from kanta_archive.signatures.verify import SigningError, load_signing_material

    keys = bundled_samples_dir() / "keys"
    try:
        return load_signing_material(
            (keys / KEY_FILE).read_bytes(), (keys / CERT_FILE).read_bytes()
        )
    except (OSError, SigningError) as exc:
        raise GeneratorError(f"{keys}: cannot load the TEST-ONLY signing key: {exc}") from exc


def sign_json_document(document: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Sign a JSON document (TEST-ONLY signer, signing time ``now``)."""
    from kanta_archive.signatures.json_jws import sign_json

    return sign_json(document, signing_material(), now)


def sign_xhtml_bytes(data: bytes, signed_at: str) -> bytes:
    """Sign an XHTML document (TEST-ONLY signer, signing time ``signed_at``), reproducibly:
    the XML signature's element tokens come from a generator seeded by the document."""
    from lxml import etree

    from kanta_archive.signatures.xml_dsig import sign_xhtml

    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    seed = int.from_bytes(hashlib.sha256(data).digest()[:8], "big")
    return sign_xhtml(root, signing_material(), ids.parse_datetime(signed_at), token_seed=seed)
