"""Move the samples' metadata to model 2 and sign the signed ones again, all through the tool.

Run from the repository root after the samples' content changed or the metadata model did:

    .venv/bin/python samples/upgrade_samples.py

1. ``kanta-archive upgrade samples/valid samples/invalid`` rewrites every model-1 document
   (docs/metadata.md, "Upgrading"); a rewritten document has lost its signature.
2. Every sample whose metadata has a ``signature`` block is signed again with the TEST-ONLY
   key of its signer (samples/keys/README.md) at its recorded signing time.
3. The two samples whose defect is a change after signing get that change again.
4. The samples whose defect is in a field that model 2 changed get it in model-2 terms
   (``MODEL_2_DEFECTS``), made from the valid sample named there; their ``.expected``
   files are written from the defect's description and findings.
5. The CDA samples (``samples/cda/``): every valid JSON sample rendered with ``render --to cda``
   (signed again as its JSON twin was; not the two common-matter samples, which CDA cannot
   carry), one in its archiving message (``--frame``), and
   the invalid CDA samples of ``CDA_DEFECTS``, each one valid CDA sample changed in one
   way. Their ``.expected`` list the defect's errors and the warnings the tool gives.

It never touches the unreadable invalid samples (binary, malformed, hostile XML).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TOOL = [sys.executable, "-m", "kanta_archive.cli.main"]
KEYS = ROOT / "samples" / "keys"
SIGNERS = {
    "Liisa Laine": ("TEST-ONLY-signing-key.pem", "TEST-ONLY-signing-cert.pem"),
    "Antti Niemi": ("TEST-ONLY-signing-key-antti-niemi.pem", "TEST-ONLY-signing-cert-antti-niemi.pem"),
}
# Samples whose defect is applied after signing.
CHANGED_AFTER_SIGNING = "signature-content-changed-after-signing"
SIGNER_MISMATCH = "signature-metadata-signer-mismatch"


def tool(*args: str) -> str:
    done = subprocess.run([*TOOL, *args], cwd=ROOT, check=True, capture_output=True, text=True)
    return done.stdout


def signed_samples() -> dict[Path, dict[str, str]]:
    """The samples that carry a signature now, with their metadata signature block."""
    sys.path.insert(0, str(ROOT))
    from kanta_archive.formats.read import read_path
    from kanta_archive.signatures import has_signature

    found: dict[Path, dict[str, str]] = {}
    for folder in ("valid", "invalid"):
        for path in sorted((ROOT / "samples" / folder).glob("*")):
            if path.suffix not in (".json", ".xhtml"):
                continue
            document = read_path(path).document
            if document is None or not has_signature(document):
                continue
            block = document.metadata_raw.get("signature")
            if not isinstance(block, dict) or not {"signer", "signed_at"} <= set(block):
                raise SystemExit(f"{path}: signed, but its metadata has no signature block")
            found[path] = block
    return found


def sign(path: Path, block: dict[str, str]) -> None:
    key, cert = SIGNERS[block["signer"]] if block["signer"] in SIGNERS else SIGNERS["Liisa Laine"]
    tool(
        "sign", str(path), "--key", str(KEYS / key), "--cert", str(KEYS / cert),
        "--signing-time", block["signed_at"], "-o", str(path),
    )  # fmt: skip


def set_opening_date(path: Path, day: str) -> None:
    """Set the case's opening date (avauspaiva) in the file's bytes, whatever the form."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        pattern, replacement = r'("avauspaiva": ")\d{4}-\d{2}-\d{2}"', rf'\g<1>{day}"'
    else:
        pattern, replacement = r'(data-ka-key="avauspaiva">)\d{4}-\d{2}-\d{2}<', rf"\g<1>{day}<"
    new, count = re.subn(pattern, replacement, text, count=1)
    if count != 1:
        raise SystemExit(f"{path}: no opening date (avauspaiva) to change")
    path.write_text(new, encoding="utf-8")


def rename_signer(path: Path) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    document["metadata"]["signature"]["signer"] = "Someone Else"
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _organiser(oid: str, controller: str) -> Any:
    def edit(m: dict[str, Any]) -> None:
        m["organiser"] = {"oid": oid}
        m["controller"] = {"oid": controller}

    return edit


def _controller(oid: str) -> Any:
    def edit(m: dict[str, Any]) -> None:
        m.pop("organiser", None)
        m["controller"] = {"oid": oid}

    return edit


