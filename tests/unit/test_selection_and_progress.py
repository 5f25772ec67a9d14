"""--select/--ignore and [tool.kanta-archive] settings, and the progress estimate."""

from __future__ import annotations

from pathlib import Path

import pytest

from kanta_archive.config import project_settings
from kanta_archive.errors import UsageError
from kanta_archive.findings import Finding, Location, Severity, ValidationResult
from kanta_archive.progress import RateEstimate
from kanta_archive.selection import FindingSelection


def _result(*codes: str) -> ValidationResult:
    findings = tuple(Finding(c, Severity.ERROR, "m", Location()) for c in codes)
    return ValidationResult("doc.json", findings)


def test_ignore_drops_a_code_and_the_document_passes() -> None:
    result = FindingSelection.of(ignore=["KA-HETU-TEST"]).apply(_result("KA-HETU-TEST"))
    assert result.findings == () and result.valid


def test_select_keeps_only_matching_codes_and_a_prefix_matches() -> None:
    selection = FindingSelection.of(select=["KA-SIGNATURE-*"])
    kept = selection.apply(_result("KA-HETU-TEST", "KA-SIGNATURE-INVALID"))
    assert [f.code for f in kept.findings] == ["KA-SIGNATURE-INVALID"]


def test_ignore_wins_over_select() -> None:
    selection = FindingSelection.of(select=["KA-*"], ignore=["ka-hetu-test"])
    assert selection.apply(_result("KA-HETU-TEST")).findings == ()


@pytest.mark.parametrize("pattern", ["KA-NO-SUCH-CODE", "XX-*"])
def test_a_pattern_that_names_no_code_is_a_usage_error(pattern: str) -> None:
    with pytest.raises(UsageError, match="no finding code matches"):
        FindingSelection.of(ignore=[pattern])


def test_settings_come_from_the_nearest_pyproject_with_the_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.kanta-archive]\nignore = ["KA-HETU-TEST"]\nfail-on = "warning"\n', encoding="utf-8"
    )
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    (tmp_path / "a" / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    settings = project_settings(start=nested)
    assert settings.ignore == ("KA-HETU-TEST",) and settings.fail_on == "warning"
    assert settings.source == tmp_path / "pyproject.toml"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[tool.kanta-archive]\nignor = []\n", "unknown key 'ignor'"),
        ("[tool.kanta-archive]\nignore = 'KA-HETU-TEST'\n", "list of strings"),
        ("[tool.kanta-archive]\nfail-on = 'info'\n", "fail-on"),
        ("[tool.kanta-archive\n", "not valid TOML"),
    ],
)
def test_bad_settings_are_usage_errors(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(UsageError, match=message):
        project_settings(path)


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_estimate_ignores_the_start_up_of_the_workers() -> None:
    """10 s to start the workers, then 300 documents a second in bursts of 64: the run ends
    at about 43 s. Over the whole run so far (elapsed / done) the first estimate would be
    10 s per 64 documents, 26 minutes; the recent rate says about half a minute."""
    clock = _Clock()
    eta = RateEstimate(10_000, clock=clock)
    clock.now = 10.0
    done = 0
    while clock.now < 15.0:
        eta.done(64)
        done += 64
        clock.now += 64 / 300
    left = eta.remaining()
    assert left is not None
    truth = (10_000 - done) / 300
    assert 0.7 * truth <= left <= 1.3 * truth
    assert eta.label().startswith("ETA 0:")


def test_no_estimate_before_two_completions() -> None:
    clock = _Clock()
    eta = RateEstimate(100, clock=clock)
    assert eta.remaining() is None and eta.label() == ""
    eta.done()
    assert eta.remaining() is None
