"""Options the archive and access commands share: where the store is, who acts, and the
progress bar. Each command module imports these; no command module imports another."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kanta_archive.cli.common import NullStream, StoreLocation

if TYPE_CHECKING:
    from kanta_archive.session import ArchiveSession

STORE_ENV = "KANTA_ARCHIVE_STORE"
INDEX_ENV = "KANTA_ARCHIVE_INDEX"
# One variable, one meaning: KANTA_ARCHIVE_AS is an organisation (--as), KANTA_ARCHIVE_ACTOR
# a person (--actor).
AS_ENV = "KANTA_ARCHIVE_AS"
ACTOR_ENV = "KANTA_ARCHIVE_ACTOR"


ACCESS_ENV = "KANTA_ARCHIVE_ACCESS"
_ACCESS_KEY = "kanta_archive.access_url"


def _remember_access(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    ctx.meta[_ACCESS_KEY] = value


def access_url_option() -> str | None:
    """The running command's ``--access`` URL (``None``: the library's default, the index
    URL when it is PostgreSQL, else files in the store)."""
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get(_ACCESS_KEY) if ctx is not None else None


def store_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--store``, ``--index`` and ``--access``."""
    func = click.option(
        "--access",
        envvar=ACCESS_ENV,
        default=None,
        metavar="URL",
        expose_value=False,
        is_eager=True,
        callback=_remember_access,
        help="Where the registry, rights, links, disclosures and audit log live: "
        "sqlite://<path> or postgresql://…  [default: the --index URL when it is "
        "PostgreSQL, else files in the store; env KANTA_ARCHIVE_ACCESS]",
    )(func)
    func = click.option(
        "--index",
        "index_url",
        envvar=INDEX_ENV,
        default=None,
        metavar="URL",
        help="Index URL: sqlite://<path> or postgresql://…  [default: "
        "sqlite://<store>/index.sqlite; env KANTA_ARCHIVE_INDEX]",
    )(func)
    func = click.option(
        "--store",
        "store_path",
        envvar=STORE_ENV,
        default="./archive",
        show_default=True,
        type=StoreLocation(),
        metavar="DIR|URL",
        help="Store directory, or s3://bucket/prefix for S3-compatible object storage "
        "(endpoint and credentials the usual AWS ways, e.g. AWS_ENDPOINT_URL; give --index "
        "too) (env KANTA_ARCHIVE_STORE).",
    )(func)
    return func


def acting_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--as <OID>`` (the organisation acting) and ``--actor`` (the person)."""
    func = click.option(
        "--actor",
        "person",
        envvar=ACTOR_ENV,
        default=None,
        metavar="NAME",
        help="The person acting (recorded in the store's versions and the audit log); env "
        "KANTA_ARCHIVE_ACTOR, default the login name.",
    )(func)
    return click.option(
        "--as",
        "as_org",
        envvar=AS_ENV,
        default=None,
        metavar="OID",
        help="The organisation acting (required once the store has an organisation "
        "registry); env KANTA_ARCHIVE_AS.",
    )(func)


@contextmanager
def open_session(
    store_path: Path,
    index_url: str | None,
    as_org: str | None = None,
    person: str | None = None,
    *,
    create: bool = False,
    validator: Any = None,
    recover_index: bool = False,
) -> Iterator[ArchiveSession]:
    """The library session of one command: the store, acting as ``--as``/``--actor``.

    An ``--as`` from the environment rather than the command line is a default: a store
    without an organisation registry ignores it instead of refusing it."""
    from kanta_archive.cli.common import CliState
    from kanta_archive.session import Actor, open_archive

    ctx = click.get_current_context()
    from_env = ctx.get_parameter_source("as_org") is not click.core.ParameterSource.COMMANDLINE
    actor = Actor(as_org, person, organisation_is_default=from_env)
    state = ctx.find_object(CliState)
    with open_archive(
        store_path,
        actor=actor,
        index_url=index_url,
        create=create,
        validator=validator,
        registry=state.schema_registry if state is not None else None,
        access_url=access_url_option(),
        recover_index=recover_index,
    ) as session:
        yield session


quiet_option = click.option("--quiet", "-q", is_flag=True, help="No progress bar.")


@contextmanager
def progress(label: str, length: int, quiet: bool) -> Iterator[Callable[[int], None]]:
    """A progress bar on a terminal for long work (else nothing); yields ``advance(n)``."""
    show = not quiet and sys.stderr.isatty() and length > 20
    sink: Any = sys.stderr if show else NullStream()
    with click.progressbar(length=length, label=label, file=sink) as bar:
        yield bar.update


def listing_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--format`` for a listing (text, json, jsonl, csv, tsv), ``--columns``,
    ``--no-header``: the same on every command that lists records."""
    from kanta_archive.reports.records import LISTING_FORMATS

    func = click.option("--no-header", is_flag=True, help="No header line (text, csv and tsv).")(
        func
    )
    func = click.option(
        "--columns",
        default=None,
        metavar="A,B,…",
        help="Only these columns, in this order (comma-separated).",
    )(func)
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(LISTING_FORMATS),
        default=None,
        help="text (aligned columns, for people), json, jsonl (one object per line), csv or "
        "tsv [default: text on a terminal, else json].",
    )(func)


def record_format_option(default: str = "text") -> Callable[..., Any]:
    """``--format text|json`` for a command that prints one record or report."""
    from kanta_archive.reports.records import RECORD_FORMATS

    return click.option(
        "--format",
        "fmt",
        type=click.Choice(RECORD_FORMATS),
        default=default,
        show_default=True,
        help="text for people, json for machines.",
    )


def listing_format(fmt: str | None) -> str:
    """The listing format: as given, else ``text`` on a terminal and ``json`` otherwise."""
    return fmt or ("text" if sys.stdout.isatty() else "json")


def split_columns(columns: str | None) -> list[str] | None:
    """``--columns a,b`` as a list (``None`` when not given)."""
    if columns is None:
        return None
    return [c.strip() for c in columns.split(",") if c.strip()]


def emit_listing(
    records: Iterable[Mapping[str, Any]],
    *,
    fmt: str | None,
    columns: str | None,
    no_header: bool,
    known: Sequence[str],
    key: str,
    text_columns: Sequence[str] | None = None,
    envelope: Mapping[str, Any] | None = None,
    trailer: Callable[[], Mapping[str, Any]] | None = None,
) -> None:
    """Write a listing to stdout in the chosen format (see :func:`listing_format`):
    ``--columns`` picked from ``known``, else ``text_columns`` for text, else every one."""
    from kanta_archive.cli.common import write_chunks
    from kanta_archive.reports.records import pick, render_listing

    fmt = listing_format(fmt)
    chosen = pick(split_columns(columns), known)
    if columns is None and fmt == "text" and text_columns is not None:
        chosen = list(text_columns)
    write_chunks(
        render_listing(
            records,
            fmt,
            columns=chosen,
            header=not no_header,
            key=key,
            envelope=envelope,
            trailer=trailer,
        )
    )
