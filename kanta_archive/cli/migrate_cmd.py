"""``migrate``: copy a store (a local folder) into another (an S3 bucket), resumably."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

from kanta_archive.cli.common import StoreLocation, write_stdout
from kanta_archive.cli.options import INDEX_ENV, progress, quiet_option, record_format_option


@contextmanager
def _progress(total: int, quiet: bool) -> Iterator[Callable[[int], None]]:
    """A bar on a terminal; otherwise (a migration runs for hours, often in a job with its
    output in a log) one line on stderr per batch of sets."""
    if quiet or sys.stderr.isatty():
        with progress("Migrating", total, quiet) as bar:
            yield bar
        return
    done = 0

    def line(count: int) -> None:
        nonlocal done
        done += count
        click.echo(f"migrate: {done} of {total} document set(s)", err=True)

    yield line


@click.command("migrate")
@click.option(
    "--from",
    "source",
    required=True,
    type=StoreLocation(),
    metavar="DIR|URL",
    help="The store to copy (it is only read; stop its writers first).",
)
@click.option(
    "--to",
    "target",
    required=True,
    type=StoreLocation(),
    metavar="URL|DIR",
    help="The new store: s3://bucket/prefix (made when new) or a directory.",
)
@click.option(
    "--index",
    "index_url",
    envvar=INDEX_ENV,
    default=None,
    metavar="URL",
    help="The new store's index: postgresql://… or sqlite://<path> (env KANTA_ARCHIVE_INDEX).",
)
@click.option(
    "--access",
    "access_url",
    default=None,
    metavar="URL",
    help="Where the new store's registry, rights, links, disclosures and audit log go "
    "[default: the --index URL when it is PostgreSQL].",
)
@click.option(
    "--from-access",
    "source_access_url",
    default=None,
    metavar="URL",
    help="Where the source's access records and audit log are, when not files in its folder.",
)
@quiet_option
@record_format_option()
def migrate(
    source: object,
    target: object,
    index_url: str | None,
    access_url: str | None,
    source_access_url: str | None,
    quiet: bool,
    fmt: str,
) -> None:
    """Copy every document set (every version, byte for byte), the access records and the
    audit log of one store into another, then build the new store's index.

    Each version goes in with the target's own commit protocol, so an interrupted run
    (killed, a lost connection) is simply run again: it continues where the target is,
    copies nothing twice and loses nothing. Afterwards `verify --full` and `reindex` work
    on the target. Progress goes to stderr (a bar on a terminal, else a line per batch
    of sets); `--format json` prints the summary for machines.

    \b
    Example:
      kanta-archive migrate --from ./archive --to s3://bucket/kanta \\
          --index postgresql://kanta@db/kanta
    """
    from kanta_archive.archive.migrate import migrate as run
    from kanta_archive.reports.archive_text import migrate_text
    from kanta_archive.reports.records import plain, to_json
    from kanta_archive.store import Store

    sets = sum(1 for _ in Store.open(str(source), readonly=True).scan_objects())
    with _progress(sets, quiet) as advance:
        report = run(
            str(source),
            str(target),
            index_url=index_url,
            access_url=access_url,
            source_access_url=source_access_url,
            progress=advance,
        )
    write_stdout(to_json(plain(report)) if fmt == "json" else migrate_text(report))


COMMANDS = [migrate]
