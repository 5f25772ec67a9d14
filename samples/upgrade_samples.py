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
    from kanta_archive.validate import Validator

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
        expected = {"defect": defect, "findings": findings}
        target.with_name(target.name + ".expected").write_text(
            json.dumps(expected, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
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


if __name__ == "__main__":
    main()
