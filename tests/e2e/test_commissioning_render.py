"""The commissioning-test HTML report renders in a real browser (headless Chromium).

The screenshot is kept in ``tests/output/commissioning-report.png`` (gitignored) for people
to look at; see tests/browser.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from browser import assert_renders

ROOT = Path(__file__).resolve().parents[2]
VALID = ROOT / "samples" / "valid"


def _report(work: Path) -> Path:
    html = work / "report.html"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kanta_archive.cli.main",
            "commissioning-test",
            str(VALID),
            "--org",
            "1.2.246.10.91000013",
            "--system",
            "Sample System 1.0",
            "--html",
            str(html),
            "--now",
            "2025-01-02T03:04:05Z",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return html


def test_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    assert_renders(_report(tmp_path), tmp_path, "commissioning-report.png")
