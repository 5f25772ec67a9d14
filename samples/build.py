# ruff: noqa: E501  (the sample tables below read best one entry to a line)
"""Rebuild the samples from the valid JSON documents: XHTML twins, signatures, invalid ones.

    .venv/bin/python samples/build.py          # rebuild, then check every sample
    .venv/bin/python samples/build.py --check  # only check (what the tests also do)

The valid JSON documents in ``valid/`` are the sources: edit them (content, or metadata when
the metadata model changes) and run this script. It

1. signs each valid document whose metadata names a signer (``metadata.signature``), with
   the signer's public TEST-ONLY key from ``keys/`` at the signing time the metadata gives;
2. writes its XHTML twin (``render`` of the JSON, signed the same way);
3. writes each derived invalid sample of :data:`INVALID` (one defect made on a valid one,
   in JSON, XHTML or both) and its ``.expected`` file, from what validation finds, after
   checking that the errors are exactly the declared one: a sample whose defect shows up
   wrong (or that gets a second error) stops the script;
4. leaves alone the invalid samples that are not documents (binary, encodings, broken
   syntax, hostile XML): they are listed in :data:`STATIC`.

Everything is deterministic: a rebuild without edits leaves every file byte-identical.
"""

from __future__ import annotations

import copy
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from kanta_archive.formats.xhtml_writer import render_xhtml  # noqa: E402
from kanta_archive.identifiers import parse_datetime  # noqa: E402
from kanta_archive.schemas import SchemaRegistry  # noqa: E402
from kanta_archive.validate import Validator  # noqa: E402

VALID, INVALID, KEYS = HERE / "valid", HERE / "invalid", HERE / "keys"
SIGNERS = {
    "Liisa Laine": ("TEST-ONLY-signing-key.pem", "TEST-ONLY-signing-cert.pem"),
    "Antti Niemi": ("TEST-ONLY-signing-key-antti-niemi.pem", "TEST-ONLY-signing-cert-antti-niemi.pem"),
}  # fmt: skip
STATIC = (
    "binary.json", "empty.json", "latin1.json", "malformed-json.json", "malformed-xml.xhtml",
    "not-a-document.txt", "utf16.json", "xml-billion-laughs.xhtml", "xml-doctype-system.xhtml",
    "xml-external-entity.xhtml",
)  # fmt: skip

Doc = dict[str, Any]


# ------------------------------------------------------------------ signing and rendering


def _material(signer: str) -> Any:
    from kanta_archive.signatures.verify import load_signing_material

    key, cert = SIGNERS[signer]
    return load_signing_material((KEYS / key).read_bytes(), (KEYS / cert).read_bytes())


def _signing(doc: Doc) -> tuple[Any, datetime] | None:
    block = doc["metadata"].get("signature")
    if not isinstance(block, dict):
        return None
    return _material(block["signer"]), parse_datetime(block["signed_at"])