def _specific_type(code: str) -> Any:
    def edit(m: dict[str, Any]) -> None:
        m["specific_document_type"] = {**m["specific_document_type"], "code": code}

    return edit


# name: (valid sample it is made from, forms, edit of the metadata, defect, error findings)
MODEL_2_DEFECTS: dict[str, tuple[str, tuple[str, ...], Any, str, list[tuple[str, str]]]] = {
    "voucher-with-private-controller": (
        "customership-service-voucher",
        ("json", "xhtml"),
        _organiser("1.2.246.10.91000013", "1.2.246.10.91000021"),
        "A service-voucher document names its organiser, but another organisation as controller.",
        [("KA-CONTROLLER-PUBLIC", "/metadata/controller/oid")],
    ),
    "voucher-with-producer-as-controller": (
        "customership-service-voucher",
        ("json",),
        _organiser("1.2.246.10.91000013", "1.2.246.10.92000015"),
        "A service-voucher document has the voucher producer, not its organiser, as controller.",
        [("KA-CONTROLLER-PUBLIC", "/metadata/controller/oid")],
    ),
    "private-contract-public-controller": (
        "service-needs-assessment-private-contract",
        ("json", "xhtml"),
        _controller("1.2.246.10.91000013"),
        "A client-paid private service (no organiser) names a public organisation, not the "
        "producer, as controller.",
        [("KA-CONTROLLER-PRIVATE", "/metadata/controller/oid")],
    ),
    "specific-type-not-structure-number": (
        "client-record-entry",
        ("json", "xhtml"),
        _specific_type("6"),
        "The specific document type is 6, but the structure is 1.2.246.537.6.1506.1.",
        [("KA-DOCUMENT-TYPE", "/metadata/specific_document_type/code")],
    ),
}


def make_defect(name: str) -> None:
    from kanta_archive.formats.read import read_path
    from kanta_archive.formats.xhtml_writer import render_xhtml
    from kanta_archive.schemas import SchemaRegistry

    base, forms, edit, defect, errors = MODEL_2_DEFECTS[name]
    for form in forms:
        document = read_path(ROOT / "samples" / "valid" / f"{base}.{form}").document
        assert document is not None
        metadata = json.loads(json.dumps(document.metadata_raw))
        edit(metadata)
        target = ROOT / "samples" / "invalid" / f"{name}.{form}"
        if form == "json":
            text = json.dumps({"metadata": metadata, "content": document.content}, indent=2,
                              ensure_ascii=False)  # fmt: skip
            target.write_text(text + "\n", encoding="utf-8")
        else:
            key = document.metadata.schema_key
            structure = SchemaRegistry().get(*key) if key else None
            schema = structure.schema if structure else None
            target.write_bytes(render_xhtml(metadata, document.content, schema))
        _write_expected(target, defect, errors)
        print(f"made {target.relative_to(ROOT)}")


# ---------------------------------------------------------------------------- CDA samples

HL7 = "urn:hl7-org:v3"


def _b64(data: bytes) -> bytes:
    import base64

    text = base64.b64encode(data)
    return b"\n".join(text[i : i + 76] for i in range(0, len(text), 76))


def _replace(pattern: bytes, replacement: bytes) -> Any:
    def edit(data: bytes) -> bytes:
        new, count = re.subn(pattern, replacement, data, count=1, flags=re.DOTALL)
        if count != 1:
            raise SystemExit(f"pattern {pattern!r} not found")
        return new

    return edit


def _json_part(text: bytes) -> Any:
    return _replace(rb"(<ep2:json>).*?(</ep2:json>)", rb"\g<1>" + _b64(text) + rb"\g<2>")


def _display_part(text: bytes) -> Any:
    return _replace(
        rb'(<text mediaType="application/xhtml\+xml" representation="B64">).*?(</text>)',
        rb"\g<1>" + _b64(text) + rb"\g<2>",
    )


def _change_content_date(data: bytes) -> bytes:
    import base64

    match = re.search(rb"<ep2:json>(.*?)</ep2:json>", data, flags=re.DOTALL)
    assert match is not None
    text = base64.b64decode(b"".join(match.group(1).split()))
    new, count = re.subn(rb'("avauspaiva": ")\d{4}-\d{2}-\d{2}"', rb'\g<1>2024-06-02"', text)
    assert count == 1
    return data[: match.start(1)] + _b64(new) + data[match.end(1) :]


def _reindent_body(data: bytes) -> bytes:
    # A pretty-printer's work after signing: other white space between the body's elements.
    return _replace(rb"(</text>)\s*(<ep2:json>)", rb"\g<1>\n\n          \g<2>")(data)


