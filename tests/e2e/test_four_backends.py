"""The one end-to-end run of issue 17 on all four combinations of store and database:
local + SQLite, local + PostgreSQL, S3 + SQLite (index and access store at local paths),
S3 + PostgreSQL. With an organisation registry, so that access control and the audit log
are exercised too: archive -> query -> show -> history -> invalidate -> transfer ->
verify -> reindex -> export, then the audit trail is listed and verified.

The S3 store is a real S3 API server on a local port (moto's server mode) and PostgreSQL a
real server started by the test setup; the CLI is the real one (click's CliRunner).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import ocfl
import pytest
from click.testing import Result
from conftest import SAMPLES, VALID

COUNTY = "1.2.246.10.91000013"
CITY = "1.2.246.10.91000021"
CLIENT = "150612A904S"
SET = "1.2.246.10.91000013.11.2001"
CITY_SET = "1.2.246.10.91000021.11.3001"
COUNTY_DOCS = ("client-record-entry.json", "client-record-entry-v2.json", "case-document-open.json")

Run = Callable[..., Result]


@pytest.fixture(
    params=["local+sqlite", "local+postgresql", "s3+sqlite", "s3+postgresql"],
)
def where(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[str]]:
    """The ``--store``/``--index``/``--access`` options of one combination."""
    store_kind, db_kind = request.param.split("+")
    if store_kind == "local":
        options = ["--store", str(tmp_path / "archive")]
    else:
        options = ["--store", request.getfixturevalue("s3_url")]
    database = None
    if db_kind == "postgresql":
        pg = request.getfixturevalue("pg_server")
        database = pg.create_database()
        options += ["--index", database]
    elif store_kind == "s3":  # no store folder: both SQLite files at local paths
        options += ["--index", f"sqlite://{tmp_path / 'index.sqlite'}"]
        options += ["--access", f"sqlite://{tmp_path / 'access.sqlite'}"]
    yield options
    if database is not None:
        request.getfixturevalue("pg_server").drop_database(database)


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output + (result.stderr or "")
    return result


@pytest.mark.slow
def test_archive_to_export_with_access_control_on_every_backend(
    where: list[str], run_cli: Run, tmp_path: Path
) -> None:
    imported = ok(run_cli("orgs", "import", SAMPLES / "orgs.csv", *where))
    assert "imported 12 organisation(s)" in imported.output
    county = [*where, "--as", COUNTY]
    ok(run_cli("archive", *(VALID / name for name in COUNTY_DOCS), *county))
    ok(run_cli("archive", VALID / "case-document-closed.json", *where, "--as", CITY))
    refused = run_cli("archive", VALID / "case-document-closed.json", *county)
    assert refused.exit_code == 1 and "access-own-register-only" in refused.output

    rows = json.loads(ok(run_cli("query", "--client", CLIENT, "--format", "json", *county)).output)
    assert SET in {d["set_oid"] for d in rows["documents"]}, rows
    shown = json.loads(ok(run_cli("show", SET, "--metadata", *county)).output)
    assert shown["version"] == 2
    hidden = run_cli("show", SET, "--metadata", *where, "--as", CITY)
    assert hidden.exit_code == 1 and "access-read-own-register" in hidden.output
    history = json.loads(ok(run_cli("history", SET, "--format", "json", *county)).output)
    assert [e["version"] for e in history] == [1, 2]

    ok(run_cli("invalidate", SET, "--reason", "wrong client", *county))
    moved = ok(run_cli("transfer-controller", "--from", CITY, "--to", COUNTY,
                       "--reason", "county merger", "-q", *county))  # fmt: skip
    assert CITY_SET in moved.output or "1 " in moved.output, moved.output
    events = json.loads(ok(run_cli("history", CITY_SET, "--format", "json", *county)).output)
    assert (events[-1]["event"], events[-1]["controller_oid"]) == ("controller-transferred", COUNTY)

    ok(run_cli("verify", "--full", *where))
    ok(run_cli("reindex", *where))
    after = run_cli(
        "query", "--client", CLIENT, "--include-invalidated", "--format", "json", *county
    )
    assert json.loads(ok(after).output)["total"] == rows["total"]

    target = tmp_path / "export" / "2001"
    ok(run_cli("export", SET, "--to", target, *county))
    assert json.loads((target / "inventory.json").read_text())["head"] == "v3"
    passed, validator = ocfl.Object().validate(str(target))
    assert passed, validator.messages

    audit = json.loads(ok(run_cli("audit", "--format", "json", *county)).output)["entries"]
    seen = {e["event"] for e in audit}
    assert {"orgs-import", "store", "read", "invalidate", "controller-transfer"} <= seen, seen
    verified = ok(run_cli("audit", "verify", *where))
    assert "ok" in verified.output.lower(), verified.output
