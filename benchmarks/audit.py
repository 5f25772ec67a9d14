"""Benchmark the audit log: appends per second, one event per append and in batches.

    .venv/bin/python benchmarks/audit.py
    .venv/bin/python benchmarks/audit.py --dir /work/tmp --count 2000 --pg postgresql://…

Every append is durable when it returns (the file log: flock, write, fdatasync of the log
and of the head record; a database: one committed transaction). ``append_many`` writes a
batch with one lock and one flush: what ``archive`` does with the ``store`` events of a
run. Prints events per second for each case, and the same for the sealing alone.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from kanta_archive.access.audit import AuditEvent, AuditKey, AuditLog, AuditTrail
from kanta_archive.access.audit_db import open_audit_log

ACTOR = "1.2.246.10.91000013"


def rate(log: AuditTrail, count: int, batch: int) -> float:
    events = [
        AuditEvent("store", actor=ACTOR, client="150612A904S", documents=[f"1.2.3.{i}"])
        for i in range(count)
    ]
    start = time.perf_counter()
    for first in range(0, count, batch):
        log.append_many(events[first : first + batch])
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="events per case")
    parser.add_argument("--dir", type=Path, default=None, help="where the file log goes")
    parser.add_argument("--pg", default=None, help="also a PostgreSQL audit log at this URL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp, tempfile.TemporaryDirectory() as keys:
        key = AuditKey(b"k" * 32, Path(keys) / "audit.key")
        start = time.perf_counter()
        for i in range(10_000):
            key.seal(f"{i:064x}")
        print(f"sealing alone: {10_000 / (time.perf_counter() - start):,.0f} lines/s")
        for batch in (1, 100):
            log = AuditLog(Path(tmp) / f"b{batch}", key)
            log.dir.mkdir()
            events = rate(log, args.count, batch)
            print(f"file log, {batch:>3} event(s) per append: {events:,.0f} events/s")
        if args.pg:
            for batch in (1, 100):
                with open_audit_log(
                    Path(tmp), args.pg, store_id=f"bench-{batch}-{time.time()}"
                ) as db_log:
                    db_log._key = key
                    events = rate(db_log, args.count, batch)
                    print(f"PostgreSQL, {batch:>3} event(s) per append: {events:,.0f} events/s")


if __name__ == "__main__":
    main()
