"""Shared fixtures: sample folders, a CLI runner, a temporary store path."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner, Result

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pg_server import PgServer, find_bindir

if TYPE_CHECKING:
    from s3_server import S3Server

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
VALID = SAMPLES / "valid"
INVALID = SAMPLES / "invalid"


@pytest.fixture
def samples_dir() -> Path:
    """The bundled samples folder."""
    return SAMPLES


@pytest.fixture
def run_cli() -> Callable[..., Result]:
    """Run the real CLI in-process through click's CliRunner: ``run_cli("validate", path)``."""
    from kanta_archive.cli.main import cli

    runner = CliRunner()

    def run(*args: str | Path, input: bytes | str | None = None) -> Result:
        return runner.invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)

    return run


@pytest.fixture
def tmp_store(tmp_path: Path) -> Path:
    """A path for a fresh archive store (not created yet)."""
    return tmp_path / "archive"


@pytest.fixture(autouse=True)
def audit_key(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test seals audit logs with a key of its own, outside every store (never the
    user's ``~/.config/kanta-archive/audit.key``)."""
    path = tmp_path_factory.mktemp("audit-key") / "audit.key"
    monkeypatch.setenv("KANTA_ARCHIVE_AUDIT_KEY", str(path))
    return path


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A real PostgreSQL server for the session (per xdist worker), or a skip with a reason."""
    bindir = find_bindir()
    if bindir is None:
        pytest.skip(
            "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found via"
            " KANTA_PG_BINDIR, pg_config, PATH or /usr/lib/postgresql/*/bin;"
            " install Debian's postgresql package to run the PostgreSQL tests"
        )
    server = PgServer(bindir).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """A real S3 API server (moto's server mode) on a local port, for the whole session."""
    from s3_server import S3Server

    server = S3Server.start()
    yield server
    server.stop()


@pytest.fixture
def s3_url(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> str:
    """``s3://<fresh bucket>/store`` with this process's boto3 pointed at the test server."""
    for name, value in s3_server.env().items():
        monkeypatch.setenv(name, value)
    return f"s3://{s3_server.new_bucket()}/store"
