"""Benchmark the archive: durable ingest rate through ``Archive.ingest`` into the local
store and into S3-compatible object storage, side by side, and client-query latency of the
index at large sizes.

    .venv/bin/python benchmarks/store.py --count 10000 --index-sizes 100000,1000000
    .venv/bin/python benchmarks/store.py --count 5000 --s3-count 1000 --index-sizes ''

S3: ``--s3-count`` documents (0: skip) go to a fresh bucket of a moto server that the
benchmark starts on a local port (``tests/s3_server.py``, the test suite's server), or to
``--s3-url s3://bucket/prefix`` with the endpoint and credentials from the environment
(``AWS_ENDPOINT_URL``...). The index of the S3 run is a SQLite file in a temporary
directory; the rate counts the same ``ingest`` calls as the local run.

Ingest: ``--count`` documents are made by copying a valid sample
(``samples/valid/client-record-entry.json``) with new set/document OIDs and a new client
HETU per document, then archived in batches of ``--batch`` through ``Archive.ingest``
(validation + ``Store.commit_many`` with its filesystem sync + ``Index.add_many``), into a
fresh store on the filesystem of ``--dir`` (default: a temporary directory). The rate
counts only ``ingest`` calls, and each call returns only when its documents are durable.

Query: for each size in ``--index-sizes`` a fresh SQLite index is bulk-loaded directly
with synthetic ``Metadata`` (the generator of ``benchmarks/index.py``, about 20 documents
per client), then 200 random client queries (plain, with a service task, with a date
range, both) are timed.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

from kanta_archive.archive import Archive
from kanta_archive.formats.read import read_bytes
from kanta_archive.index import open_index
from kanta_archive.model import Document

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "valid" / "client-record-entry.json"
SAMPLE_SET = "1.2.246.10.91000013.11.2001"
SAMPLE_HETU = "150612A904S"
CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"


def hetu(i: int) -> str:
    """A valid test HETU (individual number 900-999), distinct for i below ~3.6 million."""
    from datetime import date, timedelta

    born = date(1950, 1, 1) + timedelta(days=i % 36_500)
    individual = 900 + (i // 36_500) % 100
    digits = f"{born:%d%m%y}{individual:03d}"
    sign = "-" if born.year < 2000 else "A"
    return f"{digits[:6]}{sign}{digits[6:]}{CHECK[int(digits) % 31]}"


def copies(count: int, start: int = 1_000_000) -> list[Document]:
    """``count`` valid documents: the sample with new OIDs and clients."""
    text = SAMPLE.read_text(encoding="utf-8")
    result = []
    for i in range(count):
        data = text.replace(SAMPLE_SET, f"1.2.246.10.91000013.11.{start + i}").replace(
            SAMPLE_HETU, hetu(i)
        )
        document = read_bytes(data.encode("utf-8"), f"generated-{i}.json").document
        assert document is not None
        result.append(document)
    return result


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def bench_ingest(
    count: int, batch: int, directory: Path | None, location: str | None = None
) -> float:
    """Ingest ``count`` documents into a fresh local store (or the store at ``location``);
    prints and returns the durable rate."""
    documents = copies(count)
    label = "local" if location is None else "s3"
    with tempfile.TemporaryDirectory(prefix="kanta-store-bench-", dir=directory) as tmp:
        target = location or str(Path(tmp) / "archive")
        index = f"sqlite://{Path(tmp) / 'index.sqlite'}" if location else None
        with Archive.open(target, index, create=True) as archive:
            return _ingest(archive, documents, batch, label)


def _ingest(archive: Archive, documents: list[Document], batch: int, label: str) -> float:
    count = len(documents)
    archive.ingest(documents[:1])  # build the validator, create the storage root
    started = time.perf_counter()
    stored = 0
    for offset in range(1, count, batch):
        report = archive.ingest(documents[offset : offset + batch], actor="bench")
        stored += report.count("stored")
    elapsed = time.perf_counter() - started
    rate = stored / elapsed if elapsed else 0.0
    print(
        f"[ingest {label}] {stored:,} documents in {elapsed:.1f} s: {rate:,.0f} docs/s "
        f"durable (batches of {batch}, validation included, one process)"
    )
    t0 = time.perf_counter()
    report = archive.ingest(documents[: min(count, 1000)])
    t1 = time.perf_counter()
    print(
        f"[ingest {label}] re-archiving {len(report.items):,} identical documents: "
        f"{report.count('unchanged'):,} unchanged in {t1 - t0:.1f} s"
    )
    return rate


def bench_s3(count: int, batch: int, url: str | None) -> float:
    """Ingest into S3: ``url``, or a fresh bucket of a moto server started here."""
    if url is not None:
        return bench_ingest(count, batch, None, url)
    sys.path.insert(0, str(ROOT / "tests"))
    from s3_server import S3Server

    server = S3Server.start()
    saved = {k: os.environ.get(k) for k in server.env()}
    os.environ.update(server.env())
    try:
        return bench_ingest(count, batch, None, f"s3://{server.new_bucket()}/bench")
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def bench_index(size: int, seed: int) -> None:
    spec = importlib.util.spec_from_file_location("_index_bench", ROOT / "benchmarks/index.py")
    if spec is None or spec.loader is None:
        raise SystemExit("benchmarks/index.py is needed for the synthetic metadata generator")
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with tempfile.TemporaryDirectory(prefix="kanta-index-bench-") as tmp:
        path = Path(tmp) / "index.sqlite"
        with open_index(f"sqlite://{path}") as index:
            t0 = time.perf_counter()
            loaded = index.add_many(module.generate(size, seed))
            load_s = time.perf_counter() - t0
            qs = module.queries(size, seed)
            index.query(qs[0])
            times = []
            for q in qs:
                t = time.perf_counter()
                index.query(q)
                times.append((time.perf_counter() - t) * 1000)
        print(
            f"[query] {loaded:,} indexed documents (loaded in {load_s:.0f} s): "
            f"client query p50 {percentile(times, 50):.2f} ms, p95 {percentile(times, 95):.2f} ms, "
            f"max {max(times):.2f} ms over {len(qs)} queries"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=10_000, help="documents to ingest (0: skip)")
    parser.add_argument("--batch", type=int, default=500, help="documents per ingest call")
    parser.add_argument(
        "--index-sizes",
        default="100000,1000000",
        help="comma-separated index sizes for the query benchmark ('' to skip)",
    )
    parser.add_argument("--dir", type=Path, help="where to make the temporary store")
    parser.add_argument(
        "--s3-count", type=int, default=0, help="documents to ingest into S3 (0: skip)"
    )
    parser.add_argument("--s3-url", help="s3://bucket/prefix (default: a local moto server)")
    parser.add_argument("--seed", type=int, default=2020)
    args = parser.parse_args(argv)
    print(f"kanta-archive store benchmark (cpu count {os.cpu_count()}, python {sys.version[:6]})")
    rates = {}
    if args.count > 1:
        rates["local"] = bench_ingest(args.count, args.batch, args.dir)
    if args.s3_count > 1:
        rates["s3"] = bench_s3(args.s3_count, args.batch, args.s3_url)
    if len(rates) == 2:
        print(
            f"[ingest] side by side: local {rates['local']:,.0f} docs/s, "
            f"S3 (local moto server) {rates['s3']:,.0f} docs/s"
        )
    for size in [int(s) for s in args.index_sizes.split(",") if s.strip()]:
        bench_index(size, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
