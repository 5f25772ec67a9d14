"""The smaller rough edges users hit (issue 16, "Smaller")."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
VALID = SAMPLES / "valid"
Run = Callable[..., Result]


def test_plain_html_without_the_xhtml_namespace_is_told_the_namespace(
    run_cli: Run, tmp_path: Path
) -> None:
    page = tmp_path / "page.html"
    page.write_text("<html><head><title>x</title></head><body>x</body></html>", encoding="utf-8")
    result = run_cli("validate", page)
    assert result.exit_code == 1
    assert "http://www.w3.org/1999/xhtml" in result.output and "no namespace" in result.output


def test_archive_summary_counts_every_document_not_only_the_printed_ones(
    run_cli: Run, tmp_store: Path
) -> None:
    result = run_cli("archive", VALID / "case-document-open.json", SAMPLES / "invalid" /
                     "binary.json", "--store", tmp_store)  # fmt: skip
    last = result.stdout.splitlines()[-1]
    assert last == "2 documents: 1 valid, 1 invalid; 0 stored, 0 unchanged, 2 refused"
    assert "1 document:" not in result.stdout
    data = json.loads(run_cli("archive", VALID / "case-document-open.json", SAMPLES /
                              "invalid" / "binary.json", "--store", tmp_store,
                              "--format", "json").stdout)  # fmt: skip
    assert (data["valid"], data["invalid"]) == (1, 1)
    assert data["findings"][0]["findings"][0]["code"] == "KA-INPUT-BINARY"


def test_orgs_list_columns_line_up(run_cli: Run, tmp_store: Path) -> None:
    run_cli("orgs", "import", SAMPLES / "orgs.csv", "--store", tmp_store)
    lines = run_cli("orgs", "list", "--store", tmp_store, "--format", "text").stdout.splitlines()
    header = lines[0]
    assert header.split() == ["oid", "sector", "joining_model", "valid_from", "valid_to", "name"]
    starts = [header.index(name) for name in header.split()[1:]]
    for line in lines[1:]:  # every value starts under its heading
        assert all(line[s - 2 : s] == "  " and line[s] != " " for s in starts[:3]), line
        assert line[starts[-1] - 2 : starts[-1]] == "  ", line


def test_schemas_list_help_promises_only_its_columns(run_cli: Run) -> None:
    help_text = run_cli("schemas", "list", "--help").stdout
    table = run_cli("schemas", "list").stdout.splitlines()[0].split()
    assert table[:3] == ["OID", "VERSION", "ROOT"]
    assert "source file" not in help_text.split("(--format json")[0]


def test_schemas_show_flags_the_non_disclosure_fields(run_cli: Run) -> None:
    text = run_cli("schemas", "show", "1.2.246.537.6.1505.1").stdout
    assert any(line[:4].endswith("N") and "yhteystiedot" in line for line in text.splitlines())
    assert "N protected by a non-disclosure marking" in text
    data = json.loads(run_cli("schemas", "show", "1.2.246.537.6.1505.1", "--format", "json").stdout)
    flagged = {f["path"] for f in data["fields"] if f["non_disclosure"]}
    assert any(p.endswith("/yhteystiedot") for p in flagged)
