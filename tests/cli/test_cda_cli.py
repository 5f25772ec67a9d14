"""The CDA form through the CLI: validate, render, sign, archive, show, verify, export, upgrade."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from kanta_archive.archive import ShownDocument
from kanta_archive.formats.read import read_bytes

Run = Callable[..., Result]
ROOT = Path(__file__).resolve().parents[2]
VALID = ROOT / "samples" / "valid"
CDA = ROOT / "samples" / "cda"
KEYS = ROOT / "samples" / "keys"
CASE = "1.2.246.10.91000013.11.1001.1"


def test_the_cda_samples_validate_with_the_test_ca(run_cli: Run) -> None:
    result = run_cli("validate", CDA / "valid", "--trust", KEYS / "TEST-ONLY-ca.pem")
    assert result.exit_code == 0, result.output
    assert "0 invalid" in result.output


def test_the_invalid_cda_samples_exit_1_as_json(run_cli: Run) -> None:
    result = run_cli("validate", CDA / "invalid", "--format", "json")
    assert result.exit_code == 1


def test_render_to_cda_and_back_gives_the_same_content(run_cli: Run, tmp_path: Path) -> None:
    cda, back = tmp_path / "doc.xml", tmp_path / "back.json"
    result = run_cli("render", VALID / "client-record-entry.json", "--to", "cda", "-o", cda)
    assert result.exit_code == 0
    assert "/metadata/status: left out" in result.output  # stderr is mixed in by CliRunner
    assert run_cli("render", cda, "--to", "json", "-o", back).exit_code == 0
    original = json.loads((VALID / "client-record-entry.json").read_text(encoding="utf-8"))
    assert json.loads(back.read_text(encoding="utf-8"))["content"] == original["content"]
    assert run_cli("validate", back).exit_code == 0


def test_render_from_cda_to_xhtml_validates(run_cli: Run, tmp_path: Path) -> None:
    out = tmp_path / "doc.xhtml"
    assert (
        run_cli(
            "render", CDA / "valid" / "client-record-entry.xml", "--to", "xhtml", "-o", out
        ).exit_code
        == 0
    )
    assert run_cli("validate", out).exit_code == 0


def test_render_with_a_frame_needs_cda(run_cli: Run) -> None:
    result = run_cli("render", VALID / "client-record-entry.json", "--to", "json", "--frame", "SP1")
    assert result.exit_code == 2


def test_sign_writes_the_cda_signature_and_verify_signature_checks_it(
    run_cli: Run, tmp_path: Path
) -> None:
    unsigned, signed = tmp_path / "u.xml", tmp_path / "s.xml"
    run_cli("render", VALID / "case-document-open.json", "--to", "cda", "-o", unsigned)
    assert run_cli("validate", unsigned).exit_code == 1  # a case document must be signed
    result = run_cli(
        "sign", unsigned, "--key", KEYS / "TEST-ONLY-signing-key.pem",
        "--cert", KEYS / "TEST-ONLY-signing-cert.pem", "-o", signed,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    verified = run_cli("verify-signature", signed, "--trust", KEYS / "TEST-ONLY-ca.pem")
    assert verified.exit_code == 0, verified.output
    assert "signer: Liisa Laine" in verified.output and "trusted: yes" in verified.output


def test_verify_signature_says_when_only_white_space_changed(run_cli: Run, tmp_path: Path) -> None:
    sample = CDA / "invalid" / "cda-case-pretty-printed-after-signing.xml"
    result = run_cli("verify-signature", sample)
    assert result.exit_code == 1
    assert "white space between elements was changed after signing" in result.output


@pytest.fixture
def cda_store(run_cli: Run, tmp_path: Path) -> Path:
    store = tmp_path / "store"
    result = run_cli(
        "archive", CDA / "valid", "--store", store, "--trust", KEYS / "TEST-ONLY-ca.pem"
    )
    assert result.exit_code == 0, result.output
    return store


def test_archive_stores_a_cda_document_exactly_as_submitted(run_cli: Run, cda_store: Path) -> None:
    result = run_cli("show", CASE, "--raw", "--store", cda_store)
    assert result.stdout_bytes == (CDA / "valid" / "case-document-open.xml").read_bytes()
    summary = run_cli("show", CASE, "--store", cda_store)
    assert "format       cda" in summary.output


def test_show_content_is_the_decoded_json_and_display_the_decoded_xhtml(
    run_cli: Run, cda_store: Path
) -> None:
    data = (CDA / "valid" / "case-document-open.xml").read_bytes()
    document = read_bytes(data, "x.xml").document
    assert document is not None and document.cda is not None
    content = run_cli("show", CASE, "--content", "--store", cda_store)
    assert json.loads(content.output) == dict(document.content)
    display = run_cli("show", CASE, "--display", "--store", cda_store)
    assert display.output == document.cda.display


def test_show_display_of_a_json_document_is_a_usage_error(run_cli: Run, tmp_path: Path) -> None:
    store = tmp_path / "s"
    run_cli("archive", VALID / "client-record-entry.json", "--store", store)
    result = run_cli("show", "1.2.246.10.91000013.11.2001.1", "--display", "--store", store)
    assert result.exit_code == 2 and "only a CDA document has a display form" in result.output


def test_query_history_verify_and_export_work_on_cda(
    run_cli: Run, cda_store: Path, tmp_path: Path
) -> None:
    query = run_cli("query", "--client", "150612A904S", "--store", cda_store, "--format", "json")
    assert CASE in query.output
    assert run_cli("history", CASE.rsplit(".", 1)[0], "--store", cda_store).exit_code == 0
    verify = run_cli("verify", "--full", "--store", cda_store)
    assert verify.exit_code == 0, verify.output
    out = tmp_path / "export"
    assert (
        run_cli("export", CASE.rsplit(".", 1)[0], "--to", out, "--store", cda_store).exit_code == 0
    )
    exported = [p for p in out.rglob("*.xml")]
    assert (
        exported
        and exported[0].read_bytes() == (CDA / "valid" / "case-document-open.xml").read_bytes()
    )


def test_the_display_form_is_rendered_from_the_masked_content(monkeypatch: Any) -> None:
    from kanta_archive.access import reading
    from kanta_archive.schemas import SchemaRegistry

    data = (CDA / "valid" / "client-record-entry.xml").read_bytes()
    document = read_bytes(data, "x.xml").document
    assert document is not None
    shown = ShownDocument("s", "d", 1, 1, "c", "cda", dict(document.metadata_raw), data)
    content = json.loads(json.dumps(dict(document.content)))
    client = content["merkinta_tapaamisesta_tai_yhteydenotosta"]["asiakas"][0]
    name = {key: client[key] for key in ("sukunimi", "etunimet")}
    original = json.dumps(name, ensure_ascii=False)
    for key in name:
        client[key] = "***"
    monkeypatch.setattr(reading, "masked_content", lambda _shown, _registry: content)
    registry = SchemaRegistry()
    masked = reading.display_form(shown, registry)
    assert "***" in masked
    # as whole values: "Esimerkki" is also part of an organisation's name in the page
    assert all(f">{value}<" not in masked for value in json.loads(original).values())
    revealed = reading.display_form(shown, registry, reveal=True)
    assert revealed == document.cda.display  # type: ignore[union-attr]


def test_upgrade_rewrites_a_model_1_document_and_leaves_model_2_alone(
    run_cli: Run, tmp_path: Path
) -> None:
    old = {
        "metadata": {
            "document_oid": "1.2.246.10.91000013.11.7.1",
            "structure": {"oid": "1.2.246.537.6.1506.1", "version": "2024-06-01"},
            "service_funding": "service_voucher",
            "controller": {"oid": "1.2.246.10.91000013", "type": {"code": "1"}},
            "producer_oid": "1.2.246.10.92000015",
            "author": {"name": "A", "role": "r"},
            "retention": {"until": "permanent"},
        },
        "content": {},
    }
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old), encoding="utf-8")
    modern = tmp_path / "new.json"
    modern.write_bytes((VALID / "client-record-entry.json").read_bytes())
    result = run_cli("upgrade", tmp_path)
    assert result.exit_code == 0 and "1 file(s) upgraded" in result.output
    new = json.loads(path.read_text(encoding="utf-8"))["metadata"]
    assert new["structure"] == "1.2.246.537.6.1506.1.2024.6.1"
    assert new["organiser"] == {"oid": "1.2.246.10.91000013"}
    assert new["author"]["organisation_oid"] == "1.2.246.10.92000015"
    assert new["retention_class"]["code"] == "1"
    assert modern.read_bytes() == (VALID / "client-record-entry.json").read_bytes()


def test_a_stored_model_1_metadata_json_is_read_as_model_2() -> None:
    from kanta_archive.archive import metadata_file as mf

    old = {"structure": {"oid": "1.2.3", "version": "2024-06-01"}, "service_funding": "x"}
    assert mf.load(json.dumps(old).encode(), "test")["structure"] == "1.2.3.2024.6.1"
