"""``kanta-archive codesets import|list``: the national code server's exports as code sets.

The two export forms are the code server's text download (``CodeId;…;LongName;…``, older
files ISO-8859-1) and its API JSON (``conceptCodes``); both are written here as small files
in those shapes (the real downloads are not redistributable test data).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from kanta_archive.codeset_formats import read_export
from kanta_archive.codesets import load_codesets
from kanta_archive.errors import InputError

Run = Callable[..., Result]
ROOT = Path(__file__).resolve().parents[2]
VALID = ROOT / "samples" / "valid"
TASKS = "1.2.246.537.6.1221"

CSV_HEADER = (
    "CodeId;Abbreviation;ShortName;LongName;ParentId;HierarchyLevel;BeginningDate;"
    "ExpiringDate;A:Long_name;A:Långt_namn\n"
)
CSV_ROWS = (
    "24;;;Lapsiperheiden palvelut;;1;2016-01-01;;Services for families with children;"
    "Tjänster för barnfamiljer\n"
    "25;;;Nuorten palvelut;;1;2016-01-01;;Youth services;Tjänster för unga\n"
)
CONCEPT_CODES = {
    "conceptCodes": [
        {
            "conceptCodeId": "24",
            "status": "ACTIVE",
            "attributes": [
                {"attributeName": "LongName", "attributeValue": ["Lapsiperheiden palvelut"]},
                {"attributeName": "Långt_namn", "attributeValue": ["Tjänster för barnfamiljer"]},
                {"attributeName": "Long_name", "attributeValue": ["Services for families"]},
            ],
        },
        {"conceptCodeId": "26", "status": "DELETED", "attributes": []},
        {"conceptCodeId": "25", "status": "ACTIVE", "attributes": []},
    ],
    "page": 1,
    "totalPages": 1,
}


def _csv(tmp_path: Path, name: str, encoding: str = "utf-8", bom: bool = False) -> Path:
    path = tmp_path / name
    data = (CSV_HEADER + CSV_ROWS).encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


@pytest.mark.parametrize(
    ("encoding", "bom"), [("utf-8", False), ("utf-8", True), ("iso-8859-1", False)]
)
def test_a_code_server_csv_reads_in_each_encoding(tmp_path: Path, encoding: str, bom: bool) -> None:
    codeset = read_export(_csv(tmp_path, f"{TASKS}.csv", encoding, bom))
    assert codeset.oid == TASKS and codeset.complete
    assert sorted(codeset.codes) == ["24", "25"]
    assert codeset.codes["24"] == {
        "fi": "Lapsiperheiden palvelut",
        "sv": "Tjänster för barnfamiljer",
        "en": "Services for families with children",
    }
    assert "code server CSV export" in codeset.source


def test_code_server_api_json_reads_and_leaves_deleted_codes_out(tmp_path: Path) -> None:
    path = tmp_path / "conceptcodes.json"
    path.write_text(json.dumps(CONCEPT_CODES), encoding="utf-8")
    codeset = read_export(path, oid=TASKS, version="201601", name="Sosiaalihuollon palvelutehtävä")
    assert sorted(codeset.codes) == ["24", "25"]
    assert codeset.codes["24"]["sv"] == "Tjänster för barnfamiljer"
    assert codeset.version == "201601" and codeset.name == {"fi": "Sosiaalihuollon palvelutehtävä"}
    pages = tmp_path / "pages.json"  # a JSON array of pages is one code set
    second = {"conceptCodes": [{"conceptCodeId": "27", "status": "ACTIVE", "attributes": []}]}
    pages.write_text(json.dumps([CONCEPT_CODES, second]), encoding="utf-8")
    assert sorted(read_export(pages, oid=TASKS).codes) == ["24", "25", "27"]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("export.csv", CSV_HEADER + CSV_ROWS, "give --oid"),
        (f"{TASKS}.csv", "Koodi;Nimi\n24;x\n", "no CodeId column"),
        (f"{TASKS}.csv", CSV_HEADER + ";;;Nimetön;;1;;;;\n", "without a CodeId"),
        (f"{TASKS}.csv", CSV_HEADER, "no codes"),
        (f"{TASKS}.json", '{"conceptCodes": 3}', "no conceptCodes"),
        (f"{TASKS}.json", "{", "not JSON"),
    ],
)
def test_a_file_that_is_not_an_export_is_refused(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_export(path)


def test_import_writes_code_sets_that_validation_then_uses(run_cli: Run, tmp_path: Path) -> None:
    folder = tmp_path / "my-schemas"
    result = run_cli("codesets", "import", _csv(tmp_path, f"{TASKS}.csv"), "--to", folder)
    assert result.exit_code == 0, result.output + result.stderr
    assert f"{TASKS}: 2 code(s)" in result.stderr
    written = json.loads((folder / "codesets" / f"{TASKS}.json").read_text(encoding="utf-8"))
    assert written["oid"] == TASKS and written["complete"] is True

    listed = json.loads(
        run_cli("--schemas-dir", folder, "codesets", "list", "--format", "json").output
    )
    tasks = next(row for row in listed if row["oid"] == TASKS)
    assert tasks["codes"] == 2 and tasks["complete"] is True
    assert "imported from" in tasks["source"]

    # The bundled 1221 is partial (code 24 only): code 99 is no error there...
    document = json.loads((VALID / "client-record-entry.json").read_text(encoding="utf-8"))
    document["metadata"]["service_task"]["code"] = "99"
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    plain = run_cli("validate", path, "--format", "json")
    assert "KA-CODE-UNKNOWN" not in plain.output
    # ...and is one with the complete set imported.
    checked = run_cli("--schemas-dir", folder, "validate", path, "--format", "json")
    assert checked.exit_code == 1
    codes = [
        (f["code"], f["location"]["pointer"])
        for r in json.loads(checked.output)["results"]
        for f in r["findings"]
    ]
    assert ("KA-CODE-UNKNOWN", "/metadata/service_task/code") in codes


def test_import_into_a_store_is_what_archive_checks(run_cli: Run, tmp_path: Path) -> None:
    store = tmp_path / "archive"
    export = _csv(tmp_path, f"{TASKS}.csv")
    refused = run_cli("codesets", "import", export, "--store", store)
    assert refused.exit_code == 2 and "not a kanta-archive store" in refused.stderr
    assert not store.exists()
    first = run_cli("archive", VALID / "client-record-entry.json", "--store", store)
    assert first.exit_code == 0, first.output + first.stderr
    result = run_cli("codesets", "import", export, "--store", store)
    assert result.exit_code == 0, result.output + result.stderr
    assert (store / "codesets" / f"{TASKS}.json").is_file()
    document = json.loads((VALID / "client-record-entry.json").read_text(encoding="utf-8"))
    document["metadata"]["service_task"]["code"] = "99"
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    archived = run_cli("archive", path, "--store", store)
    assert archived.exit_code == 1
    assert "KA-CODE-UNKNOWN" in archived.output + archived.stderr
    assert run_cli("verify", "--store", store).exit_code == 0  # the store stays sound


def test_one_bad_file_writes_nothing(run_cli: Run, tmp_path: Path) -> None:
    good = _csv(tmp_path, f"{TASKS}.csv")
    bad = tmp_path / "1.2.246.537.6.1284.csv"
    bad.write_text("not an export\n", encoding="utf-8")
    folder = tmp_path / "out"
    result = run_cli("codesets", "import", good, bad, "--to", folder)
    assert result.exit_code == 2
    assert "no CodeId column" in result.stderr
    assert not (folder / "codesets").exists()


@pytest.mark.parametrize(
    "options",
    [[], ["--to", "a", "--store", "b"]],
    ids=["neither target", "both targets"],
)
def test_import_needs_exactly_one_target(run_cli: Run, tmp_path: Path, options: list[str]) -> None:
    result = run_cli("codesets", "import", _csv(tmp_path, f"{TASKS}.csv"), *options)
    assert result.exit_code == 2
    assert "exactly one of --to" in result.stderr


def test_oid_names_one_file_only(run_cli: Run, tmp_path: Path) -> None:
    one, two = _csv(tmp_path, "a.csv"), _csv(tmp_path, "b.csv")
    result = run_cli("codesets", "import", one, two, "--oid", TASKS, "--to", tmp_path / "o")
    assert result.exit_code == 2 and "one file" in result.stderr


def test_codesets_list_shows_the_bundled_sets_with_their_completeness(run_cli: Run) -> None:
    result = run_cli("codesets", "list")
    assert result.exit_code == 0
    lines = {line.split()[0]: line for line in result.output.splitlines()}
    assert "complete" in lines["1.2.246.537.5.40172"]
    assert "partial" in lines[TASKS] and "201601" in lines[TASKS]
    bundled = load_codesets()
    assert set(lines) == set(bundled)
