"""Several writers on one store: a document another writer stored between this writer's
plan and its commit costs only that document; the rest of the batch is stored."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from kanta_archive.archive import Archive
from kanta_archive.index import Query
from kanta_archive.store import MAX_BATCH

STRUCTURE = "1.2.246.537.6.1506.19005"
COUNT = MAX_BATCH + 8  # two commit chunks: the other writer acts between them


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    from click.testing import CliRunner

    from kanta_archive.cli.main import cli

    out = tmp_path_factory.mktemp("generated")
    args = ["samples", "generate", "--structure", STRUCTURE, "--count", str(COUNT * 3 // 2)]
    result = CliRunner().invoke(cli, [*args, "--seed", "11", "--out", str(out)])
    assert result.exit_code == 0, result.output
    # first versions only: every one is a new set, so all are stored in one round
    firsts = [
        p
        for p in sorted(out.glob("*.json"))
        if json.loads(p.read_bytes())["metadata"]["version"] == 1
    ]
    assert len(firsts) >= COUNT
    return firsts[:COUNT]


def after_first_chunk(total: int, act: Callable[[], None]) -> Callable[[int], None]:
    """A progress callback that calls ``act`` once, right after the first commit chunk."""
    done: list[int] = []

    def progress(n: int) -> None:
        done.append(n)
        if sum(done) > total and len(done) == total + 1:
            act()

    return progress


def test_a_document_another_writer_stored_meanwhile_is_unchanged_and_the_batch_goes_on(
    tmp_path: Path, generated: list[Path]
) -> None:
    store = tmp_path / "archive"
    last = generated[-1]
    with Archive.open(store, create=True) as writer, Archive.open(store) as other:
        progress = after_first_chunk(len(generated), lambda: other.ingest([last]))
        report = writer.ingest(generated, progress=progress)
        item = report.items[-1]
        assert (item.status, item.reason) == ("unchanged", "stored by another writer meanwhile")
        assert report.count("stored") == COUNT - 1 and report.ok
        everything = Query(limit=10_000, patient_data=None, include_invalidated=True)
        assert writer.query(everything).total == COUNT


def test_a_different_document_another_writer_stored_meanwhile_is_refused_alone(
    tmp_path: Path, generated: list[Path]
) -> None:
    store = tmp_path / "archive"
    last = generated[-1]
    data = json.loads(last.read_bytes())
    data["metadata"]["title"] = "Toisen kirjoittajan versio"
    rival = tmp_path / "rival.json"
    rival.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with Archive.open(store, create=True) as writer, Archive.open(store) as other:
        progress = after_first_chunk(len(generated), lambda: other.ingest([rival]))
        report = writer.ingest(generated, progress=progress)
        item = report.items[-1]
        assert item.status == "refused" and "another writer" in (item.reason or "")
        assert report.count("stored") == COUNT - 1
        shown = writer.show(data["metadata"]["document_oid"])
        assert shown.metadata["title"] == "Toisen kirjoittajan versio"


def _next_version(path: Path, out: Path) -> Path:
    """Version 2 of the (unsigned) document at ``path``, written to ``out``."""
    data = json.loads(path.read_bytes())
    meta = data["metadata"]
    meta["previous_version_oid"] = meta["document_oid"]
    meta["document_oid"] = f"{meta['set_oid']}.999"
    meta["version"] = 2
    meta["title"] = f"{meta['title']} (korjattu)"
    out.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return out


def test_a_later_version_is_stored_when_another_writer_stored_the_same_earlier_one(
    tmp_path: Path, generated: list[Path]
) -> None:
    # Two identical archive runs at once (issue 15): the run that loses the race for
    # version 1 still stores nothing twice and refuses nothing; its version 2 follows
    # the version 1 the other writer stored, which is byte for byte its own.
    store = tmp_path / "archive"
    unsigned = [p for p in generated if "signature" not in json.loads(p.read_bytes())]
    first = unsigned[-1]
    batch = [p for p in generated if p != first] + [first]
    second = _next_version(first, tmp_path / "v2.json")
    with Archive.open(store, create=True) as writer, Archive.open(store) as other:
        progress = after_first_chunk(len(batch) + 1, lambda: other.ingest([first]))
        report = writer.ingest([*batch, second], progress=progress)
        by_path = {Path(item.source).name: item for item in report.items}
        assert (by_path[first.name].status, by_path[first.name].reason) == (
            "unchanged",
            "stored by another writer meanwhile",
        )
        assert by_path["v2.json"].status == "stored", by_path["v2.json"].reason
        assert report.ok
        set_oid = json.loads(second.read_bytes())["metadata"]["set_oid"]
        assert [entry.version for entry in writer.history(set_oid)] == [1, 2]