# name: (valid CDA sample it is made from, edit of its bytes, defect, error findings)
CDA_DEFECTS: dict[str, tuple[str, Any, str, list[tuple[str, str]]]] = {
    "cda-base64-broken": (
        "client-record-entry",
        _replace(rb"(<ep2:json>).*?(</ep2:json>)", rb"\g<1>not base64!\g<2>"),
        "The ep2:json of the CDA body is not base64.",
        [("KA-CDA-BASE64", "")],
    ),
    "cda-json-broken": (
        "client-record-entry",
        _json_part(b'{"asiakaskertomusmerkinta": {"asiakas": ['),
        "The decoded ep2:json is cut off: not JSON.",
        [("KA-CDA-JSON", "")],
    ),
    "cda-display-broken": (
        "client-record-entry",
        _display_part(b'<div xmlns="http://www.w3.org/1999/xhtml"><p>Kesken</div>'),
        "The decoded display form (nonXMLBody/text) is not well-formed XHTML.",
        [("KA-CDA-DISPLAY", "")],
    ),
    "cda-display-entity": (
        "client-record-entry",
        _display_part(
            b'<!DOCTYPE div [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b'<div xmlns="http://www.w3.org/1999/xhtml">&e;</div>'
        ),
        "The decoded display form declares an external entity.",
        [("KA-CDA-DISPLAY", "")],
    ),
    "cda-doctype": (
        "client-record-entry",
        _replace(rb"(<\?xml[^>]*\?>)", rb'\g<1>\n<!DOCTYPE ClinicalDocument [<!ENTITY x "y">]>'),
        "The CDA document has a DOCTYPE with an entity declaration.",
        [("KA-XML-FORBIDDEN", "")],
    ),
    "cda-content-specification-unknown": (
        "client-record-entry",
        _replace(
            rb"(<ep2:contentSpecificationId>)[^<]*(<)", rb"\g<1>1.2.246.537.6.1506.1.2099.1.1\g<2>"
        ),
        "contentSpecificationId names structure version 2099-01-01, for which there is no schema.",
        [("KA-STRUCTURE-UNKNOWN", "/metadata/structure")],
    ),
    "cda-content-specification-missing": (
        "client-record-entry",
        _replace(rb"\s*<ep2:contentSpecificationId>[^<]*</ep2:contentSpecificationId>", b""),
        "The localSocialHeader has no contentSpecificationId (the structure).",
        [("KA-META-SCHEMA", "/metadata")],
    ),
    "cda-body-id-mismatch": (
        "client-record-entry",
        _replace(rb'(<nonXMLBody ID=")[^"]*(")', rb"\g<1>OID1.2.246.10.91000013.11.9\g<2>"),
        "The nonXMLBody ID names another document than id/@root.",
        [("KA-CDA-BODY-ID", "/metadata/document_oid")],
    ),
    "cda-realm-code": (
        "client-record-entry",
        _replace(rb'<realmCode code="FI"/>', b'<realmCode code="SE"/>'),
        "The realmCode is SE, not FI.",
        [("KA-CDA-SCHEMA", "/metadata")],
    ),
    "cda-client-not-in-header": (
        "client-record-entry",
        _replace(rb'(<id root="1.2.246.21" extension=")[^"]*(")', rb"\g<1>311299-9628\g<2>"),
        "The header's client (recordTarget) is another person than the content's client.",
        [("KA-CLIENT-MISMATCH", "/content/asiakaskertomusmerkinta/asiakas/0/henkilotunnus/value")],
    ),
    "cda-frame-copy-disagrees": (
        "client-record-entry-message",
        _replace(
            rb'(<clinicalDocument>.*?<versionNumber value=")1(")', rb"\g<1>2\g<2>"
        ),
        "The archiving message's copy of the header has version 2, the document version 1.",
        [("KA-CDA-FRAME", "/frame/versionNumber")],
    ),
    "cda-frame-without-usage-situation": (
        "client-record-entry-message",
        _replace(rb'\s*<reasonCode code="1" codeSystem="1.2.246.537.6.1289.201901"/>', b""),
        "The archiving message gives no usage situation (reasonCode 1.2.246.537.6.1289).",
        [("KA-CDA-FRAME", "/frame/reasonCode")],
    ),
    "cda-voucher-controller-not-organiser": (
        "customership-service-voucher",
        _replace(
            rb"(<representedCustodianOrganization>\s*<id root=\")[^\"]*(\")",
            rb"\g<1>1.2.246.10.91000021\g<2>",
        ),
        "A service-voucher document names its organiser, but another organisation as custodian.",
        [("KA-CONTROLLER-PUBLIC", "/metadata/controller/oid")],
    ),
    "cda-case-content-changed-after-signing": (
        "case-document-open",
        _change_content_date,
        "The opening date in the decoded ep2:json was changed after the document was signed.",
        [("KA-SIGNATURE-INVALID", "/signature")],
    ),
    "cda-case-pretty-printed-after-signing": (
        "case-document-closed",
        _reindent_body,
        "The white space between the body's elements was changed after signing (re-indented).",
        [("KA-SIGNATURE-INVALID", "/signature")],
    ),
    "cda-consent-version-2-without-previous": (
        "disclosure-consent",
        _replace(rb'(<versionNumber value=")1(")', rb"\g<1>2\g<2>"),
        "Version 2 of a disclosure consent does not name the version it replaces.",
        [("KA-VERSION-CHAIN", "/metadata/previous_version_oid")],
    ),
    "cda-ban-unsigned": (
        "disclosure-ban",
        _replace(rb"\s*<signatureCollection.*?</signatureCollection>", b""),
        "A disclosure ban (its structure requires a signature) has no signature.",
        [("KA-SIGNATURE-MISSING", "/signature")],
    ),
    "cda-assessment-specific-type-not-structure-number": (
        "service-needs-assessment",
        _replace(rb'(<ep2:specificDocumentType code=")6(")', rb"\g<1>3\g<2>"),
        "The specific document type is 3, but the structure is 1.2.246.537.6.1506.6.",
        [("KA-DOCUMENT-TYPE", "/metadata/specific_document_type/code")],
    ),
}


