"""A signature that the libraries cannot even check is a KA-SIGNATURE-INVALID finding.

signxml, lxml and cryptography raise on malformed signatures in many ways (schema errors,
certificates that do not parse, key types they do not know, XML that cannot be
canonicalised): none of it may escape as an exception, whatever the form and whatever the
command (validate, validate -j, archive --partial, commissioning-test, verify-signature).
"""

from __future__ import annotations

import base64
import json
import pickle
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from kanta_archive.errors import (
    ConflictError,
    InputError,
    KantaArchiveError,
    RefusedError,
    SchemaError,
    StoreError,
    UsageError,
)
from kanta_archive.findings import ValidationResult
from kanta_archive.signatures.verify import SigningError
from kanta_archive.validate import Validator

VALID = Path(__file__).resolve().parents[2] / "samples" / "valid"
SIGNED = "case-document-closed"
SIGNED_JSON = (VALID / f"{SIGNED}.json").read_bytes()
SIGNED_XHTML = (VALID / f"{SIGNED}.xhtml").read_bytes()
_CERT_ELEMENT = re.compile(rb"(<ds:X509Certificate>)([^<]*)(</ds:X509Certificate>)")


def _sample_certificate() -> bytes:
    match = _CERT_ELEMENT.search(SIGNED_XHTML)
    assert match is not None
    return base64.b64decode(b"".join(match.group(2).split()))


def _changed(der: bytes, old: str, new: str) -> bytes:
    """The certificate with the DER bytes ``old`` (hex) replaced once by ``new``."""
    old_bytes, new_bytes = bytes.fromhex(old), bytes.fromhex(new)
    assert der.count(old_bytes) >= 1, old
    return der.replace(old_bytes, new_bytes, 1)


RSA_ENCRYPTION = "06092a864886f70d010101"  # OID 1.2.840.113549.1.1.1
CERTIFICATES: dict[str, Callable[[bytes], bytes]] = {
    # A public key algorithm nobody knows: cryptography raises UnsupportedAlgorithm.
    "unknown-key-type": lambda der: _changed(der, RSA_ENCRYPTION, "06092a864886f70d010163"),
    # The RSA key inside the bit string is not a SEQUENCE: "could not deserialize key data".
    "unparseable-key": lambda der: _changed(der, "0382010f003082010a", "0382010f003182010a"),
    # X.509 version 8: cryptography raises InvalidVersion (not a ValueError).
    "invalid-version": lambda der: _changed(der, "a003020102", "a003020107"),
    # The subject's common name is not UTF-8: the certificate loads, its subject does not.
    "unparseable-subject": lambda der: _changed(
        der, "0c0b" + b"Antti Niemi".hex(), "0c0be6" + b"ntti Niemi".hex()
    ),
    "not-der": lambda der: b"\x30\x03\x02\x01",
    "empty": lambda der: b"",
}


def with_certificate(fmt: str, der: bytes) -> bytes:
    """The signed sample with its signer certificate replaced by ``der``."""
    if fmt == "xhtml":
        encoded = base64.b64encode(der)
        # Lines of 64 as signxml writes them: the certificate is signed, so the sample's own
        # certificate must come back byte for byte.
        text = b"".join(encoded[i : i + 64] + b"\n" for i in range(0, len(encoded), 64))
        return _CERT_ELEMENT.sub(lambda m: m.group(1) + text + m.group(3), SIGNED_XHTML, 1)
    document = json.loads(SIGNED_JSON)
    protected, _, signature = document["signature"]["jws"].split(".")
    header = json.loads(base64.urlsafe_b64decode(protected + "=" * (-len(protected) % 4)))
    header["x5c"] = [base64.b64encode(der).decode("ascii")]
    encoded = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()
    document["signature"]["jws"] = f"{encoded}..{signature}"
    return json.dumps(document, indent=2).encode()


# Changes to the XHTML signature that signxml or lxml raise on.
XML_BREAKAGES: dict[str, Callable[[bytes], bytes]] = {
    # signxml checks the ds:Signature against the XML-DSig schema: lxml's DocumentInvalid.
    "signature-schema": lambda data: re.sub(rb"<ds:DigestMethod [^>]*/>", b"", data, count=1),
    "signature-schema-extra-element": lambda data: data.replace(
        b"</ds:SignedInfo>", b"<ds:Unknown/></ds:SignedInfo>", 1
    ),
    # A relative namespace URI cannot be canonicalised: lxml's C14NError.
    "relative-namespace": lambda data: data.replace(
        b"<body>", b'<body xmlns:rel="relative/uri">', 1
    ),
}


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator()


def signature_errors(result: ValidationResult) -> list[str]:
    return [f.message for f in result.findings if f.code == "KA-SIGNATURE-INVALID"]


def test_the_unchanged_samples_verify(validator: Validator) -> None:
    for data, name in ((SIGNED_JSON, "s.json"), (SIGNED_XHTML, "s.xhtml")):
        assert validator.validate_bytes(data, name).valid
    assert with_certificate("xhtml", _sample_certificate()) == SIGNED_XHTML
    assert validator.validate_bytes(with_certificate("json", _sample_certificate()), "j").valid


@pytest.mark.parametrize("fmt", ["json", "xhtml"])
@pytest.mark.parametrize("breakage", sorted(CERTIFICATES))
def test_a_certificate_the_libraries_cannot_use_is_an_invalid_signature(
    validator: Validator, fmt: str, breakage: str
) -> None:
    data = with_certificate(fmt, CERTIFICATES[breakage](_sample_certificate()))
    result = validator.validate_bytes(data, f"broken.{fmt}")
    messages = signature_errors(result)
    assert len(messages) == 1, result.findings
    assert [f.location.pointer for f in result.findings if f.severity.value == "error"] == [
        "/signature"
    ]
    assert "\n" not in messages[0] and len(messages[0]) < 400