def json_bytes(doc: Doc, *, sign: bool = True) -> bytes:
    """The JSON form: signed (JWS) when the metadata names a signer."""
    from kanta_archive.signatures.json_jws import sign_json

    whole: Doc = {
        "metadata": {**doc["metadata"], "storage_format": "json"},
        "content": doc["content"],
    }
    signing = _signing(whole) if sign else None
    if signing is not None:
        whole = sign_json(whole, *signing)
    return (json.dumps(whole, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def xhtml_bytes(doc: Doc, registry: SchemaRegistry, *, sign: bool = True) -> bytes:
    """The XHTML form (labels from the structure), signed (XAdES) when the metadata names a
    signer; the signature's tokens are seeded by the document, so the bytes are stable."""
    import hashlib

    from lxml import etree

    from kanta_archive.signatures.xml_dsig import sign_xhtml

    meta = doc["metadata"]
    structure = registry.get(meta["structure"]["oid"], meta["structure"]["version"])
    data = render_xhtml(meta, doc["content"], structure.schema if structure else None)
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    # Read and written again, as a tool that edits a sample would write it (an empty
    # element as <title/>): tests/unit/test_xhtml_variants.py edits samples that way.
    data = etree.tostring(root.getroottree(), encoding="UTF-8", xml_declaration=True) + b"\n"
    signing = _signing(doc) if sign else None
    if signing is None:
        return data
    seed = int.from_bytes(hashlib.sha256(data).digest()[:8], "big")
    return sign_xhtml(root, *signing, token_seed=seed)


def load(stem: str) -> Doc:
    """A valid sample's metadata and content (its signature, if any, dropped)."""
    data = json.loads((VALID / f"{stem}.json").read_text(encoding="utf-8"))
    return {"metadata": data["metadata"], "content": data["content"]}


# ------------------------------------------------------------------ the invalid samples


def _set(path: str, value: Any) -> Callable[[Doc], None]:
    def edit(doc: Doc) -> None:
        *parents, last = path.strip("/").split("/")
        node: Any = doc
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        index: Any = int(last) if isinstance(node, list) else last
        if value is _DELETE:
            del node[index]
        else:
            node[index] = value

    return edit


_DELETE = object()
CASE = "/content/asia_asiakirja"
ENTRY = "/content/merkinta_tapaamisesta_tai_yhteydenotosta"


@dataclass(frozen=True)
class Invalid:
    """One derived invalid sample: ``base`` with ``edit`` made, in ``forms``."""

    name: str
    base: str
    defect: str
    error: str  # the one error code it must get
    edit: Callable[[Doc], None] | None = None
    forms: tuple[str, ...] = ("json", "xhtml")
    # Text edits made on the serialised bytes (after signing): the defect is in the file.
    text: Callable[[bytes, str], bytes] | None = None
    sign: bool = True


def _replace(old: str, new: str) -> Callable[[bytes, str], bytes]:
    def edit(data: bytes, _form: str) -> bytes:
        assert old.encode() in data, old
        return data.replace(old.encode(), new.encode(), 1)

    return edit


def _change_opening_date(data: bytes, form: str) -> bytes:
    if form == "json":
        return _replace('"avauspaiva": "2024-06-10"', '"avauspaiva": "2024-06-11"')(data, form)
    return _replace('data-ka-key="avauspaiva">2024-06-10<', 'data-ka-key="avauspaiva">2024-06-11<')(
        data, form
    )


def _drop_content(data: bytes, _form: str) -> bytes:
    metadata = json.loads(data)["metadata"]
    return (json.dumps({"metadata": metadata}, ensure_ascii=False, indent=2) + "\n").encode()


def _two_clients(doc: Doc) -> None:
    doc["metadata"]["clients"].append({"hetu": "290216A9481"})
    doc["metadata"].pop("common_matter_oid", None)


INVALID_SAMPLES: tuple[Invalid, ...] = (
    Invalid("case-number-mismatch", "case-document-open",
            "The case number in the content (asiatunnus) differs from the metadata case_oid.",
            "KA-CASE-NUMBER", _set(f"{CASE}/asian_tiedot/asiatunnus/value", "1.2.246.10.91000013.31.999")),
    Invalid("client-without-identifier", "client-record-entry",
            "The metadata client has neither a HETU nor a temporary identifier.",
            "KA-CLIENT-ID", _set("/metadata/clients/0", {})),
    Invalid("closed-case-without-end-date", "case-document-closed",
            "A closed case (tila 'Suljettu') has no end date (paattymispaiva).",
            "KA-CASE-END-DATE", _set(f"{CASE}/asian_tiedot/paattymispaiva", _DELETE)),
    Invalid("content-client-without-identifier", "client-record-entry",
            "The client (asiakas) has neither henkilotunnus nor tilapainen_yksilointitunnus, one of "
            "which its structure requires.",
            "KA-CLIENT-ID", _set(f"{ENTRY}/asiakas/0/henkilotunnus", _DELETE), ("json",)),
    Invalid("content-extra-property", "case-document-open",
            "The case details hold a property (lisatieto) that the structure schema does not allow.",
            "KA-CONTENT-SCHEMA", _set(f"{CASE}/asian_tiedot/lisatieto", "Ei kuulu rakenteeseen.")),
    Invalid("case-other-name-without-details", "case-document-open",
            "The case name is '99 Muu' but the field the prose rule then requires "
            "(lisatieto_luokkaan_muu) is missing.",
            "KA-REQUIRED-IF", _set(f"{CASE}/asian_tiedot/lisatieto_luokkaan_muu", _DELETE)),
    Invalid("ban-by-representative-without-identifier", "disclosure-ban",
            "The representative who set the ban has no henkilotunnus, tilapainen_yksilointitunnus "
            "or edunvalvojan_tunniste, one of which the prose rule requires.",
            "KA-ONE-OF-REQUIRED",
            _set("/content/kieltoasiakirja/asiakirjoja_koskevat_luovutuskiellot/"
                 "asiakirjaa_koskeva_luovutuskielto/0/henkilo_joka_kieltaa_asiakastietojen_luovuttamisen",
                 [{"sukunimi": "Esimerkki", "etunimet": "Sanna",
                   "rooli": {"system": "urn:oid:1.2.246.537.6.1284", "code": "31",
                             "display": "Huoltaja"}}])),
    Invalid("effective-after-created", "client-record-entry",
            "The effective (event) time is three days after the document's creation time.",
            "KA-TIME-ORDER", _set("/metadata/effective_time", "2024-06-15T10:00:00+03:00")),
    Invalid("hetu-impossible-date", "client-record-entry",
            "The client's HETU in the metadata has the impossible birth date 31 February 2012.",
            "KA-HETU-INVALID", _set("/metadata/clients/0/hetu", "310212A904S"), ("json",)),
    Invalid("hetu-wrong-check-char", "client-record-entry",
            "The client's HETU in the content has a wrong check character (T instead of S).",
            "KA-HETU-INVALID", _set(f"{ENTRY}/asiakas/0/henkilotunnus/value", "150612A904T")),
    Invalid("impossible-date-feb-31", "case-document-open",
            "The case opening date is 31 February 2024, which does not exist.",
            "KA-DATE-INVALID", _set(f"{CASE}/asian_tiedot/avauspaiva", "2024-02-31")),
    Invalid("invalidated-without-reason", "client-record-entry",
            "An invalidated document has no invalidation (reason and time).",
            "KA-INVALIDATION", _set("/metadata/status", "invalidated")),
    Invalid("json-without-content", "client-record-entry",
            "The JSON document has no 'content' member.", "KA-DOCUMENT-SHAPE",
            forms=("json",), text=_drop_content),
    Invalid("metadata-missing-title", "client-record-entry",
            "The metadata has no title, which the metadata schema requires.",
            "KA-META-SCHEMA", _set("/metadata/title", _DELETE)),
    Invalid("oid-second-arc-over-39", "client-record-entry",
            "The customership OID has second arc 45 under first arc 1 (at most 39 allowed).",
            "KA-OID-SYNTAX", _set("/metadata/customership_oid", "1.45.246.10.91000013.30.55"),
            ("json",)),
    Invalid("org-oid-bad-business-id", "client-record-entry",
            "The service unit OID carries business ID 9100001-2, whose check digit is wrong.",
            "KA-BUSINESS-ID-INVALID", _set("/metadata/service_unit_oid", "1.2.246.10.91000012.10.1")),
    Invalid("private-contract-public-controller", "service-needs-assessment-private-contract",
            "A client-paid private contract names a public controller (type 1).",
            "KA-CONTROLLER-PRIVATE",
            _set("/metadata/controller/type", {"system": "urn:oid:1.2.246.537.5.40172", "code": "1",
                                               "display": "Julkinen"})),
    Invalid("shared-case-without-join-time", "case-document-shared",
            "A client of a case shared as a common matter has no join time (asiaan_liittymishetki).",
            "KA-COMMON-JOIN-TIME", _set(f"{CASE}/asiakas/1/asiaan_liittymishetki", _DELETE)),
    Invalid("storage-format-mismatch", "client-record-entry",
            "The file's metadata names the other storage format (JSON says xhtml, XHTML says json).",
            "KA-STORAGE-FORMAT", text=None),
    Invalid("temporary-id-future-year", "client-record-entry-temporary-id",
            "The client's temporary identifier in the metadata has the year 2999, which is in the "
            "future.",
            "KA-TEMPID-INVALID", _set("/metadata/clients/0/temporary_id", "1.2.246.10.91000021.22.2999.3")),
    Invalid("temporary-id-not-temporary-range", "client-record-entry-temporary-id",
            "The client's temporary identifier (tilapainen_yksilointitunnus) has individual number "
            "198, outside the temporary range 900-999.",
            "KA-TEMPID-INVALID",
            _set(f"{ENTRY}/asiakas/0/tilapainen_yksilointitunnus/value", "010111A198W")),
    Invalid("two-clients-without-common-matter", "client-record-entry",
            "A document with two clients has no common_matter_oid.",
            "KA-CLIENTS-COMMON-MATTER", _two_clients),
    Invalid("unknown-controller-type-code", "client-record-entry",
            "The metadata controller type code 3 is not in the (complete) code set "
            "1.2.246.537.5.40172.",
            "KA-CODE-UNKNOWN", _set("/metadata/controller/type/code", "3")),
    Invalid("unknown-structure-version", "client-record-entry",
            "The metadata names structure version 2099-01-01, for which there is no schema.",
            "KA-STRUCTURE-UNKNOWN",
            _set("/metadata/structure", {"oid": "1.2.246.537.6.1506.19005", "version": "2099-01-01"})),
    Invalid("version-1-with-previous", "client-record-entry",
            "Version 1 of a document names a previous version.",
            "KA-VERSION-CHAIN", _set("/metadata/previous_version_oid", "1.2.246.10.91000013.11.2001.0"),
            ("json",)),
    Invalid("version-2-without-previous", "client-record-entry-v2",
            "Version 2 of a document does not name its previous version (previous_version_oid).",
            "KA-VERSION-CHAIN", _set("/metadata/previous_version_oid", _DELETE)),
    Invalid("voucher-with-private-controller", "customership-service-voucher",
            "A service-voucher document names a private controller (controller type 2).",
            "KA-CONTROLLER-PUBLIC", _set("/metadata/controller/type/code", "2")),
    Invalid("voucher-with-producer-as-controller", "customership-service-voucher",
            "A service-voucher document has the voucher producer's OID as controller OID.",
            "KA-CONTROLLER-PUBLIC", _set("/metadata/controller/oid", "1.2.246.10.92000015"), ("json",)),
    Invalid("xhtml-bad-patient-data-boolean", "client-record-entry",
            "The metadata patient_data in the XHTML head is 'ei', not a boolean.", "KA-META-SCHEMA",
            forms=("xhtml",), text=_replace("<ka:patient_data>false</ka:patient_data>",
                                            "<ka:patient_data>ei</ka:patient_data>")),
    Invalid("xhtml-content-unknown-data-type", "client-record-entry",
            "A content value in the XHTML body has the unknown data-ka type 'text'.",
            "KA-DOCUMENT-SHAPE", forms=("xhtml",),
            text=_replace('data-ka="string" data-ka-key="sukunimi"', 'data-ka="text" data-ka-key="sukunimi"')),
    Invalid("xhtml-unknown-metadata-element", "client-record-entry",
            "The XHTML head metadata has an element (ka:priority) that the schema does not define.",
            "KA-META-SCHEMA", forms=("xhtml",),
            text=_replace("</ka:metadata>", "<ka:priority>high</ka:priority></ka:metadata>")),
    Invalid("xhtml-version-not-integer", "client-record-entry",
            "The metadata version in the XHTML head is 'yksi', not an integer.", "KA-META-SCHEMA",
            forms=("xhtml",), text=_replace("<ka:version>1</ka:version>", "<ka:version>yksi</ka:version>")),
    Invalid("xhtml-without-metadata", "case-document-open",
            "The XHTML <head> has no ka:metadata element.", "KA-DOCUMENT-SHAPE", forms=("xhtml",),
            sign=False, text=lambda data, _form: re.sub(rb"<ka:metadata>.*</ka:metadata>", b"", data,
                                                        flags=re.S)),
    Invalid("signature-content-changed-after-signing", "case-document-open",
            "The opening date in the content was changed after the document was signed.",
            "KA-SIGNATURE-INVALID", text=_change_opening_date),
    Invalid("signature-metadata-signer-mismatch", "case-document-open",
            "The metadata names a signer other than the signing certificate's holder.",
            "KA-SIGNATURE-METADATA", forms=("json",),
            text=_replace('"signer": "Liisa Laine"', '"signer": "Antti Niemi"')),
    Invalid("signature-missing", "case-document-open",
            "The metadata names the professional who signed the document, and the document carries "
            "no signature.",
            "KA-SIGNATURE-MISSING", forms=("json",), sign=False),
)  # fmt: skip


def _storage_mismatch(data: bytes, form: str) -> bytes:
    if form == "json":
        return data.replace(b'"storage_format": "json"', b'"storage_format": "xhtml"', 1)
    return data.replace(b"<ka:storage_format>xhtml<", b"<ka:storage_format>json<", 1)


def _invalid_bytes(sample: Invalid, form: str, registry: SchemaRegistry) -> bytes:
    doc = copy.deepcopy(load(sample.base))
    if sample.edit is not None:
        sample.edit(doc)
    if form == "json":
        data = json_bytes(doc, sign=sample.sign)
    else:
        data = xhtml_bytes(doc, registry, sign=sample.sign)
    if sample.name == "storage-format-mismatch":
        data = _storage_mismatch(data, form)
    if sample.text is not None:
        data = sample.text(data, form)
    return data


# ------------------------------------------------------------------ build and check


def _expected(defect: str, findings: Any) -> bytes:
    listed = sorted(
        ({"code": f.code, "severity": f.severity.value, "pointer": f.location.pointer}
         for f in findings),
        key=lambda f: (f["code"], f["severity"], f["pointer"]),
    )  # fmt: skip
    return (json.dumps({"defect": defect, "findings": listed}, ensure_ascii=False, indent=2)
            + "\n").encode("utf-8")  # fmt: skip


def _write(path: Path, data: bytes) -> bool:
    if path.exists() and path.read_bytes() == data:
        return False
    path.write_bytes(data)
    return True


def build() -> list[str]:
    """Rebuild every derived sample; return the problems found (none: all good)."""
    registry = SchemaRegistry()
    validator = Validator(registry)
    problems: list[str] = []
    changed = 0
    for source in sorted(VALID.glob("*.json")):
        doc = load(source.stem)
        changed += _write(source, json_bytes(doc))
        changed += _write(source.with_suffix(".xhtml"), xhtml_bytes(doc, registry))
    for sample in INVALID_SAMPLES:
        for form in sample.forms:
            path = INVALID / f"{sample.name}.{form}"
            data = _invalid_bytes(sample, form, registry)
            result = validator.validate_bytes(data, path.name)
            errors = sorted({f.code for f in result.findings if f.severity.value == "error"})
            if (
                errors != [sample.error]
                or sum(f.severity.value == "error" for f in result.findings) != 1
            ):
                problems.append(f"{path.name}: errors {errors}, want exactly one {sample.error}: "
                                + "; ".join(f"{f.code} {f.location.pointer} {f.message}"
                                            for f in result.findings))  # fmt: skip
                continue
            changed += _write(path, data)
            changed += _write(path.with_name(path.name + ".expected"),
                              _expected(sample.defect, result.findings))  # fmt: skip
    changed += _write(INVALID / "README.md", readme_text().encode("utf-8"))
    print(f"samples: {changed} file(s) written", file=sys.stderr)
    return problems + check(validator)


_TABLE_HEAD = "| file | defect | error codes |\n|---|---|---|\n"


def readme_text() -> str:
    """``invalid/README.md`` with its table rebuilt from every ``.expected`` file (the text
    around the table is kept as written)."""
    text = (INVALID / "README.md").read_text(encoding="utf-8")
    start = text.index(_TABLE_HEAD)
    end = start + len(_TABLE_HEAD)
    while end < len(text) and text.startswith("| `", end):
        end = text.index("\n", end) + 1
    rows = []
    for expected in sorted(INVALID.glob("*.expected")):
        facts = json.loads(expected.read_text(encoding="utf-8"))
        codes = sorted({f["code"] for f in facts["findings"] if f["severity"] == "error"})
        defect = str(facts["defect"]).replace("|", "\\|")
        listed = ", ".join(f"`{c}`" for c in codes) or "(none)"
        rows.append(f"| `{expected.name.removesuffix('.expected')}` | {defect} | {listed} |\n")
    return text[:start] + _TABLE_HEAD + "".join(rows) + text[end:]


def check(validator: Validator | None = None) -> list[str]:
    """Every valid sample has no error; every derived invalid file is its table entry's."""
    validator = validator or Validator()
    problems = []
    for path in sorted(VALID.iterdir()):
        if path.suffix in (".json", ".xhtml"):
            errors = [
                f for f in validator.validate_path(path).findings if f.severity.value == "error"
            ]
            if errors:
                problems.append(f"{path.name}: " + "; ".join(f"{f.code} {f.location.pointer} "
                                                             f"{f.message}" for f in errors))  # fmt: skip
    if (INVALID / "README.md").read_text(encoding="utf-8") != readme_text():
        problems.append("invalid/README.md: its table is not the .expected files' (rebuild)")
    derived = {f"{s.name}.{form}" for s in INVALID_SAMPLES for form in s.forms}
    for path in sorted(INVALID.iterdir()):
        if path.suffix in (".expected", ".md") or path.name in derived or path.name in STATIC:
            continue
        if path.name != "build.py":
            problems.append(f"{path.name}: neither derived (INVALID_SAMPLES) nor listed in STATIC")
    return problems


if __name__ == "__main__":
    found = check() if "--check" in sys.argv[1:] else build()
    for problem in found:
        print(problem, file=sys.stderr)
    sys.exit(1 if found else 0)
