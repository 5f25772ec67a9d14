"""Archiving a large folder in bounded memory: files are validated in a first pass and
stored a chunk at a time in a second, with the same rules and outcomes as a small batch."""

from __future__ import annotations

import json
import shutil
import tracemalloc
from pathlib import Path

import pytest

from kanta_archive.archive import Archive, IngestReport
from kanta_archive.index import Query

VALID = Path(__file__).resolve().parents[2] / "samples" / "valid"
STRUCTURE = "1.2.246.537.6.1506.19005"
EVERYTHING = Query(limit=10_000, patient_data=None, include_invalidated=True, all_versions=True)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    from click.testing import CliRunner

    from kanta_archive.cli.main import cli

    out = tmp_path_factory.mktemp("generated")
    args = ["samples", "generate", "--structure", STRUCTURE, "--count", "300", "--seed", "5"]
    result = CliRunner().invoke(cli, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return sorted(out.glob("*.json"))


def outcome(report: IngestReport) -> list[tuple[str, str | None, str | None]]:
    return [(i.status, i.document_oid, i.reason) for i in report.items]


def test_a_batch_in_chunks_has_the_outcome_of_one_batch(
    tmp_path: Path, generated: list[Path]
) -> None:
    with Archive.open(tmp_path / "one", create=True) as whole:
        expected = whole.ingest(generated, partial=True)
    with Archive.open(tmp_path / "chunks", create=True) as chunked:
        report = chunked.ingest(generated, partial=True, chunk=16)
        assert outcome(report) == outcome(expected)
        assert report.count("stored") > 200
        assert chunked.query(EVERYTHING).total == report.count("stored")


def test_versions_in_chunks_land_in_order_whatever_the_file_names(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(VALID / "client-record-entry-v2.json", folder / "a-second.json")
    shutil.copy(VALID / "client-record-entry.json", folder / "z-first.json")
    for name in ("case-document-open.json", "case-document-closed.json"):
        shutil.copy(VALID / name, folder / f"m-{name}")
    paths = sorted(folder.iterdir())
    with Archive.open(tmp_path / "archive", create=True) as archive:
        report = archive.ingest(paths, chunk=1)
        assert [i.status for i in report.items] == ["stored"] * 4, outcome(report)


def test_one_invalid_file_in_a_chunked_batch_stores_nothing(
    tmp_path: Path, generated: list[Path]
) -> None:
    bad = tmp_path / "zz-bad.json"
    bad.write_text('{"metadata": {}, "content": {}}', encoding="utf-8")
    firsts = [p for p in generated if json.loads(p.read_bytes())["metadata"]["version"] == 1]
    with Archive.open(tmp_path / "archive", create=True) as archive:
        report = archive.ingest([*firsts[:40], bad], chunk=8)
        assert report.count("stored") == 0 and len(report.invalid) == 1
        assert "invalid" in (report.items[0].reason or "")
        assert archive.query(EVERYTHING).total == 0


def test_a_file_that_changes_between_the_passes_is_refused_alone(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    names = ["case-document-open.json", "case-document-closed.json", "client-record-entry.json"]
    for name in names:
        shutil.copy(VALID / name, folder / name)
    paths = sorted(folder.iterdir())
    broken = False

    def progress(_n: int) -> None:  # after the first pass, damage one file
        nonlocal broken
        if not broken and calls.append(1) is None and len(calls) == len(paths):
            paths[-1].write_text("{", encoding="utf-8")
            broken = True

    calls: list[int] = []
    with Archive.open(tmp_path / "archive", create=True) as archive:
        report = archive.ingest(paths, chunk=1, progress=progress)
        assert [i.status for i in report.items] == ["stored", "stored", "refused"]
        assert "changed" in (report.items[-1].reason or "")


def _peak(paths: list[Path], store: Path, chunk: int) -> int:
    with Archive.open(store, create=True) as archive:
        archive.validator.validate_path(paths[0])  # compile the schemas outside the trace
        tracemalloc.start()
        try:
            archive.ingest(paths, partial=True, chunk=chunk)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


def test_a_chunked_batch_holds_one_chunk_of_documents_not_the_whole_batch(
    tmp_path: Path, generated: list[Path]
) -> None:
    def growth(chunk: int) -> int:
        """How much more memory 200 more documents take (the fixed costs cancel out)."""
        small = _peak(generated[:100], tmp_path / f"small-{chunk}", chunk)
        large = _peak(generated[:300], tmp_path / f"large-{chunk}", chunk)
        return large - small

    whole, chunked = growth(len(generated)), growth(10)
    assert chunked * 5 < whole, (chunked, whole)
