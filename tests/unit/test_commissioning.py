"""Commissioning tests: plan loading, the runner's cases, coverage and the two renderers."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from kanta_archive.commissioning import (
    CASES,
    CommissioningReport,
    PlanError,
    load_plan,
    loads_plan,
    render_html,
    render_json,
    report_to_dict,
    run_commissioning,
)
from kanta_archive.commissioning.report import format_time
from kanta_archive.errors import UsageError

ROOT = Path(__file__).resolve().parents[2]
VALID = ROOT / "samples" / "valid"
INVALID = ROOT / "samples" / "invalid"
ORG = "1.2.246.10.91000013"
NOW = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
CRE = "1.2.246.537.6.1506.19005"  # client record entry (meeting or contact)
CUSTOMERSHIP, CASE = "1.2.246.537.6.1505.1", "1.2.246.537.6.1505.2"


def _run(
    folder: Path, plan_text: str | None = None, system: str = "Sample System 1.0"
) -> CommissioningReport:
    plan = loads_plan(plan_text, "test.toml") if plan_text else load_plan()
    return run_commissioning(folder, plan, organisation_oid=ORG, system=system, now=NOW)


@pytest.fixture(scope="module")
def samples_report() -> CommissioningReport:
    return _run(VALID)


def _case(report: CommissioningReport, case_id: str) -> object:
    return next(c for c in report.cases if c.id == case_id)


# ---------------------------------------------------------------------- plans


def test_default_plan_is_bundled_and_asks_for_every_case() -> None:
    plan = load_plan()
    assert plan.source == "default"
    assert [s.oid for s in plan.structures] == [
        CUSTOMERSHIP,
        CASE,
        CRE,
    ]
    assert set(plan.cases) == set(CASES)
    assert plan.case_ids()[0] == f"valid-{CUSTOMERSHIP}"


def test_plan_with_version_and_subset_of_cases_keeps_run_order() -> None:
    plan = loads_plan(
        '[plan]\nname = "X"\ncases = ["invalidation", "new-version"]\n'
        f'[[structures]]\noid = "{CRE}"\nversion = "2024-06-01"\n'
    )
    assert plan.name == "X"
    assert plan.cases == ("new-version", "invalidation")
    assert plan.structures[0].version == "2024-06-01"


def test_plan_from_file(tmp_path: Path) -> None:
    path = tmp_path / "plan.toml"
    path.write_text(f'[[structures]]\noid = "{CRE}"\n', encoding="utf-8")
    plan = load_plan(path)
    assert plan.source == str(path)
    assert plan.cases == CASES  # no [plan] table: every case


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x = ", "not valid TOML"),
        ("colour = 1\n", "unknown key in the plan file: colour"),
        ('[plan]\ncases = ["teleport"]\n', "unknown case 'teleport'"),
        ("[plan]\ncases = 'new-version'\n", "must be a list"),
        ('[[structures]]\noid = "1.02.3"\n', "leading zero"),
        ('[[structures]]\nname = "no oid"\n', "oid must be a non-empty string"),
        (f'[[structures]]\noid = "{CRE}"\ncolor = 1\n', "unknown key in [[structures]] #1"),
        (f'[[structures]]\noid = "{CRE}"\n[[structures]]\noid = "{CRE}"\n', "listed twice"),
        ("[plan]\ncases = []\n", "asks for nothing"),
        ("structures = 3\n", "array of tables"),
    ],
)
def test_bad_plans_are_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(PlanError, match=r"^test\.toml: ") as info:
        loads_plan(text, "test.toml")
    assert message in str(info.value)
    assert isinstance(info.value, UsageError)


def test_unreadable_plan_file(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="cannot read plan"):
        load_plan(tmp_path / "missing.toml")
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b'[plan]\nname = "\xe4"\n')
    with pytest.raises(PlanError, match="not UTF-8"):
        load_plan(latin)


# ---------------------------------------------------------------------- the bundled samples


def test_bundled_valid_samples_pass_every_case(samples_report: CommissioningReport) -> None:
    report = samples_report
    assert report.passed, [(c.id, c.message, c.steps) for c in report.failed_cases]
    ids = [c.id for c in report.cases]
    for case_id in CASES:
        assert case_id in ids
    assert report.generated_at == "2025-03-04T05:06:07Z"
    assert report.organisation_oid == ORG
    assert all(row.covered for row in report.coverage)
    required = [row.oid for row in report.coverage if row.required]
    assert required == [CUSTOMERSHIP, CASE, CRE]
    assert {(s.oid, s.version) for s in report.schemas} >= {(CRE, "2022-01-10")}


def test_cases_record_their_documents_and_steps(samples_report: CommissioningReport) -> None:
    new_version = _case(samples_report, "new-version")
    sources = {d.source for d in new_version.documents}  # type: ignore[attr-defined]
    assert {"client-record-entry.json", "client-record-entry-v2.json"} <= sources
    assert any("v1, v2" in s for s in new_version.steps)  # type: ignore[attr-defined]

    invalidation = _case(samples_report, "invalidation")
    assert all(s.startswith("ok:") for s in invalidation.steps)  # type: ignore[attr-defined]

    temporary = _case(samples_report, "temporary-id")
    assert any(
        "1.2.246.10.91000021.22.2024.3" in s
        for s in temporary.steps  # type: ignore[attr-defined]
    )

    non_disclosure = _case(samples_report, "non-disclosure")
    text = " ".join(non_disclosure.steps)  # type: ignore[attr-defined]
    assert "/asiakkuusasiakirja/asiakas/yhteystiedot" in text
    assert "masking" in non_disclosure.message  # type: ignore[attr-defined]


def test_invalidation_picks_a_set_no_other_case_used(
    samples_report: CommissioningReport,
) -> None:
    used = {
        d.set_oid
        for c in samples_report.cases
        if c.id in ("new-version", "common-matter", "temporary-id", "non-disclosure")
        for d in c.documents
    }
    invalidated = _case(samples_report, "invalidation").documents  # type: ignore[attr-defined]
    assert invalidated and invalidated[0].set_oid not in used


# ---------------------------------------------------------------------- failures


def test_one_invalid_document_fails_its_case_with_its_finding(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    shutil.copytree(VALID, folder)
    shutil.copy(INVALID / "hetu-wrong-check-char.json", folder / "bad.json")
    report = _run(folder)
    assert not report.passed
    failed = [c.id for c in report.failed_cases]
    assert failed == [f"valid-{CRE}"]
    case = report.failed_cases[0]
    bad = next(d for d in case.documents if d.source == "bad.json")
    assert not bad.valid
    assert bad.archived is None
    assert "KA-HETU-INVALID" in {f.code for f in bad.findings}
    assert "1 of 11 document(s)" in case.message
    # The other cases still ran on the valid documents.
    assert _case(report, "new-version").passed  # type: ignore[attr-defined]


def test_unreadable_document_outside_the_plan_fails_valid_other(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    shutil.copytree(VALID, folder)
    (folder / "broken.json").write_text("{", encoding="utf-8")
    report = _run(folder)
    assert [c.id for c in report.failed_cases] == ["valid-other"]
    broken = report.failed_cases[0].documents
    assert any(d.source == "broken.json" and not d.valid for d in broken)


def test_structure_required_but_absent_fails_coverage_and_case(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    shutil.copy(VALID / "client-record-entry.json", folder)
    plan = (
        '[plan]\ncases = []\n[[structures]]\noid = "1.2.246.537.6.1505.8"\n'
        f'name = "Disclosure consent"\n[[structures]]\noid = "{CRE}"\n'
    )
    report = _run(folder, plan)
    assert [c.id for c in report.failed_cases] == ["valid-1.2.246.537.6.1505.8"]
    assert "no document of structure" in report.failed_cases[0].message
    rows = {row.oid: row for row in report.coverage}
    assert not rows["1.2.246.537.6.1505.8"].covered
    assert rows["1.2.246.537.6.1505.8"].documents == 0
    assert rows[CRE].covered


def test_required_version_not_found(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    shutil.copy(VALID / "client-record-entry.json", folder)
    plan = f'[plan]\ncases = []\n[[structures]]\noid = "{CRE}"\nversion = "2030-01-01"\n'
    report = _run(folder, plan)
    assert not report.passed
    assert "version 2030-01-01" in report.cases[0].message
    assert report.coverage[0].found_versions == ("2022-01-10",)


def test_missing_phase2_documents_fail_their_cases(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    shutil.copy(VALID / "client-record-entry.json", folder)
    report = _run(folder, f'[[structures]]\noid = "{CRE}"\n')
    failed = {c.id: c.message for c in report.failed_cases}
    assert set(failed) == {"new-version", "common-matter", "temporary-id", "non-disclosure"}
    assert _case(report, "invalidation").passed  # type: ignore[attr-defined]


def test_usage_errors(tmp_path: Path) -> None:
    plan = load_plan()
    with pytest.raises(UsageError, match="no such folder"):
        run_commissioning(tmp_path / "nope", plan, organisation_oid=ORG, system="S")
    with pytest.raises(UsageError, match="no documents found"):
        run_commissioning(tmp_path, plan, organisation_oid=ORG, system="S")
    with pytest.raises(UsageError, match="--org"):
        run_commissioning(VALID, plan, organisation_oid="1.2.x", system="S")
    with pytest.raises(UsageError, match="--system"):
        run_commissioning(VALID, plan, organisation_oid=ORG, system=" ")


def test_format_time_is_utc_with_z() -> None:
    helsinki = timezone(timedelta(hours=3))
    assert format_time(datetime(2025, 6, 1, 12, 0, tzinfo=helsinki)) == "2025-06-01T09:00:00Z"
    assert format_time(datetime(2025, 6, 1, 12, 0)) == "2025-06-01T12:00:00Z"


# ---------------------------------------------------------------------- renderers


def test_json_report_shape_and_determinism(samples_report: CommissioningReport) -> None:
    text = render_json(samples_report)
    assert text == render_json(samples_report)
    data = json.loads(text)
    assert data["result"] == "passed"
    assert data["organisation_oid"] == ORG
    assert data["system"] == "Sample System 1.0"
    assert data["tool"]["name"] == "kanta-archive"
    assert data["generated_at"] == "2025-03-04T05:06:07Z"
    assert data["summary"]["failed"] == 0
    assert {c["id"] for c in data["cases"]} >= set(CASES)
    case = data["cases"][0]
    assert set(case) >= {"id", "passed", "message", "documents", "steps"}
    assert "findings" in case["documents"][0]
    assert data["coverage"][0]["covered"] is True
    assert report_to_dict(samples_report) == data
    assert "kanta-commissioning-" not in text  # no scratch paths leak into the report


def test_same_input_gives_the_same_report_bytes(samples_report: CommissioningReport) -> None:
    again = _run(VALID)
    assert render_json(again) == render_json(samples_report)
    assert render_html(again) == render_html(samples_report)


def test_html_is_self_contained_and_escaped(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    shutil.copy(VALID / "client-record-entry.json", folder / "<img onerror=alert(1)>.json")
    hostile = '<script>alert("x")</script> & "Vendor"'
    report = _run(folder, f'[plan]\ncases = []\n[[structures]]\noid = "{CRE}"\n', hostile)
    page = render_html(report)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page.lower()
    assert "<img" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;Vendor&quot;" in page
    assert "&lt;img onerror=alert(1)&gt;.json" in page
    for external in ("<link", "src=", "href=", "@import", "url("):
        assert external not in page
    assert "<style>" in page


def test_html_shows_failures_open(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    shutil.copy(INVALID / "hetu-wrong-check-char.json", folder / "bad.json")
    report = _run(folder, f'[plan]\ncases = []\n[[structures]]\noid = "{CRE}"\n')
    page = render_html(report)
    assert "FAILED" in page
    assert "<details open>" in page
    assert "KA-HETU-INVALID" in page
