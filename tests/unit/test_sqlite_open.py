"""Opening one SQLite file from many connections at once (the index, the audit log).

SQLite answers "database is locked" at once, without its busy timeout, when connections
that open a new file race to put it in WAL mode; each of them must open it all the same.
"""

from __future__ import annotations

import threading
from pathlib import Path

from kanta_archive.db.sqlite import SqliteDatabase

ROUNDS = 200  # the race lost about one round in 25 before the retry
WRITERS = 8


def _open_together(path: Path) -> list[BaseException]:
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def writer() -> None:
        start.wait()
        try:
            db = SqliteDatabase(path, synchronous="FULL")
            try:
                db.execute("CREATE TABLE IF NOT EXISTS t (x)")
            finally:
                db.close()
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_writers_opening_a_new_database_at_the_same_moment_all_open_it(tmp_path: Path) -> None:
    for round_ in range(ROUNDS):
        errors = _open_together(tmp_path / f"new-{round_}.sqlite")
        assert errors == [], f"round {round_}: {errors[0]}"
