"""The SQLite index backend (the default): one file, WAL mode, several writers may wait."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from kanta_archive.db.sqlite import SqliteDatabase, is_damage
from kanta_archive.errors import StoreError
from kanta_archive.index import migrations
from kanta_archive.index.sql import DEFAULT_STORE_ID, SqlIndex

_FIX = "rebuild it with `kanta-archive reindex` (the damaged file is kept beside the new one)"


def _ours(tables: set[str]) -> bool:
    """An SQLite file is ours to make an index in when every table in it is ours."""
    return all(
        t == "schema_version" or t.startswith(("access_", "audit_", "sqlite_")) for t in tables
    )


class SqliteIndex(SqlIndex):
    """The index in one SQLite file.

    ``readonly`` opens it for reading only; a file that cannot be written (a read-only
    mount, another user's store) is opened read-only anyway, so that queries work.
    ``recover`` moves a damaged file aside (``<name>.damaged-<UTC time>``, with its
    ``-wal``/``-shm``) and starts a new, empty index, for ``reindex`` to fill.
    """

    backend = "sqlite"

    def __init__(
        self,
        path: str | Path,
        *,
        target_version: int = migrations.CURRENT_VERSION,
        store_id: str = DEFAULT_STORE_ID,
        readonly: bool = False,
        recover: bool = False,
    ):
        self.path = Path(path)
        self.store_id = store_id
        try:
            self._open(target_version, readonly)
        except StoreError as exc:
            if not (recover and is_damage(exc.__cause__ or exc)):
                raise
            self._move_aside()
            self._open(target_version, readonly)

    def _open(self, target: int, readonly: bool) -> None:
        self.db = SqliteDatabase(self.path, readonly=readonly, what="index", fix=_FIX)
        try:
            self._migrate(target)
        except BaseException:
            self.close()
            raise

    def _move_aside(self) -> None:
        """Rename the damaged file (and its -wal/-shm) to ``<name>.damaged-<UTC time>``."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        for suffix in ("", "-wal", "-shm", "-journal"):
            source = Path(f"{self.path}{suffix}")
            if source.exists():
                os.replace(source, f"{self.path}.damaged-{stamp}{suffix}")

    def _recognise(self, tables: set[str]) -> bool:
        return _ours(tables)
