"""validate for people: field names (--lang), document order, the unchecked-code-set note,
and which documents must be signed (the metadata's signer, --require-signature)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

Run = Callable[..., Result]
ROOT = Path(__file__).resolve().parents[2]
VALID = ROOT / "samples" / "valid"
INVALID = ROOT / "samples" / "invalid"
ENTRY = "1.2.246.537.6.1506.19005"  # client-record-entry.json's structure


def _findings(result: Result) -> list[dict[str, Any]]:
    report = json.loads(result.output)
    return [f for r in report["results"] for f in r["findings"]]


def _codes(result: Result) -> set[str]:
    return {f["code"] for f in _findings(result)}


def _write(tmp_path: Path, document: dict[str, Any], name: str = "doc.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def _sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VALID / name).read_text(encoding="utf-8"))
    return data


# -- --lang ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "content_name", "metadata_name"),
    [
        ("fi", "Avauspäivä", "Henkilötunnus"),
        ("sv", "Öppningsdatum", "Personbeteckning"),
        ("en", "Avauspäivä", "Henkilötunnus"),  # Sosmeta has fi and sv names only
    ],
)
def test_lang_names_the_field_of_each_finding(
    run_cli: Run, lang: str, content_name: str, metadata_name: str
) -> None:
    path = INVALID / "impossible-date-feb-31.json"
    text = run_cli("validate", path, "--lang", lang)
    assert text.exit_code == 1
    assert f"/content/asia_asiakirja/asian_tiedot/avauspaiva ({content_name})" in text.output
    assert f"/metadata/clients/0/hetu ({metadata_name})" in text.output
    findings = _findings(run_cli("validate", path, "--lang", lang, "--format", "json"))
    names = {f["location"]["pointer"]: f["location"].get("name") for f in findings}
    assert names["/content/asia_asiakirja/asian_tiedot/avauspaiva"] == content_name
    assert names["/metadata/clients/0/hetu"] == metadata_name


def test_without_lang_findings_carry_no_names(run_cli: Run) -> None:
    result = run_cli("validate", INVALID / "impossible-date-feb-31.json", "--format", "json")
    assert all("name" not in f["location"] for f in _findings(result))
    text = run_cli("validate", INVALID / "impossible-date-feb-31.json")
    assert "(Avauspäivä)" not in text.output


def test_lang_names_reach_the_worker_processes(run_cli: Run) -> None:
    result = run_cli("validate", INVALID, "--jobs", "2", "--lang", "sv", "--format", "json")
    names = {f["location"].get("name") for f in _findings(result)}
    assert "Öppningsdatum" in names


# -- document order ---------------------------------------------------------------------------


def test_findings_come_in_document_order(run_cli: Run, tmp_path: Path) -> None:
    document = _sample("case-document-open.json")
    del document["signature"], document["metadata"]["signature"]  # an edit breaks it
    details = document["content"]["asia_asiakirja"]["asian_tiedot"]
    details["lisatieto"] = "x"  # late in the file: a content schema error
    document["metadata"]["clients"][0]["hetu"] = "150612A904T"  # in the middle: a rule's
    document["metadata"]["title"] = 5  # early: a metadata schema error
    # The stages find them schema first, rules after; they are reported by place.
    result = run_cli("validate", _write(tmp_path, document), "--format", "json")
    placed = [(f["location"]["line"], f["location"]["column"]) for f in _findings(result)]
    assert len(placed) >= 3
    assert placed == sorted(placed)
    codes = [f["code"] for f in _findings(result) if f["severity"] == "error"]
    assert codes == ["KA-META-SCHEMA", "KA-HETU-INVALID", "KA-CONTENT-SCHEMA"]


# -- code systems without a code set ------------------------------------------------------------


def test_unchecked_code_systems_are_named_once_per_run(run_cli: Run) -> None:
    result = run_cli("validate", VALID)
    assert result.exit_code == 0  # never an error
    notes = [line for line in result.stderr.splitlines() if line.startswith("Note:")]
    assert len(notes) == 1
    assert "1.2.246.537.6.1265" in notes[0]  # the case name code set is not shipped
    assert "1.2.246.537.5.40172" not in notes[0]  # the controller type set is
    assert "codesets import" in notes[0]
    machine = run_cli("validate", VALID, "--format", "json")
    assert "Note:" not in machine.stderr  # machine formats stay clean
    assert "Note:" not in run_cli("validate", VALID, "--quiet").stderr


# -- which documents must be signed ---------------------------------------------------------


def test_a_document_whose_metadata_names_a_signer_must_be_signed(run_cli: Run) -> None:
    path = INVALID / "signature-missing.json"
    result = run_cli("validate", path, "--format", "json")
    assert result.exit_code == 1
    missing = [f for f in _findings(result) if f["code"] == "KA-SIGNATURE-MISSING"]
    assert len(missing) == 1
    assert "names the signer" in missing[0]["message"]
    assert (
        run_cli("validate", path, "--require-signature", "none", "--format", "json").exit_code == 0
    )


def test_unsigned_documents_without_a_signer_need_no_signature(run_cli: Run) -> None:
    path = VALID / "client-record-entry.json"
    assert "signature" not in _sample("client-record-entry.json")["metadata"]
    assert run_cli("validate", path).exit_code == 0


@pytest.mark.parametrize(
    ("option", "missing"),
    [
        ("all", True),
        (ENTRY, True),
        ("1.2.246.537.6.1506.19005.2022.1.10", True),  # a full dated OID works too
        ("1.2.246.537.6.1505.2", False),  # another structure
    ],
)
def test_require_signature_overrides(run_cli: Run, option: str, missing: bool) -> None:
    path = VALID / "client-record-entry.json"
    result = run_cli("validate", path, "--require-signature", option, "--format", "json")
    assert ("KA-SIGNATURE-MISSING" in _codes(result)) is missing
    assert result.exit_code == (1 if missing else 0)


def test_require_signature_reaches_the_worker_processes(run_cli: Run) -> None:
    serial = run_cli("validate", VALID, "--require-signature", "all", "--format", "json")
    parallel = run_cli(
        "validate", VALID, "--require-signature", "all", "--jobs", "2", "--format", "json"
    )
    assert "KA-SIGNATURE-MISSING" in _codes(serial)
    assert _findings(serial) == _findings(parallel)


def test_signed_samples_stay_valid_when_all_must_be_signed(run_cli: Run) -> None:
    signed = [p for p in sorted(VALID.glob("*.json")) if "signature" in json.loads(p.read_text())]
    assert signed
    result = run_cli("validate", *signed, "--require-signature", "all")
    assert result.exit_code == 0, result.output
