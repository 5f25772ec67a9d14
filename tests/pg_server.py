"""A throwaway PostgreSQL server for the test session.

``PgServer.start()`` runs ``initdb`` into a fresh temporary directory and starts
``postgres`` listening only on a unix socket inside that directory, so that
several servers (one per pytest-xdist worker) never collide. ``stop()`` stops
it with ``pg_ctl stop -m immediate`` and removes the directory.

PostgreSQL refuses to run as root; when the tests run as root the server runs
as an unprivileged user (``KANTA_PG_USER``, else ``kanta_pg`` if it exists,
else ``nobody``, else a ``kanta_pg`` system user is created) via ``runuser``.

Binaries are found via ``KANTA_PG_BINDIR``, ``pg_config --bindir``, ``PATH``
and ``/usr/lib/postgresql/*/bin``; :func:`find_bindir` returns ``None`` when no
server is installed, and the tests skip with a reason.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

SUPERUSER = "kanta"
PORT = 5432  # only names the socket file; the socket lives in a private directory
_NEEDED = ("initdb", "pg_ctl", "postgres")


def _has_server(bindir: Path) -> bool:
    return all((bindir / name).is_file() for name in _NEEDED)


def find_bindir() -> Path | None:
    """The directory holding ``initdb``, ``pg_ctl`` and ``postgres``, or ``None``."""
    candidates: list[Path] = []
    if env := os.environ.get("KANTA_PG_BINDIR"):
        candidates.append(Path(env))
    if pg_config := shutil.which("pg_config"):
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=10
            )
            candidates.append(Path(out.stdout.strip()))
    if initdb := shutil.which("initdb"):
        candidates.append(Path(initdb).resolve().parent)
    candidates.extend(
        sorted(
            Path("/usr/lib/postgresql").glob("*/bin"),
            key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
            reverse=True,
        )
    )
    return next((c for c in candidates if _has_server(c)), None)


def _server_user() -> str | None:
    """The unprivileged user to run the server as, or ``None`` when not root."""
    if os.geteuid() != 0:
        return None
    for name in (os.environ.get("KANTA_PG_USER"), "kanta_pg", "nobody"):
        if name:
            with contextlib.suppress(KeyError):
                pwd.getpwnam(name)
                return name
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "kanta_pg"],
        check=True,
        capture_output=True,
    )
    return "kanta_pg"


@dataclass
class PgServer:
    """One running throwaway server; ``url(dbname)`` gives a libpq URI for a database."""

    bindir: Path
    root: Path = field(init=False)
    user: str | None = field(init=False, default=None)
    started: bool = field(init=False, default=False)

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(
                f"{' '.join(args[:2])} failed ({result.returncode}):\n"
                f"{result.stdout}\n{result.stderr}\n{tail}"
            )
        return result

    def start(self) -> PgServer:
        # A short path: a unix socket path must stay under ~100 bytes.
        self.root = Path(tempfile.mkdtemp(prefix="kpg-", dir="/tmp"))
        self.user = _server_user()
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        os.chmod(self.root, 0o755)
        try:
            self._run(
                "initdb",
                "--pgdata",
                str(self.datadir),
                "--username",
                SUPERUSER,
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--no-locale",
                "--no-sync",
            )
            options = (
                f"-k {self.root} -c listen_addresses='' -p {PORT}"
                " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                " -c max_connections=50 -c shared_buffers=32MB"
            )
            self._run(
                "pg_ctl",
                "start",
                "--wait",
                "--pgdata",
                str(self.datadir),
                "--log",
                str(self.root / "server.log"),
                "--options",
                options,
            )
            self.started = True
        except BaseException:
            self.stop()
            raise
        return self

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@/{dbname}?host={self.root}&port={PORT}"

    def create_database(self) -> str:
        """Create a fresh, empty database and return its URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        import psycopg

        name = url.split("/")[3].split("?")[0]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.started:
            with contextlib.suppress(RuntimeError, subprocess.SubprocessError):
                self._run("pg_ctl", "stop", "--pgdata", str(self.datadir), "-m", "immediate")
            self.started = False
        shutil.rmtree(self.root, ignore_errors=True)
