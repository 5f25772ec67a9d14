"""``kanta-archive commissioning-test``: exit codes, reports written, one-line errors."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

ROOT = Path(__file__).resolve().parents[2]
VALID = ROOT / "samples" / "valid"
INVALID = ROOT / "samples" / "invalid"
ORG = "1.2.246.10.91000013"
Run = Callable[..., Result]


def _test(run_cli: Run, folder: Path, *extra: str | Path) -> Result:
    return run_cli(
        "commissioning-test", folder, "--org", ORG, "--system", "Sample System 1.0", *extra
    )


def test_bundled_samples_pass_and_both_reports_are_written(run_cli: Run, tmp_path: Path) -> None:
    html, report = tmp_path / "r.html", tmp_path / "r.json"
    result = _test(
        run_cli, VALID, "--html", html, "--json", report, "--now", "2025-01-02T03:04:05+02:00"
    )
    assert result.exit_code == 0, result.output
    assert "FAILED" not in result.output
    assert "of 9 case(s) passed" in result.output
    assert f"report: {html}" in result.output
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["result"] == "passed"
    assert data["generated_at"] == "2025-01-02T01:04:05Z"
    assert data["system"] == "Sample System 1.0"
    assert data["plan"]["source"] == "default"
    page = html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "Sample System 1.0" in page


def test_one_invalid_document_exits_1_and_lists_the_finding(run_cli: Run, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    shutil.copytree(VALID, folder)
    shutil.copy(INVALID / "hetu-wrong-check-char.json", folder / "bad.json")
    report = tmp_path / "r.json"
    result = _test(run_cli, folder, "--json", report)
    assert result.exit_code == 1, result.output
    assert "FAILED  valid-1.2.246.537.6.1506.19005" in result.output
    data = json.loads(report.read_text(encoding="utf-8"))
    failed = [c for c in data["cases"] if not c["passed"]]
    assert [c["id"] for c in failed] == ["valid-1.2.246.537.6.1506.19005"]
    bad = next(d for d in failed[0]["documents"] if d["source"] == "bad.json")
    assert "KA-HETU-INVALID" in {f["code"] for f in bad["findings"]}


def test_plan_requiring_an_absent_structure_exits_1(run_cli: Run, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    shutil.copy(VALID / "client-record-entry.json", folder)
    plan = tmp_path / "plan.toml"
    plan.write_text(
        '[plan]\ncases = []\n[[structures]]\noid = "1.2.246.537.6.1505.9"\n'
        'name = "Disclosure ban"\n',
        encoding="utf-8",
    )
    report = tmp_path / "r.json"
    result = _test(run_cli, folder, "--plan", plan, "--json", report)
    assert result.exit_code == 1
    data = json.loads(report.read_text(encoding="utf-8"))
    row = next(r for r in data["coverage"] if r["oid"] == "1.2.246.537.6.1505.9")
    assert row["covered"] is False and row["required"] is True
    assert data["plan"]["source"] == str(plan)


def _one_line_error(result: Result, text: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert text in lines[0]


def test_missing_folder_is_a_usage_error(run_cli: Run, tmp_path: Path) -> None:
    _one_line_error(_test(run_cli, tmp_path / "nope"), "no such folder")


def test_empty_folder_is_a_usage_error(run_cli: Run, tmp_path: Path) -> None:
    _one_line_error(_test(run_cli, tmp_path), "no documents found")


def test_bad_plan_file_is_a_usage_error(run_cli: Run, tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text('[plan]\ncases = ["teleport"]\n', encoding="utf-8")
    _one_line_error(_test(run_cli, VALID, "--plan", plan), "unknown case 'teleport'")
    plan.write_text("[plan\n", encoding="utf-8")
    _one_line_error(_test(run_cli, VALID, "--plan", plan), "not valid TOML")
    _one_line_error(_test(run_cli, VALID, "--plan", tmp_path / "none.toml"), "cannot read plan")


def test_bad_options_are_usage_errors(run_cli: Run, tmp_path: Path) -> None:
    _one_line_error(_test(run_cli, VALID, "--now", "yesterday"), "--now")
    _one_line_error(_test(run_cli, VALID, "--html", tmp_path / "no" / "r.html"), "does not exist")
    result = run_cli("commissioning-test", VALID, "--org", "1.2.x", "--system", "S")
    _one_line_error(result, "--org")


def test_no_report_written_on_usage_error(run_cli: Run, tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    result = _test(run_cli, tmp_path / "nope", "--json", report)
    assert result.exit_code == 2
    assert not report.exists()


def test_help_has_an_example(run_cli: Run) -> None:
    result = run_cli("commissioning-test", "--help")
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert "--plan" in result.output and "--now" in result.output
    assert "commissioning-test" in run_cli("--help").output
