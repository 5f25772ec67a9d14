"""Benchmark the archive at scale: ingest rate and memory of one ``archive`` run over a
folder of generated files, and (with ``--pg``) the PostgreSQL index at many documents.

    .venv/bin/python benchmarks/scale.py --files 100000
    .venv/bin/python benchmarks/scale.py --files 5000 --index-count 1000000 --pg postgresql://…

The archive run is the installed CLI in a subprocess (``archive <folder> --partial``), so
its peak resident memory is the process's own (``ru_maxrss`` of the child). The index part
is ``benchmarks/index.py`` (load rate, client-query p50/p95) against ``--pg``. Ingest to
S3-compatible storage is not measured here: main has no S3 backend yet.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STRUCTURE = "1.2.246.537.6.1506.19005"


def cli() -> list[str]:
    script = Path(sys.executable).parent / "kanta-archive"
    return [str(script)] if script.exists() else [sys.executable, "-m", "kanta_archive.cli.main"]


def archive_run(files: int, workdir: Path, seed: int) -> None:
    folder = workdir / "in"
    started = time.perf_counter()
    subprocess.run(
        [
            *cli(),
            *("samples", "generate", "--structure", STRUCTURE, "--count", str(files)),
            *("--seed", str(seed), "--out", str(folder)),
        ],
        check=True,
        capture_output=True,
    )
    print(f"generated {files:,} files in {time.perf_counter() - started:.1f} s")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(
        [
            *cli(),
            *("archive", str(folder), "--store", str(workdir / "archive")),
            *("--partial", "--quiet", "--format", "json"),
        ],
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if done.returncode not in (0, 1):
        raise SystemExit(f"archive failed ({done.returncode}): {done.stderr[-2000:]}")
    import json

    report = json.loads(done.stdout)
    print(
        f"[local store] archive of {files:,} files: {report['stored']:,} stored,"
        f" {report['refused']:,} refused, in {seconds:.1f} s ({files / seconds:,.0f} files/s,"
        " validation included)"
    )
    note = "" if peak > before else " (not above the generator's peak: at most this)"
    print(f"[local store] peak resident memory of the archive run: {peak / 1024:,.0f} MiB{note}")
    print("[S3] not measured: no S3 backend on main yet")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--files", type=int, default=100_000, help="files for the archive run")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--dir", type=Path, default=None, help="where the files and store go")
    parser.add_argument("--pg", metavar="URL", help="PostgreSQL for the index part")
    parser.add_argument("--index-count", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kanta-scale-", dir=args.dir) as tmp:
        archive_run(args.files, Path(tmp), args.seed)
    if args.pg:
        sys.path.insert(0, str(Path(__file__).parent))
        import index as index_bench

        index_bench.main(["--count", str(args.index_count), "--no-sqlite", "--pg", args.pg])
    return 0


if __name__ == "__main__":
    sys.exit(main())
