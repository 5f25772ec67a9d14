"""``kanta-archive sign`` and ``kanta-archive verify-signature``: document signatures."""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path

import click

from kanta_archive.cli.common import fail
from kanta_archive.exitcodes import ExitCode

PASSPHRASE_ENV = "KANTA_ARCHIVE_KEY_PASSPHRASE"

_FILE = click.Path(path_type=Path, dir_okay=False)


def _read(path: Path, what: str) -> bytes:
    from kanta_archive.errors import InputError

    if str(path) == "-":
        return sys.stdin.buffer.read()
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read {what}: {exc.strerror or exc}") from exc


def _write(data: bytes, output: Path | None) -> None:
    if output is None:
        if hasattr(sys.stdout, "buffer"):
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        else:  # CliRunner's text stream
            sys.stdout.write(data.decode("utf-8"))
        return
    from kanta_archive.output import write_output

    write_output(output, data, "sign -o")


def _load_document(source: Path) -> object:
    from kanta_archive.render import load_for_render

    return load_for_render(_read(source, "the document"), str(source))


@click.command()
@click.argument("source", type=click.Path(path_type=Path, allow_dash=True, dir_okay=False))
@click.option("--key", "key_path", type=_FILE, required=True, help="PEM private key (RSA or EC).")
@click.option(
    "--cert",
    "cert_path",
    type=_FILE,
    required=True,
    help="PEM signer certificate, optionally followed by its intermediate CA certificates.",
)
@click.option(
    "--passphrase-file",
    type=_FILE,
    help=f"File whose first line is the key's passphrase (else env {PASSPHRASE_ENV}).",
)
@click.option(
    "--signing-time",
    metavar="ISO-TIME",
    help="Signing time to record instead of now, e.g. 2024-06-28T12:05:00Z "
    "(to reproduce test samples; it is a claim, not a trusted timestamp).",
)
@click.option("--output", "-o", type=_FILE, help="Write here, not stdout.")
def sign(
    source: Path,
    key_path: Path,
    cert_path: Path,
    passphrase_file: Path | None,
    signing_time: str | None,
    output: Path | None,
) -> None:
    """Sign a JSON or XHTML document with a private key and its certificate.

    The metadata signature block (signer = the certificate's CN, signed_at,
    certificate_sha256) is written first. XHTML gets an enveloped XAdES-BES XML
    Signature as the last child of <head>; JSON gets a top-level "signature"
    member holding a JWS over the RFC 8785 canonical form of the document. The
    document is read, not validated: run validate on the output.

    \b
    Example:
      kanta-archive sign doc.xhtml --key key.pem --cert cert.pem > signed.xhtml
      kanta-archive sign doc.json --key key.pem --cert cert.pem -o signed.json
    """
    from kanta_archive.model import Document
    from kanta_archive.signatures import sign_document
    from kanta_archive.signatures.verify import (
        SigningError,
        load_signing_material,
        parse_time,
    )

    now = datetime.now().astimezone()
    if signing_time is not None:
        parsed = parse_time(signing_time)
        if parsed is None:
            raise fail(
                f"--signing-time {signing_time!r} is not an ISO time with a zone", ExitCode.USAGE
            )
        now = parsed
    passphrase: bytes | None = None
    if passphrase_file is not None:
        lines = _read(passphrase_file, "the passphrase").splitlines()
        passphrase = lines[0] if lines else b""
    elif os.environ.get(PASSPHRASE_ENV):
        passphrase = os.environ[PASSPHRASE_ENV].encode("utf-8")
    key_pem, cert_pem = _read(key_path, "the key"), _read(cert_path, "the certificate")
    document = _load_document(source)
    assert isinstance(document, Document)
    try:
        material = load_signing_material(key_pem, cert_pem, passphrase)
        signed = sign_document(document, material, now)
    except SigningError as exc:
        raise fail(str(exc), ExitCode.USAGE) from exc
    _write(signed, output)


@click.command("verify-signature")
@click.argument("source", type=click.Path(path_type=Path, allow_dash=True, dir_okay=False))
@click.option(
    "--trust",
    "trust",
    type=_FILE,
    multiple=True,
    help="PEM trust anchor (CA certificate) the signer must chain to; repeatable.",
)
def verify_signature(source: Path, trust: tuple[Path, ...]) -> None:
    """Verify a document's signature, and with --trust its certificate chain.

    Prints the signer, the signing time and the certificate digest, and checks
    that the metadata signature block agrees with them. Exit 0 when the signature
    is valid (and trusted, with --trust) and the metadata agrees; 1 when it is
    missing, broken, untrusted or disagrees; 2 for unusable input.

    \b
    Example:
      kanta-archive verify-signature signed.xhtml --trust ca.pem
      kanta-archive verify-signature signed.json
    """
    from kanta_archive.model import Document
    from kanta_archive.rules.signature_rules import metadata_disagreements
    from kanta_archive.signatures import verify_document
    from kanta_archive.signatures.verify import SigningError, load_certificates

    anchors = tuple(_read(path, "the trust anchor") for path in trust)
    for path, pem in zip(trust, anchors, strict=True):
        try:
            load_certificates(pem)
        except SigningError as exc:
            raise fail(f"{path}: {exc}", ExitCode.USAGE) from exc
    document = _load_document(source)
    assert isinstance(document, Document)
    check = verify_document(document, anchors)
    if not check.present:
        click.echo(f"{source}: no signature")
        raise click.exceptions.Exit(int(ExitCode.INVALID))
    status = "valid" if check.valid else "INVALID"
    click.echo(f"{source}: signature {status}")
    click.echo(f"  signer: {check.signer or '-'}")
    click.echo(f"  signed at: {check.signed_at or '-'}")
    click.echo(f"  certificate sha256: {check.certificate_sha256 or '-'}")
    trusted = {None: "not checked (no --trust)", True: "yes", False: "NO"}[check.trusted]
    click.echo(f"  trusted: {trusted}")
    ok = check.valid and check.trusted is not False
    if check.problem:
        click.echo(f"  problem: {check.problem}")
    if check.valid:
        for item in metadata_disagreements(document, check):
            click.echo(f"  metadata: {item.message} [{item.location.pointer}]")
            ok = False
    if not ok:
        raise click.exceptions.Exit(int(ExitCode.INVALID))
