"""One real ``kanta-archive`` subprocess run: archive, then query --format json."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

VALID = Path(__file__).resolve().parents[2] / "samples" / "valid"


def _cli() -> list[str]:
    script = Path(sys.executable).parent / "kanta-archive"
    return [str(script)] if script.exists() else [sys.executable, "-m", "kanta_archive.cli.main"]


def test_archive_then_query_json(tmp_path: Path) -> None:
    store = tmp_path / "archive"
    inputs = [VALID / "client-record-entry.json", VALID / "client-record-entry-v2.json"]
    archived = subprocess.run(
        [*_cli(), "archive", *map(str, inputs), "--store", str(store)],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert archived.returncode == 0, archived.stderr.decode()
    assert b"2 stored" in archived.stdout
    queried = subprocess.run(
        [*_cli(), "query", "--client", "150612A904S", "--format", "json", "--store", str(store)],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert queried.returncode == 0, queried.stderr.decode()
    payload = json.loads(queried.stdout)
    assert payload["total"] == 1
    assert payload["documents"][0]["document_oid"] == "1.2.246.10.91000013.11.2001.2"
    assert payload["documents"][0]["effective_time"].startswith("2024-06-12T")
