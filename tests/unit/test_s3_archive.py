"""The archive commands on an S3 store (a real S3 API server on a local port) with a
SQLite index: the same CLI, only ``--store s3://bucket/prefix`` and ``--index``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result
from conftest import VALID

CLIENT = "150612A904S"
SET = "1.2.246.10.91000013.11.2001"
OLD = "1.2.246.10.91000013"
NEW = "1.2.246.10.91000021"


def test_archive_query_show_history_invalidate_transfer_verify_reindex_on_s3(
    s3_url: str, tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    where = ["--store", s3_url, "--index", f"sqlite://{tmp_path / 'index.sqlite'}"]
    stored = run_cli("archive", VALID, *where)
    assert stored.exit_code == 0, stored.output + stored.stderr
    again = run_cli("archive", VALID, *where)
    assert again.exit_code == 0 and "unchanged" in again.output, again.output
    query = run_cli("query", "--client", CLIENT, "--format", "json", *where)
    assert query.exit_code == 0, query.output + query.stderr
    rows = json.loads(query.output)
    assert rows["total"] >= 1 and SET in {d["set_oid"] for d in rows["documents"]}, rows
    shown = run_cli("show", SET, "--metadata", *where)
    assert shown.exit_code == 0, shown.output + shown.stderr
    invalidated = run_cli("invalidate", SET, "--reason", "test", *where)
    assert invalidated.exit_code == 0, invalidated.output + invalidated.stderr
    history = run_cli("history", SET, "--format", "json", *where)
    assert history.exit_code == 0, history.output + history.stderr
    assert [e["event"] for e in json.loads(history.output)][-1] == "invalidated"
    moved = run_cli(
        "transfer-controller", "--from", OLD, "--to", NEW, "--reason", "merger", "-q", *where
    )
    assert moved.exit_code == 0, moved.output + moved.stderr
    history = run_cli("history", SET, "--format", "json", *where)
    events = json.loads(history.output)
    assert events[-1]["event"] == "controller-transferred"
    assert events[-1]["controller_oid"] == NEW
    verified = run_cli("verify", "--full", *where)
    assert verified.exit_code == 0, verified.output + verified.stderr
    reindexed = run_cli("reindex", *where)
    assert reindexed.exit_code == 0, reindexed.output + reindexed.stderr
    after = run_cli(
        "query", "--client", CLIENT, "--include-invalidated", "--format", "json", *where
    )
    assert json.loads(after.output)["total"] == rows["total"]
