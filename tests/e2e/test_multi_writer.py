"""Several hosts at once: four ``archive`` processes on one store and one PostgreSQL index,
with overlapping batches and competing second versions of the same sets, and one more
writer killed part way. Afterwards no acknowledged version is lost, no set has two
versions with one number, the index equals the store and ocfl-py passes every root.

(The object-storage half of issue 17's multi-writer test needs the S3 backend.)
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import ocfl
import pytest
from pg_server import PgServer

VALID = Path(__file__).resolve().parents[2] / "samples" / "valid"
REPO = Path(__file__).resolve().parents[2]
SETS = 4  # sets with competing second versions
SET = "1.2.246.10.91000013.11.2001"


def _cli() -> list[str]:
    script = Path(sys.executable).parent / "kanta-archive"
    return [str(script)] if script.exists() else [sys.executable, "-m", "kanta_archive.cli.main"]


def _copy(source: Path, target: Path, n: int, title: str | None = None) -> Path:
    """``source`` as set number ``n`` (the set OID rewritten), optionally retitled."""
    data = json.loads(source.read_text(encoding="utf-8").replace(SET, f"{SET}{n:02d}"))
    if title is not None:
        data["metadata"]["title"] = title
    target.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return target


@pytest.fixture
def batches(tmp_path: Path) -> tuple[list[list[Path]], dict[str, set[str]]]:
    """Four overlapping batches, and the titles each competing set's v2 may end with."""
    from click.testing import CliRunner

    from kanta_archive.cli.main import cli

    out = tmp_path / "generated"
    args = ["samples", "generate", "--structure", "1.2.246.537.6.1506.19005", "--count", "60"]
    assert CliRunner().invoke(cli, [*args, "--seed", "3", "--out", str(out)]).exit_code == 0
    fillers = [p for p in sorted(out.glob("*.json")) if b'"version": 1,' in p.read_bytes()]
    pairs = tmp_path / "pairs"
    pairs.mkdir()
    firsts, seconds = [], []
    for n in range(SETS):
        firsts.append(_copy(VALID / "client-record-entry.json", pairs / f"{n}-v1.json", n))
        seconds.append(
            [
                _copy(VALID / "client-record-entry-v2.json", pairs / f"{n}-v2-{w}.json", n, t)
                for w, t in enumerate(("Kirjoittajan A versio", "Kirjoittajan B versio"))
            ]
        )
    batches = []
    for writer in range(4):
        share = fillers[writer * len(fillers) // 6 : (writer + 3) * len(fillers) // 6]
        batches.append([*firsts, *(pair[writer % 2] for pair in seconds), *share])
    titles = {
        f"{SET}{n:02d}": {"Kirjoittajan A versio", "Kirjoittajan B versio"} for n in range(SETS)
    }
    return batches, titles


def _start(batch: list[Path], store: Path, index: str) -> subprocess.Popen[str]:
    command = [*_cli(), "archive", *map(str, batch), "--partial", "--format", "json"]
    command += ["--store", str(store), "--index", index, "--quiet"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


@pytest.mark.slow
@pytest.mark.postgres
def test_four_hosts_on_one_store_and_one_postgres_lose_nothing(
    tmp_path: Path, pg_server: PgServer, batches: tuple[list[list[Path]], dict[str, set[str]]]
) -> None:
    from kanta_archive.archive import Archive

    lists, titles = batches
    store = tmp_path / "archive"
    index = pg_server.create_database()
    from kanta_archive.store import Store

    Store.open(store, create=True)
    victim = _start(lists[0], store, index)  # a fifth writer, killed part way
    writers = [_start(batch, store, index) for batch in lists]
    time.sleep(random.Random(17).uniform(0.5, 2.0))
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=60)
    acknowledged: dict[str, str] = {}  # document OID -> the file whose bytes were stored
    for writer in writers:
        out, err = writer.communicate(timeout=600)
        assert writer.returncode in (0, 1), err
        assert "Traceback" not in err, err
        for item in json.loads(out)["documents"]:
            assert item["status"] in ("stored", "unchanged", "refused"), item
            if item["status"] == "stored":
                assert item["document_oid"] not in acknowledged, "stored twice"
                acknowledged[item["document_oid"]] = item["source"]
    repaired = subprocess.run(
        [*_cli(), "verify", "--repair", "--full", "--store", str(store), "--index", index],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr

    with Archive.open(store, index) as archive:
        for document_oid, source in acknowledged.items():  # no acknowledged version lost
            shown = archive.show(document_oid)
            assert shown.raw == Path(source).read_bytes(), document_oid
        for set_oid, allowed in titles.items():  # one version 2 per set, one of the rivals
            history = archive.history(set_oid)
            assert [h.version for h in history] == [1, 2], set_oid
            assert archive.show(set_oid).metadata["title"] in allowed
        assert archive.verify(full=True).ok  # the index equals the store
    for root in sorted((store / "controllers").iterdir()):
        checked = ocfl.StorageRoot(root=str(root))
        checked.validate(validate_objects=True, check_digests=True)
        assert checked.good_objects == checked.num_objects, root
    pg_server.drop_database(index)
