"""Headless Chromium for tests that check an HTML page renders (Debian's ``chromium``).

``make browser`` installs it and ``make test`` depends on it. Without it a rendering test
fails with that advice; it is never skipped silently.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

OUTPUT = Path(__file__).resolve().parent / "output"
WIDTH, HEIGHT = 1280, 1600
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chromium() -> str:
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


def screenshot(chromium: str, page: Path, work: Path) -> Path:
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


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
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


def png_facts(path: Path) -> tuple[int, int, int]:
    """(width, height, distinct byte values in the decompressed image data)."""
    chunks = png_chunks(path.read_bytes())
    assert chunks[0][0] == b"IHDR", "PNG does not start with IHDR"
    width, height = struct.unpack(">II", chunks[0][1][:8])
    pixels = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    return width, height, len(set(pixels))


def assert_renders(page: Path, work: Path, keep_as: str) -> Path:
    """Screenshot ``page``, check it is a real rendering (not blank), keep a copy in
    ``tests/output/<keep_as>`` and return that path."""
    browser = chromium()
    shot_dir = work / "shot"
    shot_dir.mkdir()
    png = screenshot(browser, page, shot_dir)
    width, height, distinct = png_facts(png)
    assert (width, height) == (WIDTH, HEIGHT)
    # A blank page of the same size, for comparison: a rendered page is much larger.
    empty = work / "empty.html"
    empty.write_text("<!DOCTYPE html><html><body></body></html>\n", encoding="utf-8")
    empty_dir = work / "empty"
    empty_dir.mkdir()
    blank = screenshot(browser, empty, empty_dir)
    _, _, blank_distinct = png_facts(blank)
    assert png.stat().st_size > 5 * blank.stat().st_size, (
        f"screenshot ({png.stat().st_size} bytes) is not much larger than a blank page "
        f"({blank.stat().st_size} bytes): the page did not render"
    )
    assert distinct > 4 * max(blank_distinct, 1)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    kept = OUTPUT / keep_as
    shutil.copyfile(png, kept)
    print(f"screenshot: {kept}")
    return kept
