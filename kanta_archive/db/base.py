"""What every database backend offers, and the one migration procedure for all schemas."""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any, Self

from kanta_archive.errors import StoreError

#: backend name -> ordered migration steps; step ``i`` brings a schema to version ``i + 1``.
Migrations = dict[str, list[list[str]]]


class Closing:
    """``with`` support for anything with a ``close()``."""

    def close(self) -> None:
        """Release what the object holds."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Database(Closing, abc.ABC):
    """One connection to an SQL database. Statements use ``?`` placeholders.

    Database errors become :class:`StoreError` naming the database (its URL without a
    password) and, where one helps, what to do.
    """

    backend: str
    where: str
    readonly: bool = False

    @abc.abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """A write transaction: all or nothing."""

    @abc.abstractmethod
    def snapshot(self) -> AbstractContextManager[None]:
        """A read transaction: every statement in it sees the same snapshot."""

    @abc.abstractmethod
    def migration_lock(self) -> AbstractContextManager[None]:
        """A write transaction that no other process's migration runs beside."""

    @abc.abstractmethod
    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement and return its rows."""

    @abc.abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement and return its row count."""

    @abc.abstractmethod
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for many parameter rows."""

    @abc.abstractmethod
    def tables(self) -> set[str]:
        """The names of the tables in the database (the connection's schema)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Close the connection; further use is an error."""

    # --- versioned schemas -------------------------------------------------------------

    def schema_version(self, table: str) -> int:
        """The version recorded in the one-row ``table``; 0 when there is none."""
        if table not in self.tables():
            return 0
        rows = self.fetchall(f"SELECT version FROM {table}")
        return int(rows[0][0]) if rows else 0

    def migrate(
        self,
        table: str,
        migrations: Migrations,
        target: int,
        *,
        recognise: Callable[[set[str]], bool] = lambda _tables: True,
        after: Callable[[], None] | None = None,
        needs_after: Callable[[], bool] = lambda: False,
    ) -> None:
        """Bring the schema whose version lives in ``table`` to version ``target``.

        Each step runs in one transaction with the version bump, under
        :meth:`migration_lock`, and the version is read again under the lock, so two
        processes opening a new database at once both succeed. ``recognise`` is asked,
        for a database without ``table``, whether its tables are ours to create (a
        foreign database is refused). ``after`` runs under the same lock when
        ``needs_after`` says so (or a migration ran).
        """
        current = self.schema_version(table)
        _check_newer(current, len(migrations[self.backend]), self.where)
        if current >= target and not needs_after():
            return
        if self.readonly:
            if current < target:
                raise StoreError(
                    f"{self.where} has schema version {current} of {table} and needs migrating"
                    f" to {target}, but it is open read-only; open it once with write access"
                )
            return
        with self.migration_lock():
            tables = self.tables()
            current = self.schema_version(table)
            _check_newer(current, len(migrations[self.backend]), self.where)
            if table not in tables and not recognise(tables):
                what = getattr(self, "what", "database")
                raise StoreError(f"{self.where} is a database but not a kanta-archive {what}")
            if current < target:
                self.execute(f"CREATE TABLE IF NOT EXISTS {table} (version INTEGER NOT NULL)")
                for step in migrations[self.backend][current:target]:
                    for statement in step:
                        self.execute(statement)
                self.execute(f"DELETE FROM {table}")
                self.execute(f"INSERT INTO {table} (version) VALUES (?)", (target,))
            if after is not None:
                after()


def _check_newer(found: int, current: int, where: str) -> None:
    if found > current:
        raise StoreError(
            f"the database at {where} has schema version {found}, newer than the version"
            f" {current} this kanta-archive understands; upgrade kanta-archive"
        )
