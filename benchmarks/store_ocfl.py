"""Ingest speed of the OCFL store: new objects (2 small files each) per second.

Usage: python benchmarks/store_ocfl.py [--count N] [--batch-size B] [--dir PATH]

Measures ``Store.commit`` (one object per call, fsync per file and directory) and
``Store.commit_many`` (B objects per call, made durable with a few syncfs calls),
each over N new objects in a fresh store in a temporary directory, with full durability.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import UTC, datetime

from kanta_archive.store import CommitRequest, Store

CONTROLLER = "1.2.246.10.12345678.10"


def _files(i: int) -> dict[str, bytes]:
    document = {"metadata": {"set_oid": f"1.2.246.99.{i}"}, "content": {"n": i, "x": "a" * 400}}
    metadata = {"document_set_oid": f"1.2.246.99.{i}", "version": 1}
    return {
        "document.json": json.dumps(document).encode(),
        "metadata.json": json.dumps(metadata).encode(),
    }


def bench_single(base: str, count: int) -> float:
    store = Store.open(os.path.join(base, "single"), create=True)
    files = [_files(i) for i in range(count)]
    created = datetime.now(UTC)
    start = time.perf_counter()
    for i in range(count):
        store.commit(
            CONTROLLER,
            f"1.2.246.99.{i}",
            files[i],
            expected_head=0,
            message="ingest",
            user_name="bench",
            user_address="1.2.246.10.1",
            created=created,
        )
    return count / (time.perf_counter() - start)


def bench_batch(base: str, count: int, batch_size: int) -> float:
    store = Store.open(os.path.join(base, "batch"), create=True)
    created = datetime.now(UTC)
    requests = [
        CommitRequest(
            CONTROLLER,
            f"1.2.246.99.{i}",
            _files(i),
            expected_head=0,
            message="ingest",
            user_name="bench",
            user_address="1.2.246.10.1",
            created=created,
        )
        for i in range(count)
    ]
    start = time.perf_counter()
    for i in range(0, count, batch_size):
        store.commit_many(requests[i : i + batch_size])
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="objects per run (default 2000)")
    parser.add_argument("--batch-size", type=int, default=256, help="objects per commit_many")
    parser.add_argument("--dir", default=None, help="parent of the temp dir (default: $TMPDIR)")
    parser.add_argument("--skip-single", action="store_true", help="only measure commit_many")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="store-bench-", dir=args.dir) as base:
        print(f"objects per run: {args.count} (2 files each), store in {base}")
        print(f"cpus: {os.cpu_count()}")
        if not args.skip_single:
            rate = bench_single(base, args.count)
            print(f"commit (one object per call, fsync per file): {rate:8.1f} objects/s")
        rate = bench_batch(base, args.count, args.batch_size)
        print(f"commit_many (batches of {args.batch_size}, syncfs):      {rate:8.1f} objects/s")


if __name__ == "__main__":
    main()
