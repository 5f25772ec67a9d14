"""Writing output where it cannot be written: one ``Error:`` line, exit 2, no traceback,
nothing left behind (issue 15)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
DOC = SAMPLES / "valid" / "case-document-open.json"
KEY = SAMPLES / "keys" / "TEST-ONLY-signing-key.pem"
CERT = SAMPLES / "keys" / "TEST-ONLY-signing-cert.pem"
SET = "1.2.246.10.91000013.11.1001"

Run = Callable[..., Result]

COMMANDS: dict[str, Callable[[Path, Path], list[str | Path]]] = {
    "archive": lambda out, _store: ["archive", DOC, "--store", out],
    "orgs import": lambda out, _store: ["orgs", "import", SAMPLES / "orgs.csv", "--store", out],
    "samples generate": lambda out, _store: [
        "samples",
        "generate",
        "--structure",
        "1.2.246.537.6.1506.19005",
        "--count",
        "1",
        "--out",
        out,
    ],
    "schemas docs": lambda out, _store: ["schemas", "docs", "--out", out],
    "render -o": lambda out, _store: ["render", DOC, "--to", "xhtml", "-o", out],
    "sign -o": lambda out, _store: ["sign", DOC, "--key", KEY, "--cert", CERT, "-o", out],
    "export --to": lambda out, store: ["export", SET, "--to", out, "--store", store],
    "commissioning-test --json": lambda out, _store: [
        "commissioning-test",
        SAMPLES / "valid",
        "--org",
        "1.2.246.10.91000013",
        "--system",
        "X 1",
        "--json",
        out,
    ],
}


@pytest.fixture
def store(run_cli: Run, tmp_path: Path) -> Path:
    store = tmp_path / "store"
    assert run_cli("archive", DOC, "--store", store).exit_code == 0
    return store


def _places(tmp_path: Path) -> list[Path]:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    places = [blocker / "out"]  # a file in the way
    if Path("/proc/self").is_dir():
        places.append(Path("/proc/kanta-archive-test-out"))  # a file system refusing it
    return places


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_an_unwritable_output_is_one_error_line_and_exit_2(
    run_cli: Run, tmp_path: Path, store: Path, command: str
) -> None:
    for place in _places(tmp_path):
        result = run_cli(*COMMANDS[command](place, store))
        assert result.exit_code == 2, (place, result.output)
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 and str(place.parent) in errors[0], result.stderr
        assert "Traceback" not in result.output
        assert not place.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "store"]
