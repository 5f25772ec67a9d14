"""Benchmark the archive at scale: ingest rate into S3 (a local moto server) and into the
local store side by side, the PostgreSQL index at a million documents, and the memory of
one ``archive`` run over a folder of 100,000 files.

    .venv/bin/python benchmarks/scale.py                      # the full sizes
    .venv/bin/python benchmarks/scale.py --ingest-files 500 --index-count 100000 --files 5000

Every ``archive`` run is the installed CLI in a subprocess over files made by
``samples generate`` (validation included, as a user runs it). Ingest: the same folder
archived into a fresh local store and into a fresh bucket of a moto server started here on
127.0.0.1 (``python -m moto.server``; both with an SQLite index file). Index: the load rate
and client-query p50/p95 of ``benchmarks/index.py`` against ``--pg``, or against a
throwaway PostgreSQL started here (the test setup's server, ``tests/pg_server.py``: unix
socket, ``fsync=off``, ``synchronous_commit=off``, ``shared_buffers=32MB``). Memory: the
peak resident set of the archive process itself (``wait4`` of that child). Skip a part
with a size of 0. The figures go to stdout, one line each, with the conditions.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STRUCTURE = "1.2.246.537.6.1506.19005"


def cli() -> list[str]:
    script = Path(sys.executable).parent / "kanta-archive"
    return [str(script)] if script.exists() else [sys.executable, "-m", "kanta_archive.cli.main"]


def generate(count: int, folder: Path, seed: int) -> None:
    started = time.perf_counter()
    subprocess.run(
        [
            *cli(),
            *("samples", "generate", "--structure", STRUCTURE, "--count", str(count)),
            *("--seed", str(seed), "--out", str(folder), "--quiet"),
        ],
        check=True,
        capture_output=True,
    )
    print(f"generated {count:,} files in {time.perf_counter() - started:.1f} s", flush=True)


def archive(
    folder: Path, store: str, workdir: Path, env: dict[str, str] | None = None, *extra: str
) -> tuple[dict[str, object], float, int]:
    """Run ``archive`` as its own process: its JSON report, wall seconds and peak RSS (KiB)."""
    report = workdir / f"report-{time.monotonic_ns()}.json"
    errors = workdir / f"stderr-{time.monotonic_ns()}.txt"
    command = [*cli(), "archive", str(folder), "--store", store, *extra]
    command += ["--partial", "--quiet", "--format", "json"]
    started = time.perf_counter()
    with report.open("wb") as out, errors.open("wb") as err:
        child = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        # wait4 of this child: its own peak, not the largest of every child so far
        _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    child.returncode = code
    if code not in (0, 1):
        raise SystemExit(f"archive failed ({code}): {errors.read_text()[-2000:]}")
    found = json.loads(report.read_text())
    report.unlink()
    return found, seconds, usage.ru_maxrss


def summary(report: dict[str, object], files: int, seconds: float) -> str:
    stored = int(str(report["stored"]))
    reasons = Counter(
        re.sub(r"[0-9][0-9.]*[0-9]", "…", str(item.get("reason")))
        for item in report["documents"]  # type: ignore[attr-defined]
        if item["status"] == "refused"
    )
    why = f"; most often: {reasons.most_common(1)[0][0]}" if reasons else ""
    return (
        f"{files:,} files in {seconds:.1f} s: {files / seconds:,.0f} files/s,"
        f" {stored / seconds:,.0f} stored/s ({stored:,} stored, {report['refused']:,} refused"
        f"{why}; load average {os.getloadavg()[0]:.1f})"
    )


@contextmanager
def moto_server() -> Iterator[dict[str, str]]:
    sys.path.insert(0, str(REPO / "tests"))
    from s3_server import S3Server

    server = S3Server.start()
    try:
        yield {**os.environ, **server.env(), "KANTA_BUCKET": server.new_bucket()}
    finally:
        server.stop()


def ingest(files: int, workdir: Path, seed: int) -> None:
    folder = workdir / "ingest"
    generate(files, folder, seed)
    local, local_s, _ = archive(folder, str(workdir / "local-store"), workdir)
    print(f"[ingest, local store] {summary(local, files, local_s)}", flush=True)
    with moto_server() as env:
        index = f"sqlite://{workdir / 's3-index.sqlite'}"
        bucket = f"s3://{env['KANTA_BUCKET']}/kanta"
        s3, s3_s, _ = archive(folder, bucket, workdir, env, "--index", index)
    print(f"[ingest, S3 (moto server)] {summary(s3, files, s3_s)}", flush=True)
    print(f"[ingest] S3 takes {s3_s / local_s:.1f}x the local store's time", flush=True)


def index(count: int, url: str | None, seed: int) -> None:
    sys.path.insert(0, str(REPO / "benchmarks"))
    import index as index_bench

    arguments = ["--count", str(count), "--no-sqlite", "--seed", str(seed), "--pg"]
    if url is not None:
        index_bench.main([*arguments, url])
        return
    sys.path.insert(0, str(REPO / "tests"))
    from pg_server import PgServer, find_bindir

    bindir = find_bindir()
    if bindir is None:
        print("[index] skipped: no PostgreSQL server binaries found (give --pg URL)")
        return
    server = PgServer(bindir).start()
    try:
        target = server.create_database()
        print("[index] throwaway PostgreSQL: fsync=off, synchronous_commit=off, 32MB buffers")
        index_bench.main([*arguments, target])
    finally:
        server.stop()


def memory(files: int, workdir: Path, seed: int) -> None:
    folder = workdir / "memory"
    generate(files, folder, seed)
    report, seconds, peak = archive(folder, str(workdir / "memory-store"), workdir)
    print(f"[archive run, local store] {summary(report, files, seconds)}", flush=True)
    print(
        f"[archive run, local store] peak resident memory of the archive process:"
        f" {peak / 1024:,.0f} MiB for {files:,} files",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--ingest-files", type=int, default=2_000, help="files archived twice")
    parser.add_argument("--index-count", type=int, default=1_000_000, help="index documents")
    parser.add_argument("--files", type=int, default=100_000, help="files of the memory run")
    parser.add_argument("--pg", metavar="URL", help="PostgreSQL (default: start a throwaway one)")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--dir", type=Path, default=None, help="where the files and stores go")
    args = parser.parse_args()
    print(
        f"kanta-archive scale benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC,"
        f" {os.cpu_count()} CPUs, Python {platform.python_version()}, structure {STRUCTURE}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="kanta-scale-", dir=args.dir) as tmp:
        if args.ingest_files:
            ingest(args.ingest_files, Path(tmp), args.seed)
        if args.index_count:
            index(args.index_count, args.pg, args.seed)
        if args.files:
            memory(args.files, Path(tmp), args.seed + 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
