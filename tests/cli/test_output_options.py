"""What users hit: finding selection in CI, the query output options, exit codes."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

VALID = Path(__file__).resolve().parents[2] / "samples" / "valid"
Run = Callable[..., Result]


# ------------------------------------------------------------------ --select / --ignore


def test_fail_on_warning_is_usable_on_test_data_with_ignore(run_cli: Run) -> None:
    assert run_cli("validate", VALID, "--fail-on", "warning").exit_code == 1
    result = run_cli("validate", VALID, "--fail-on", "warning", "--ignore", "KA-HETU-TEST")
    assert result.exit_code == 0, result.output
    assert "KA-HETU-TEST" not in result.output


def test_select_reports_only_the_selected_codes(run_cli: Run) -> None:
    result = run_cli("validate", VALID, "--select", "KA-SIGNATURE-*", "--format", "json")
    codes = {f["code"] for r in json.loads(result.output)["results"] for f in r["findings"]}
    assert codes <= {c for c in codes if c.startswith("KA-SIGNATURE-")}
    assert "KA-HETU-TEST" not in codes


def test_an_unknown_code_is_a_usage_error(run_cli: Run) -> None:
    result = run_cli("validate", VALID, "--ignore", "KA-HETU-TSET")
    assert result.exit_code == 2 and "KA-HETU-TSET" in result.stderr


def test_pyproject_settings_apply_and_the_command_line_wins(
    run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.kanta-archive]\nignore = ["KA-HETU-TEST"]\nfail-on = "warning"\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    assert run_cli("validate", VALID).exit_code == 0
    assert run_cli("validate", VALID, "--no-config", "--fail-on", "warning").exit_code == 1
    assert run_cli("validate", VALID, "--select", "KA-HETU-*").exit_code == 0  # still ignored


# ------------------------------------------------------------------ query output


@pytest.fixture
def store(run_cli: Run, tmp_store: Path) -> Path:
    documents = sorted(p for p in VALID.glob("*.json") if "v2" not in p.name)
    run_cli("archive", *documents, "--partial", "--store", tmp_store)
    return tmp_store


def test_query_jsonl_is_one_object_per_line(run_cli: Run, store: Path) -> None:
    result = run_cli("query", "--store", store, "--format", "jsonl", "--limit", "3")
    lines = result.stdout.splitlines()
    assert len(lines) == 3 and all(json.loads(line)["document_oid"] for line in lines)


def test_query_columns_and_no_header(run_cli: Run, store: Path) -> None:
    result = run_cli("query", "--store", store, "--format", "tsv", "--columns",
                     "document_oid,patient_data", "--no-header", "--limit", "2")  # fmt: skip
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert len(rows) == 2 and all(len(r) == 2 and r[1] in ("true", "false") for r in rows)


def test_query_csv_booleans_are_true_and_false(run_cli: Run, store: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(run_cli("query", "--store", store, "--format",
                                                   "csv").stdout)))  # fmt: skip
    assert rows and {r["is_head"] for r in rows} == {"true"}
    assert {r["non_disclosure"] for r in rows} <= {"true", "false"}


def test_an_unknown_column_is_a_usage_error(run_cli: Run, store: Path) -> None:
    result = run_cli("query", "--store", store, "--columns", "document_oid,nope")
    assert result.exit_code == 2 and "nope" in result.stderr


def test_query_all_streams_past_one_index_page(
    run_cli: Run, store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kanta_archive.archive.querying as querying

    expected = json.loads(run_cli("query", "--store", store, "--format", "json").stdout)
    monkeypatch.setattr(querying, "MAX_LIMIT", 2)  # an index page of 2 rows
    result = run_cli("query", "--store", store, "--all", "--format", "json")
    streamed = json.loads(result.stdout)
    assert streamed["documents"] == expected["documents"]
    assert streamed["total"] == expected["total"] > 2


def test_query_limit_may_pass_the_old_cap(run_cli: Run, store: Path) -> None:
    result = run_cli("query", "--store", store, "--limit", "20000", "--format", "json")
    assert result.exit_code == 0 and json.loads(result.stdout)["limit"] == 20000


# ------------------------------------------------------------------ show, exit codes


def test_show_with_two_parts_is_a_usage_error(run_cli: Run, store: Path) -> None:
    oid = json.loads((VALID / "case-document-open.json").read_text())["metadata"]["document_oid"]
    result = run_cli("show", oid, "--raw", "--content", "--store", store)
    assert result.exit_code == 2 and "one of" in result.stderr


@pytest.mark.parametrize("url", ["mysql://localhost/kanta", "archive/index.sqlite"])
def test_an_unknown_index_url_scheme_exits_2(run_cli: Run, store: Path, url: str) -> None:
    result = run_cli("query", "--store", store, "--index", url)
    assert result.exit_code == 2 and "index URL" in result.stderr


def test_a_missing_store_exits_2(run_cli: Run, tmp_path: Path) -> None:
    result = run_cli("query", "--store", tmp_path / "nowhere")
    assert result.exit_code == 2 and "not a kanta-archive store" in result.stderr
    assert not (tmp_path / "nowhere").exists()


def test_ctrl_c_in_any_command_exits_130_with_one_line(
    run_cli: Run, store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kanta_archive.session import ArchiveSession

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(ArchiveSession, "verify", interrupted)
    result = run_cli("verify", "--store", store)
    assert result.exit_code == 130
    assert result.stderr == "Error: interrupted\n"
