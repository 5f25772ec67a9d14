"""Options the archive and access commands share: where the store is, who acts, and the
progress bar. Each command module imports these; no command module imports another."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from kanta_archive.cli.common import NullStream

STORE_ENV = "KANTA_ARCHIVE_STORE"
INDEX_ENV = "KANTA_ARCHIVE_INDEX"
AS_ENV = "KANTA_ARCHIVE_ACTOR"


def store_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--store`` and ``--index``."""
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
        type=click.Path(path_type=Path),
        help="Store directory (env KANTA_ARCHIVE_STORE).",
    )(func)
    return func


def as_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--as <OID>``: the organisation acting (env KANTA_ARCHIVE_ACTOR)."""
    return click.option(
        "--as",
        "as_org",
        envvar=AS_ENV,
        default=None,
        metavar="OID",
        help="The organisation acting (required once the store has an organisation "
        "registry); env KANTA_ARCHIVE_ACTOR.",
    )(func)


def resolve_actor(store_path: Path, as_org: str | None) -> str | None:
    """The acting organisation, or ``None`` for "no access checks" (no registry).

    With a registry, ``--as`` is required. Without one, an ``--as`` on the command line is
    a usage error; a value from the environment is ignored (it may be a user name, as for
    ``--actor``), so stores without a registry behave as before.
    """
    from kanta_archive.access import registry_exists
    from kanta_archive.errors import UsageError

    ctx = click.get_current_context()
    source = ctx.get_parameter_source("as_org")
    if registry_exists(store_path):
        if not as_org:
            raise UsageError(
                "this store has an organisation registry: say which organisation acts with "
                "--as <OID> (env KANTA_ARCHIVE_ACTOR)"
            )
        return as_org
    if as_org and source is click.core.ParameterSource.COMMANDLINE:
        raise UsageError(
            "--as needs an organisation registry in the store; import one with "
            "`kanta-archive orgs import orgs.csv`"
        )
    return None


quiet_option = click.option("--quiet", "-q", is_flag=True, help="No progress bar.")


@contextmanager
def progress(label: str, length: int, quiet: bool) -> Iterator[Callable[[int], None]]:
    """A progress bar on a terminal for long work (else nothing); yields ``advance(n)``."""
    show = not quiet and sys.stderr.isatty() and length > 20
    sink: Any = sys.stderr if show else NullStream()
    with click.progressbar(length=length, label=label, file=sink) as bar:
        yield bar.update
