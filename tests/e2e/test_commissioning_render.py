"""The commissioning-test HTML report renders in a real browser (headless Chromium).

Chromium comes from Debian's ``chromium`` package; ``make browser`` installs it (and
``make test`` depends on it). Without it this test fails: it is not skipped silently.
The screenshot is kept in ``tests/output/commissioning-report.png`` (gitignored) for people
to look at.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VALID = ROOT / "samples" / "valid"
OUTPUT = ROOT / "tests" / "output"
WIDTH, HEIGHT = 1280, 1600
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and Path("/usr/bin/chromium").exists():
        found = "/usr/bin/chromium"
    if found is None:
        pytest.fail(
            "chromium is not installed, so the HTML report cannot be rendered: "
            "run `make browser` (installs Debian's chromium package)",
            pytrace=False,
        )
    return found


def _screenshot(chromium: str, page: Path, work: Path) -> Path:
    profile = work / "profile"
    png = work / "report.png"
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--window-size={WIDTH},{HEIGHT}",
        f"--screenshot={png}",
        page.as_uri(),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert png.is_file(), f"chromium wrote no screenshot: {result.stderr[-2000:]}"
    return png


def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:8] == PNG_SIGNATURE, "not a PNG file"
    chunks: list[tuple[bytes, bytes]] = []
    offset = 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in PNG chunk {kind!r}"
        chunks.append((kind, body))
        offset += 12 + length
        if kind == b"IEND":
            break
    return chunks


def _png_facts(path: Path) -> tuple[int, int, int]:
    """(width, height, distinct byte values in the decompressed image data)."""
    chunks = _png_chunks(path.read_bytes())
    assert chunks[0][0] == b"IHDR", "PNG does not start with IHDR"
    width, height = struct.unpack(">II", chunks[0][1][:8])
    pixels = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    return width, height, len(set(pixels))


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
    chromium = _chromium()
    html = _report(tmp_path)

    report_dir = tmp_path / "report"
    report_dir.mkdir()
    png = _screenshot(chromium, html, report_dir)
    width, height, distinct = _png_facts(png)
    assert (width, height) == (WIDTH, HEIGHT)

    # A blank page of the same size, for comparison: a rendered report is much larger.
    empty = tmp_path / "empty.html"
    empty.write_text("<!DOCTYPE html><html><body></body></html>\n", encoding="utf-8")
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    blank = _screenshot(chromium, empty, empty_dir)
    blank_width, blank_height, blank_distinct = _png_facts(blank)
    assert (blank_width, blank_height) == (WIDTH, HEIGHT)
    assert png.stat().st_size > 5 * blank.stat().st_size, (
        f"report screenshot ({png.stat().st_size} bytes) is not much larger than a blank "
        f"page ({blank.stat().st_size} bytes): the report did not render"
    )
    assert distinct > 4 * max(blank_distinct, 1)

    OUTPUT.mkdir(parents=True, exist_ok=True)
    kept = OUTPUT / "commissioning-report.png"
    shutil.copyfile(png, kept)
    print(f"commissioning report screenshot: {kept}")
