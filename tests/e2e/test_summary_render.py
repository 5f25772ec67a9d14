"""The client data summary (kooste) as HTML: one self-contained page that renders in a real
browser, with contact data under a non-disclosure marking masked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from browser import assert_renders
from click.testing import Result

ROOT = Path(__file__).resolve().parents[2]
VALID = ROOT / "samples" / "valid"
PROTECTED_CLIENT = "140503A9759"  # customership-non-disclosure.json
CASE_CLIENT = "150612A904S"  # a case, two versions of a record entry, a client plan


def _summary_html(
    run_cli: Callable[..., Result], tmp_path: Path, client: str = PROTECTED_CLIENT
) -> Path:
    store = tmp_path / "archive"
    stored = run_cli("archive", VALID, "--store", store)
    assert stored.exit_code == 0, stored.output + stored.stderr
    summary = run_cli("summary", "--client", client, "--format", "html", "--store", store)
    assert summary.exit_code == 0, summary.output + summary.stderr
    page = tmp_path / "kooste.html"
    page.write_text(summary.output, encoding="utf-8")
    return page


def test_summary_html_masks_the_protected_contact_data(
    run_cli: Callable[..., Result], tmp_path: Path
) -> None:
    html = _summary_html(run_cli, tmp_path).read_text(encoding="utf-8")
    assert "Salakuja" not in html and "1234567" not in html
    assert "<script" not in html.lower() and "http://" not in html.replace("http://www.w3.org", "")


def test_summary_html_renders_in_headless_chromium(
    run_cli: Callable[..., Result], tmp_path: Path
) -> None:
    page = _summary_html(run_cli, tmp_path, CASE_CLIENT)
    html = page.read_text(encoding="utf-8")
    # service task 24 of code set 1221, named by the loaded set (it was 10 in the stand-ins)
    assert "Lapsiperheiden palvelut" in html and "1.2.246.10.91000013.31.101" in html
    assert_renders(page, tmp_path, "client-summary.png")
