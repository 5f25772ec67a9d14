"""``kanta-archive sign``, ``verify-signature`` and ``validate --trust`` through the real CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from kanta_archive.signatures.testpki import PkiIdentity, make_ca, make_signer

ROOT = Path(__file__).resolve().parents[2]
VALID = ROOT / "samples" / "valid"

Run = Callable[..., Result]


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A test CA, a signer, an encrypted-key signer and another CA, written as PEM files."""
    folder = tmp_path_factory.mktemp("pki")
    ca = make_ca()
    other = make_ca("kanta-archive TEST other CA")
    signer = make_signer(ca, "Liisa Laine")
    locked = make_signer(ca, "Liisa Laine", passphrase=b"s3cret")

    def write(name: str, identity: PkiIdentity, key: bool = True) -> None:
        (folder / f"{name}-cert.pem").write_bytes(identity.cert_pem)
        if key:
            (folder / f"{name}-key.pem").write_bytes(identity.key_pem)

    write("ca", ca, key=False)
    write("other", other, key=False)
    write("signer", signer)
    write("locked", locked)
    (folder / "pass.txt").write_text("s3cret\n")
    (folder / "wrong.txt").write_text("nope\n")
    return {p.stem: p for p in folder.iterdir()}


def unsigned(run: Run, tmp_path: Path, stem: str, fmt: str) -> Path:
    """The sample re-rendered without its signature."""
    out = tmp_path / f"{stem}.unsigned.{fmt}"
    result = run("render", VALID / f"{stem}.{fmt}", "--to", fmt, "-o", out)
    assert result.exit_code == 0
    return out


def sign(run: Run, pki: dict[str, Path], source: Path, *extra: str | Path) -> Result:
    return run("sign", source, "--key", pki["signer-key"], "--cert", pki["signer-cert"], *extra)


@pytest.mark.parametrize("fmt", ["json", "xhtml"])
def test_sign_then_verify_then_validate(
    fmt: str, run_cli: Run, pki: dict[str, Path], tmp_path: Path
) -> None:
    source = unsigned(run_cli, tmp_path, "disclosure-ban", fmt)
    assert run_cli("validate", source).exit_code == 1  # KA-SIGNATURE-MISSING
    result = sign(run_cli, pki, source)
    assert result.exit_code == 0, result.output
    signed = tmp_path / f"signed.{fmt}"
    signed.write_text(result.stdout, encoding="utf-8")
    verified = run_cli("verify-signature", signed, "--trust", pki["ca-cert"])
    assert verified.exit_code == 0, verified.output
    assert "signature valid" in verified.output
    assert "signer: Liisa Laine" in verified.output
    assert "trusted: yes" in verified.output
    assert run_cli("validate", signed, "--trust", pki["ca-cert"]).exit_code == 0
    untrusted = run_cli("verify-signature", signed, "--trust", pki["other-cert"])
    assert untrusted.exit_code == 1
    assert "trusted: NO" in untrusted.output
    validated = run_cli("validate", signed, "--trust", pki["other-cert"], "--format", "json")
    assert validated.exit_code == 1
    assert "KA-SIGNATURE-UNTRUSTED" in validated.output


def test_sign_writes_to_output_file_with_given_time(
    run_cli: Run, pki: dict[str, Path], tmp_path: Path
) -> None:
    source = unsigned(run_cli, tmp_path, "case-document-open", "json")
    out = tmp_path / "out.json"
    result = sign(run_cli, pki, source, "-o", out, "--signing-time", "2024-06-10T14:20:00+03:00")
    assert result.exit_code == 0, result.output
    metadata = json.loads(out.read_text(encoding="utf-8"))["metadata"]
    assert metadata["signature"]["signed_at"] == "2024-06-10T11:20:00Z"
    assert metadata["signature"]["signer"] == "Liisa Laine"


def test_tampered_document_fails_verification(
    run_cli: Run, pki: dict[str, Path], tmp_path: Path
) -> None:
    source = unsigned(run_cli, tmp_path, "disclosure-ban", "xhtml")
    signed = tmp_path / "signed.xhtml"
    assert sign(run_cli, pki, source, "-o", signed).exit_code == 0
    signed.write_text(signed.read_text(encoding="utf-8").replace("2024", "2023", 1 + 5))
    result = run_cli("verify-signature", signed)
    assert result.exit_code == 1
    assert "signature INVALID" in result.output


