"""The bundled samples: valid ones have no errors, invalid ones get exactly their expected findings.

Every invalid sample ``X`` has ``X.expected`` (JSON): the defect in one sentence and the exact
set of (code, severity, pointer) it must get. Documents that exist as JSON and XHTML must get
the same finding keys in both forms.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from kanta_archive.catalogue import CATALOGUE
from kanta_archive.findings import Finding, Severity, ValidationResult
from kanta_archive.validate import Validator

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
VALID = SAMPLES / "valid"
INVALID = SAMPLES / "invalid"

# Codes without an invalid sample, and why.
UNSAMPLED = {
    "KA-INPUT-TOO-LARGE": "tested with a generated file over the limit (test_hostile_input.py)",
    "KA-HETU-TEST": "a warning that every valid sample with a 900-999 test HETU gets",
    "KA-SIGNATURE-UNTRUSTED": "needs a trust anchor (validate --trust): test_signatures.py",
    "KA-CODE-DISPLAY": "a warning only, and an invalid sample has one error: test_rules.py",
    "KA-CODE-UNKNOWN": "no metadata field of model 2 uses a shipped complete code set: "
    "test_rules.py and test_codesets_cli.py (with a complete set), test_all_exports.py",
    "KA-LIMIT-MEMBERS": "200,000 members make a large file: test_input_limits.py generates it",
    "KA-LIMIT-FINDINGS": "1,000 findings make a large file: test_input_limits.py generates it",
}

CDA = VALID.parent / "cda"
VALID_FILES = sorted(p for p in VALID.iterdir() if p.suffix in {".json", ".xhtml"}) + sorted(
    (CDA / "valid").glob("*.xml")
)
INVALID_FILES = sorted(
    p
    for folder in (INVALID, CDA / "invalid")
    for p in folder.iterdir()
    if p.is_file() and p.suffix not in {".expected", ".md"}
)


def _stems(files: list[Path]) -> list[str]:
    json_stems = {p.stem for p in files if p.suffix == ".json"}
    return sorted(p.stem for p in files if p.suffix == ".xhtml" and p.stem in json_stems)


VALID_PAIRS = _stems(VALID_FILES)
INVALID_PAIRS = _stems(INVALID_FILES)
# The CDA twins (``<stem>.xml``) of the valid JSON samples; the two common-matter samples
# have none, because CDA has no element for the common matter (docs/cda.md).
CDA_TWINS = sorted(
    p.stem for p in VALID_FILES if p.suffix == ".xml" and (VALID / f"{p.stem}.json").exists()
)


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator()


@pytest.fixture(scope="module")
def results(validator: Validator) -> dict[Path, ValidationResult]:
    """Every sample validated once per module."""
    return {path: validator.validate_path(path) for path in VALID_FILES + INVALID_FILES}


def _expected(path: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads(
        path.with_name(path.name + ".expected").read_text(encoding="utf-8")
    )
    return data


def _keys(findings: tuple[Finding, ...]) -> set[tuple[str, str, str]]:
    return {f.key() for f in findings}


def test_there_are_enough_samples() -> None:
    assert len(VALID_FILES) >= 15
    assert len(INVALID_FILES) >= 30
    assert sum(p.suffix == ".xhtml" for p in INVALID_FILES) >= 8
    assert len(INVALID_PAIRS) >= 5


@pytest.mark.parametrize("path", VALID_FILES, ids=lambda p: p.name)
def test_valid_sample_has_no_errors(path: Path, results: dict[Path, ValidationResult]) -> None:
    result = results[path]
    errors = [f for f in result.findings if f.severity is Severity.ERROR]
    assert errors == []
    assert result.valid


@pytest.mark.parametrize("path", INVALID_FILES, ids=lambda p: p.name)
def test_invalid_sample_gets_exactly_its_expected_findings(
    path: Path, results: dict[Path, ValidationResult]
) -> None:
    expected = _expected(path)
    assert isinstance(expected["defect"], str) and expected["defect"]
    findings = expected["findings"]
    assert isinstance(findings, list)
    want = {(f["code"], f["severity"], f["pointer"]) for f in findings}
    result = results[path]
    assert _keys(result.findings) == want
    assert not result.valid


@pytest.mark.parametrize("path", INVALID_FILES, ids=lambda p: p.name)
def test_invalid_sample_has_exactly_one_defect(path: Path) -> None:
    """One defect, one error: the expected findings hold exactly one error."""
    findings = _expected(path)["findings"]
    assert isinstance(findings, list)
    assert len([f for f in findings if f["severity"] == "error"]) == 1


def test_every_expected_file_has_its_document() -> None:
    for expected in INVALID.glob("*.expected"):
        assert expected.with_suffix("").is_file(), expected.name


def test_every_catalogue_code_has_an_invalid_sample() -> None:
    """Fails when a new finding code gets no invalid sample."""
    covered: set[str] = set()
    for path in INVALID_FILES:
        findings = _expected(path)["findings"]
        assert isinstance(findings, list)
        covered |= {f["code"] for f in findings}
    missing = {info.code for info in CATALOGUE} - covered - set(UNSAMPLED)
    assert missing == set()
    assert set(UNSAMPLED) <= {info.code for info in CATALOGUE}


def test_readme_lists_every_invalid_sample() -> None:
    for path in INVALID_FILES:
        folder = CDA if path.parent == CDA / "invalid" else path.parent
        assert f"`{path.name}`" in (folder / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("stem", VALID_PAIRS)
def test_valid_json_and_xhtml_twins_get_the_same_finding_keys(
    stem: str, results: dict[Path, ValidationResult]
) -> None:
    json_result = results[VALID / f"{stem}.json"]
    xhtml_result = results[VALID / f"{stem}.xhtml"]
    assert _keys(json_result.findings) == _keys(xhtml_result.findings)


@pytest.mark.parametrize("stem", INVALID_PAIRS)
def test_invalid_json_and_xhtml_twins_get_the_same_finding_keys(
    stem: str, results: dict[Path, ValidationResult]
) -> None:
    json_result = results[INVALID / f"{stem}.json"]
    xhtml_result = results[INVALID / f"{stem}.xhtml"]
    assert _keys(json_result.findings)
    assert _keys(json_result.findings) == _keys(xhtml_result.findings)


@pytest.mark.parametrize("stem", CDA_TWINS)
def test_valid_json_and_cda_twins_get_the_same_finding_keys(
    stem: str, results: dict[Path, ValidationResult]
) -> None:
    assert _keys(results[VALID / f"{stem}.json"].findings) == _keys(
        results[CDA / "valid" / f"{stem}.xml"].findings
    )


def test_every_valid_json_sample_without_a_common_matter_has_a_cda_twin() -> None:
    stems = {p.stem for p in VALID_FILES if p.suffix == ".json"}
    common = {
        s
        for s in stems
        if "common_matter_oid"
        in json.loads((VALID / f"{s}.json").read_text(encoding="utf-8"))["metadata"]
    }
    assert common and set(CDA_TWINS) == stems - common


def test_every_valid_json_sample_has_an_xhtml_twin() -> None:
    assert {p.stem for p in VALID_FILES if p.suffix == ".json"} == set(VALID_PAIRS)


@pytest.mark.parametrize(
    "path", [p for p in VALID_FILES + INVALID_FILES if p.suffix == ".xhtml"], ids=lambda p: p.name
)
def test_xhtml_finding_lines_are_one_based(
    path: Path, results: dict[Path, ValidationResult]
) -> None:
    for finding in results[path].findings:
        if finding.location.line is not None:
            assert finding.location.line >= 1, finding


def _parseable_json(path: Path) -> bool:
    if path.suffix != ".json":
        return False
    if path.parent == VALID:
        return True
    findings = _expected(path)["findings"]
    assert isinstance(findings, list)
    return not any(f["code"].startswith(("KA-INPUT-", "KA-JSON-")) for f in findings)


@pytest.mark.parametrize(
    "path", [p for p in VALID_FILES + INVALID_FILES if _parseable_json(p)], ids=lambda p: p.name
)
def test_json_findings_of_parseable_documents_have_line_and_column(
    path: Path, results: dict[Path, ValidationResult]
) -> None:
    result = results[path]
    assert result.format == "json"
    for finding in result.findings:
        assert finding.location.line is not None and finding.location.line >= 1, finding
        assert finding.location.column is not None and finding.location.column >= 1, finding


def test_samples_build_check_passes() -> None:
    """``samples/build.py --check``: every invalid file is derived or listed as static, and
    the README table is the ``.expected`` files' (the script rebuilds what this checks)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("samples_build", SAMPLES / "build.py")
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = build  # its dataclasses look their module up
    try:
        spec.loader.exec_module(build)
    finally:
        del sys.modules[spec.name]
    assert build.check() == []
