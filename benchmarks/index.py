"""Benchmark the query index: bulk-load synthetic metadata, then time client queries.

    .venv/bin/python benchmarks/index.py --count 100000
    .venv/bin/python benchmarks/index.py --count 1000000 --pg postgresql://…

Generates ``--count`` document versions (about 20 per client, varied service
tasks, document types and dates; some common-matter documents with two
clients, some second versions, some temporary identifiers, patient data and
invalidated documents), bulk-loads them with ``Index.add_many`` into a fresh
SQLite file (and into PostgreSQL when ``--pg`` is given; that index must be
empty unless ``--clear`` is given) and prints the load rate and the latency of
random client queries (plain, with a service task, with a date range, both).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

from kanta_archive.index import Index, Query, open_index
from kanta_archive.model import Author, Client, Coded, Metadata

ORG = "1.2.246.10.24303212"
CONTROLLERS = [f"{ORG}.19.{n}" for n in range(1, 6)]
SERVICE_TASKS = ["10", "11", "12", "15", "20", "21", "22", "25", "30", "31"]
DOCUMENT_TYPES = ["1", "2", "3", "4", "5", "6", "7", "8"]
CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"
DOCS_PER_CLIENT = 20
FIRST_DAY = date(2015, 1, 1)
DAYS = (date(2025, 12, 31) - FIRST_DAY).days
ZONES = [timezone(timedelta(hours=2)), timezone(timedelta(hours=3))]


def hetu(i: int) -> str:
    """A valid HETU, unique for each ``i`` below about 32 million."""
    born = date(1930, 1, 1) + timedelta(days=i % 36_500)
    individual = 2 + i // 36_500
    digits = f"{born:%d%m%y}{individual:03d}"
    sign = "-" if born.year < 2000 else "A"
    return f"{digits[:6]}{sign}{digits[6:]}{CHECK[int(digits) % 31]}"


def coded(system: str, code: str) -> Coded:
    return Coded(f"urn:oid:{system}", code, None)


def generate(count: int, seed: int) -> Iterator[Metadata]:
    """``count`` synthetic document versions, ~20 per client."""
    rnd = random.Random(seed)
    clients = max(1, count // DOCS_PER_CLIENT)
    tasks = [coded("1.2.246.537.6.1221", t) for t in SERVICE_TASKS]
    types = [coded("1.2.246.537.6.1503", t) for t in DOCUMENT_TYPES]
    group = coded("1.2.246.537.6.1504", "1")
    author = Author("Sosiaalityöntekijä", "1", ORG)
    hetus = [hetu(c) for c in range(clients)]
    n = 0
    while n < count:
        c = rnd.randrange(clients)
        client = Client(hetus[c], None, rnd.random() < 0.01)
        if rnd.random() < 0.02:
            client = Client(None, f"{ORG}.22.2024.{c + 1}")
        members: tuple[Client, ...] = (client,)
        if rnd.random() < 0.05:
            members = (client, Client(hetus[rnd.randrange(clients)], None))
        when = datetime.combine(
            FIRST_DAY + timedelta(days=rnd.randrange(DAYS)),
            datetime.min.time(),
            tzinfo=rnd.choice(ZONES),
        ) + timedelta(minutes=rnd.randrange(8 * 60, 17 * 60))
        versions = 2 if rnd.random() < 0.1 and n + 1 < count else 1
        for version in range(1, versions + 1):
            created = when + timedelta(hours=version)
            yield Metadata(
                document_oid=f"{ORG}.11.{n + 1}",
                set_oid=f"{ORG}.11.{n + 1 - (version - 1)}.0",
                version=version,
                previous_version_oid=f"{ORG}.11.{n}" if version > 1 else None,
                created=created.isoformat(),
                effective_time=when.isoformat(),
                language="fi",
                storage_format="json",
                title=f"Asiakaskertomusmerkintä {n + 1}",
                confidentiality=None,
                document_type=rnd.choice(types),
                specific_document_type=None,
                document_group=group,
                structure_id="1.2.246.537.6.1506.3.2024.1.1",
                structure_oid="1.2.246.537.6.1506.3",
                structure_version="2024-01-01",
                service_task=rnd.choice(tasks),
                register=None,
                record_status=None,
                retention_class=None,
                controller_oid=CONTROLLERS[c % len(CONTROLLERS)],
                organiser_oid=ORG,
                service_unit_oid=f"{ORG}.10.{c % 50 + 2}",
                patient_data=rnd.random() < 0.05,
                clients=members,
                common_matter_oid=f"{ORG}.11.{n + 1}.7" if len(members) > 1 else None,
                author=author,
                customership_oid=f"{ORG}.11.{c}.1",
                case_oid=f"{ORG}.11.{c}.2",
                status="invalidated" if rnd.random() < 0.01 else "active",
                invalidation_reason=None,
                signer=None,
                signed_at=None,
            )
            n += 1


def queries(count: int, seed: int, n: int = 200) -> list[Query]:
    rnd = random.Random(seed + 1)
    clients = max(1, count // DOCS_PER_CLIENT)
    result = []
    for i in range(n):
        client = hetu(rnd.randrange(clients))
        start = FIRST_DAY + timedelta(days=rnd.randrange(DAYS - 730))
        kind = i % 4
        result.append(
            Query(
                client=client,
                service_task=rnd.choice(SERVICE_TASKS) if kind in (1, 3) else None,
                date_from=start if kind in (2, 3) else None,
                date_to=start + timedelta(days=730) if kind in (2, 3) else None,
            )
        )
    return result


def percentile(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def run(name: str, index: Index, count: int, seed: int) -> None:
    started = time.perf_counter()
    loaded = index.add_many(generate(count, seed))
    load_s = time.perf_counter() - started
    print(f"[{name}] loaded {loaded:,} documents in {load_s:.1f} s ({loaded / load_s:,.0f} docs/s)")
    qs = queries(count, seed)
    index.query(qs[0])  # warm up
    times: list[float] = []
    found = 0
    for q in qs:
        t0 = time.perf_counter()
        result = index.query(q)
        times.append((time.perf_counter() - t0) * 1000)
        found += len(result.rows)
    print(
        f"[{name}] {len(qs)} client queries: p50 {percentile(times, 50):.2f} ms,"
        f" p95 {percentile(times, 95):.2f} ms, max {max(times):.2f} ms"
        f" ({found / len(qs):.1f} rows per query)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=100_000, help="documents to generate")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--sqlite", type=Path, help="SQLite file (default: a temporary file)")
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite run")
    parser.add_argument("--pg", metavar="URL", help="also benchmark this PostgreSQL index")
    parser.add_argument("--clear", action="store_true", help="clear a non-empty --pg index first")
    args = parser.parse_args(argv)
    print(f"kanta-archive index benchmark: {args.count:,} documents, {datetime.now(UTC):%Y-%m-%d}")
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory(prefix="kanta-index-bench-") as tmp:
            path = args.sqlite or Path(tmp) / "index.sqlite"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            with open_index(f"sqlite://{path.resolve()}") as index:
                run("sqlite", index, args.count, args.seed)
            print(f"[sqlite] file size {path.stat().st_size / 2**20:,.0f} MiB")
    if args.pg:
        with open_index(args.pg) as index:
            if index.count():
                if not args.clear:
                    print("the --pg index is not empty; pass --clear to clear it", file=sys.stderr)
                    return 2
                index.clear()
            run("postgres", index, args.count, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