@pytest.mark.parametrize("breakage", sorted(XML_BREAKAGES))
def test_an_xml_signature_the_libraries_raise_on_is_an_invalid_signature(
    validator: Validator, breakage: str
) -> None:
    data = XML_BREAKAGES[breakage](SIGNED_XHTML)
    assert data != SIGNED_XHTML
    result = validator.validate_bytes(data, "broken.xhtml")
    assert len(signature_errors(result)) == 1, result.findings


def test_checked_turns_any_library_failure_into_an_invalid_check() -> None:
    from kanta_archive.signatures.verify import checked

    class Odd(Exception):
        def __init__(self, a: int, b: int) -> None:  # does not pickle back
            super().__init__(f"odd {a} {b}")

    @checked
    def verify() -> object:
        raise Odd(1, 2)

    check = verify()
    assert check.present and not check.valid  # type: ignore[attr-defined]
    assert "Odd" in (check.problem or "") and "odd 1 2" in (check.problem or "")  # type: ignore[attr-defined]
    pickle.loads(pickle.dumps(check))


def test_checked_lets_memory_errors_through() -> None:
    from kanta_archive.signatures.verify import checked

    @checked
    def verify() -> object:
        raise MemoryError

    with pytest.raises(MemoryError):
        verify()


@pytest.mark.parametrize(
    "exc",
    [
        KantaArchiveError("x"),
        UsageError("x"),
        InputError("x: no such file"),
        SchemaError("x"),
        StoreError("x"),
        RefusedError("x"),
        ConflictError("x"),
        SigningError("x"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_library_exceptions_survive_a_trip_between_processes(exc: Exception) -> None:
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is type(exc) and str(back) == str(exc)


def _broken_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a-good.json").write_bytes(SIGNED_JSON)
    (folder / "b-good.xhtml").write_bytes(SIGNED_XHTML)
    (folder / "c-bad-key.json").write_bytes(
        with_certificate("json", CERTIFICATES["unknown-key-type"](_sample_certificate()))
    )
    (folder / "d-bad-schema.xhtml").write_bytes(XML_BREAKAGES["signature-schema"](SIGNED_XHTML))
    (folder / "e-bad-subject.xhtml").write_bytes(
        with_certificate("xhtml", CERTIFICATES["unparseable-subject"](_sample_certificate()))
    )
    return folder


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_validate_reports_broken_signatures_as_findings_with_any_number_of_jobs(
    run_cli: Callable[..., Result], tmp_path: Path, jobs: str
) -> None:
    folder = _broken_folder(tmp_path)
    result = run_cli("validate", folder, "--jobs", jobs, "--format", "json", "--quiet")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output + result.stderr
    report = json.loads(result.output)
    by_name = {Path(doc["source"]).name: doc for doc in report["results"]}
    assert set(by_name) == {p.name for p in folder.iterdir()}
    for name, doc in by_name.items():
        found = {f["code"] for f in doc["findings"] if f["severity"] == "error"}
        assert found == (set() if "good" in name else {"KA-SIGNATURE-INVALID"}), name


def test_archive_partial_stores_the_good_documents_beside_broken_signatures(
    run_cli: Callable[..., Result], tmp_path: Path
) -> None:
    folder = _broken_folder(tmp_path)
    store = tmp_path / "store"
    result = run_cli("archive", folder, "--store", store, "--partial")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output + result.stderr
    listed = run_cli("query", "--store", store, "--format", "json", "--client", "220788-926D")
    assert listed.exit_code == 0, listed.output
    assert len(json.loads(listed.output)["documents"]) == 1  # the two good twins: one OID


def test_commissioning_test_reports_broken_signatures_without_crashing(
    run_cli: Callable[..., Result], tmp_path: Path
) -> None:
    folder = _broken_folder(tmp_path)
    report = tmp_path / "report.json"
    result = run_cli(
        "commissioning-test",
        folder,
        "--org",
        "1.2.246.10.91000021",
        "--system",
        "Vendor X 4.2",
        "--json",
        report,
    )
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output + result.stderr
    assert "KA-SIGNATURE-INVALID" in report.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["json", "xhtml"])
def test_verify_signature_reports_an_unusable_certificate_as_invalid(
    run_cli: Callable[..., Result], tmp_path: Path, fmt: str
) -> None:
    path = tmp_path / f"doc.{fmt}"
    path.write_bytes(with_certificate(fmt, CERTIFICATES["unknown-key-type"](_sample_certificate())))
    result = run_cli("verify-signature", path)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output + result.stderr


def test_an_unexpected_failure_in_a_worker_crosses_back_as_a_picklable_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Whatever a worker of validate -j raises must reach the parent process intact;
    an exception that does not pickle would break the whole pool instead."""
    from kanta_archive import parallel

    class Unpicklable(Exception):
        def __init__(self, a: int, b: int) -> None:
            super().__init__(f"went wrong: {a} {b}")

    class Failing:
        def validate_path(self, path: Path) -> ValidationResult:
            raise Unpicklable(1, 2)

    monkeypatch.setattr(parallel, "_worker_validator", Failing())
    with pytest.raises(Exception) as caught:
        parallel._validate_in_worker(tmp_path / "doc.json")
    back = pickle.loads(pickle.dumps(caught.value))
    assert isinstance(back, KantaArchiveError)
    assert "doc.json" in str(back) and "went wrong: 1 2" in str(back)