def _write_expected(target: Path, defect: str, errors: list[tuple[str, str]]) -> None:
    from kanta_archive.validate import Validator

    warnings = [
        (f.code, f.location.pointer)
        for f in Validator().validate_path(target).findings
        if f.severity.value == "warning"
    ]
    findings = [
        {"code": code, "severity": severity, "pointer": pointer}
        for severity, items in (("warning", warnings), ("error", errors))
        for code, pointer in items
    ]
    target.with_name(target.name + ".expected").write_text(
        json.dumps({"defect": defect, "findings": findings}, indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )


def make_cda_samples(signed: dict[Path, dict[str, str]]) -> None:
    valid = ROOT / "samples" / "valid"
    cda_valid = ROOT / "samples" / "cda" / "valid"
    for source in sorted(valid.glob("*.json")):
        target = cda_valid / f"{source.stem}.xml"
        if "common_matter_oid" in json.loads(source.read_text(encoding="utf-8"))["metadata"]:
            # CDA has no element for the common matter (docs/cda.md): such a document has
            # no valid CDA twin, and render --to cda says what it leaves out.
            target.unlink(missing_ok=True)
            continue
        tool("render", str(source), "--to", "cda", "-o", str(target))
        if source in signed:
            sign(target, signed[source])
        print(f"made {target.relative_to(ROOT)}")
    message = cda_valid / "client-record-entry-message.xml"
    tool("render", str(valid / "client-record-entry.json"), "--to", "cda", "--frame", "SP1",
         "-o", str(message))  # fmt: skip
    print(f"made {message.relative_to(ROOT)}")
    for name, (base, edit, defect, errors) in CDA_DEFECTS.items():
        target = ROOT / "samples" / "cda" / "invalid" / f"{name}.xml"
        target.write_bytes(edit((cda_valid / f"{base}.xml").read_bytes()))
        _write_expected(target, defect, errors)
        print(f"made {target.relative_to(ROOT)}")


def main() -> None:
    signed = signed_samples()
    print(tool("upgrade", "samples/valid", "samples/invalid"), end="")
    for path, block in signed.items():
        if path.stem == CHANGED_AFTER_SIGNING:
            set_opening_date(path, "2024-06-10")  # as signed: the valid twin's date
        sign(path, block)
        if path.stem == CHANGED_AFTER_SIGNING:
            set_opening_date(path, "2024-06-02")
        if path.stem == SIGNER_MISMATCH:
            rename_signer(path)
        print(f"signed {path.relative_to(ROOT)}")
    for name in MODEL_2_DEFECTS:
        make_defect(name)
    make_cda_samples({p: b for p, b in signed.items() if p.parent.name == "valid"})


if __name__ == "__main__":
    main()