def test_unsigned_document_has_no_signature(run_cli: Run) -> None:
    result = run_cli("verify-signature", VALID / "client-record-entry.json")
    assert result.exit_code == 1
    assert "no signature" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--key", "locked-key", "--cert", "locked-cert"), "give its passphrase"),
        (
            ("--key", "locked-key", "--cert", "locked-cert", "--passphrase-file", "wrong"),
            "wrong passphrase",
        ),
        (("--key", "signer-cert", "--cert", "signer-cert"), "not a PEM private key"),
        (("--key", "signer-key", "--cert", "signer-key"), "not a PEM certificate"),
        (("--key", "signer-key", "--cert", "ca-cert"), "does not belong to the private key"),
    ],
)
def test_bad_key_cert_or_passphrase_is_a_one_line_error(
    args: tuple[str, ...], message: str, run_cli: Run, pki: dict[str, Path]
) -> None:
    resolved = [str(pki[a]) if a in pki else a for a in args]
    result = run_cli("sign", VALID / "disclosure-ban.json", *resolved)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ")
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


def test_encrypted_key_with_passphrase_file_signs(run_cli: Run, pki: dict[str, Path]) -> None:
    result = run_cli(
        "sign",
        VALID / "disclosure-ban.json",
        "--key",
        pki["locked-key"],
        "--cert",
        pki["locked-cert"],
        "--passphrase-file",
        pki["pass"],
    )
    assert result.exit_code == 0, result.stderr
    assert '"jws"' in result.stdout


def test_missing_key_file_is_exit_2(run_cli: Run, pki: dict[str, Path], tmp_path: Path) -> None:
    result = run_cli(
        "sign",
        VALID / "disclosure-ban.json",
        "--key",
        tmp_path / "nope.pem",
        "--cert",
        pki["signer-cert"],
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ")


def test_bad_trust_anchor_is_exit_2(run_cli: Run, pki: dict[str, Path]) -> None:
    for command in ("validate", "verify-signature"):
        result = run_cli(command, VALID / "disclosure-ban.json", "--trust", pki["signer-key"])
        assert result.exit_code == 2, command
        assert "trust anchor" in result.stderr


def test_render_warns_that_the_signature_is_dropped(run_cli: Run) -> None:
    result = run_cli("render", VALID / "disclosure-ban.json", "--to", "xhtml")
    assert result.exit_code == 0
    assert "Warning:" in result.stderr and "signed" in result.stderr
    assert "ds:Signature" not in result.stdout


def test_help_has_examples(run_cli: Run) -> None:
    for command in ("sign", "verify-signature"):
        result = run_cli(command, "--help")
        assert result.exit_code == 0
        assert "Example:" in result.output


def test_validate_samples_with_the_committed_test_ca(run_cli: Run) -> None:
    result = run_cli(
        "validate", VALID, "--trust", ROOT / "samples" / "keys" / "TEST-ONLY-ca.pem", "-q"
    )
    assert result.exit_code == 0, result.output


def test_archive_refuses_a_signature_from_an_untrusted_ca(
    run_cli: Callable[..., Result], tmp_path: Path
) -> None:
    other = make_ca("Some Other CA")
    anchor = tmp_path / "other-ca.pem"
    anchor.write_bytes(other.cert_pem)
    sample = Path(__file__).resolve().parents[2] / "samples" / "valid" / "case-document-open.json"
    result = run_cli("archive", sample, "--store", tmp_path / "store", "--trust", anchor)
    assert result.exit_code == 1
    assert "KA-SIGNATURE-UNTRUSTED" in result.output
    trusted = Path(__file__).resolve().parents[2] / "samples" / "keys" / "TEST-ONLY-ca.pem"
    ok = run_cli("archive", sample, "--store", tmp_path / "store", "--trust", trusted)
    assert ok.exit_code == 0, ok.output
