"""Archive commands: archive, query, show, history, invalidate, transfer-controller, verify,
reindex, export. Each parses its options, makes one call on the library's
:class:`~kanta_archive.session.ArchiveSession` and renders the result with
:mod:`kanta_archive.reports`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click

from kanta_archive.cli.common import (
    CliState,
    load_trust_anchors,
    trust_option,
    write_stdout,
    write_stdout_bytes,
)
from kanta_archive.cli.options import (
    acting_options,
    emit_listing,
    listing_format,
    listing_options,
    open_session,
    progress,
    quiet_option,
    record_format_option,
    store_options,
)
from kanta_archive.exitcodes import ExitCode

if TYPE_CHECKING:
    from kanta_archive.session import Part


def _oid(value: str, what: str) -> str:
    """Check an OID given on the command line before anything touches the filesystem."""
    from kanta_archive.store.layout import check_oid

    return check_oid(value, what)


def _reveal_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option(
        "--reason", default=None, help="Why the data are revealed (recorded in the audit log)."
    )(func)
    return click.option(
        "--reveal",
        is_flag=True,
        help="Show data under a non-disclosure marking unmasked (controller only, with --as "
        "and --reason; audited).",
    )(func)


# ---------------------------------------------------------------------- archive


@click.command("archive")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--partial", is_flag=True, help="Store the valid documents even if others fail.")
@record_format_option()
@trust_option
@acting_options
@quiet_option
@store_options
@click.pass_obj
def archive(
    state: CliState,
    inputs: tuple[Path, ...],
    partial: bool,
    fmt: str,
    trust: tuple[Path, ...],
    as_org: str | None,
    person: str | None,
    quiet: bool,
    store_path: Path,
    index_url: str | None,
) -> None:
    """Validate documents (files or folders), then store them.

    The whole batch is validated first: if any document is invalid, nothing is stored,
    the findings are listed and the exit code is 1 (--partial stores the valid ones and
    still exits 1). A new version must carry the next version number and name the stored
    version as its previous_version_oid; an identical document already stored is reported
    "unchanged". The store is created if the directory is missing or empty (and not left
    behind when nothing is stored).

    \b
    Example:
      kanta-archive archive samples/valid/ --store ./archive
      kanta-archive archive new-version.json --partial
      kanta-archive archive signed/ --trust ca.pem
    """
    from kanta_archive.archive.ingest import ingest_paths
    from kanta_archive.reports.archive_text import ingest_record, ingest_text
    from kanta_archive.reports.records import to_json

    paths = ingest_paths(list(inputs))
    if not paths:
        click.echo("Error: no documents found in the given inputs", err=True)
        raise click.exceptions.Exit(int(ExitCode.USAGE))
    from kanta_archive.codesets import load_codesets

    # A local store's own code sets (kanta-archive codesets import --store) count too.
    store_dirs = (store_path,) if isinstance(store_path, Path) else ()
    codesets = load_codesets((*state.registry().extra_dirs, *store_dirs))
    validator = state.validator(trust_anchors=load_trust_anchors(trust), codesets=codesets)
    with (
        open_session(
            store_path, index_url, as_org, person, create=True, validator=validator
        ) as session,
        progress("Archiving", 2 * len(paths), quiet) as advance,
    ):
        report = session.ingest(paths, partial=partial, progress=advance)
    write_stdout(to_json(ingest_record(report)) if fmt == "json" else ingest_text(report))
    if not report.ok:
        raise click.exceptions.Exit(int(ExitCode.INVALID))


# ---------------------------------------------------------------------- query


@click.command("query")
@click.option("--client", help="HETU or temporary identifier of a client.")
@click.option("--controller", "controller_oid", help="Controller OID.")
@click.option("--document-type", help="Document type code (1.2.246.537.6.1503).")
@click.option("--service-task", help="Service task code (1.2.246.537.6.1221), e.g. 10.")
@click.option("--case", "case_oid", help="Case OID.")
@click.option("--customership", "customership_oid", help="Customership OID.")
@click.option("--author-org", "author_org_oid", help="Author's organisation OID.")
@click.option("--set", "set_oid", help="Document set OID.")
@click.option(
    "--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), help="Effective on or after."
)
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), help="Effective on or before.")
@click.option("--status", type=click.Choice(["active", "invalidated"]), help="Only this status.")
@click.option("--include-invalidated", is_flag=True, help="Also list invalidated documents.")
@click.option(
    "--patient-data",
    type=click.Choice(["exclude", "include", "only"]),
    default="exclude",
    show_default=True,
    help="The social-welfare patient-data sub-register.",
)
@click.option("--all-versions", is_flag=True, help="Every version, not only the latest.")
@click.option("--sort", default="-effective_time", show_default=True, help="Sort key, - = desc.")
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=100,
    show_default=True,
    help="At most this many documents (any number: they are read page by page).",
)
@click.option("--all", "all_rows", is_flag=True, help="Every matching document (no --limit).")
@click.option("--offset", type=click.IntRange(min=0), default=0, show_default=True)
@listing_options
@acting_options
@store_options
def query(
    client: str | None,
    controller_oid: str | None,
    document_type: str | None,
    service_task: str | None,
    case_oid: str | None,
    customership_oid: str | None,
    author_org_oid: str | None,
    set_oid: str | None,
    date_from: Any,
    date_to: Any,
    status: str | None,
    include_invalidated: bool,
    patient_data: str,
    all_versions: bool,
    sort: str,
    limit: int,
    all_rows: bool,
    offset: int,
    fmt: str | None,
    columns: str | None,
    no_header: bool,
    as_org: str | None,
    person: str | None,
    store_path: Path,
    index_url: str | None,
) -> None:
    """List archived documents from the index (latest versions, active only by default).

    Dates are ISO 8601 (YYYY-MM-DD) calendar days in Finland. Every format but text is
    written as the rows are read, so --all streams any number of documents. In csv, tsv
    and text, booleans are true/false and clients are their identifiers joined by ';'.

    \b
    Example:
      kanta-archive query --client 150612A904S --service-task 24 --from 2024-01-01
      kanta-archive query --controller 1.2.246.10.91000013 --format csv > list.csv
      kanta-archive query --all --format jsonl --columns document_oid,status | wc -l
    """
    from kanta_archive.index import Query
    from kanta_archive.index.base import MAX_LIMIT
    from kanta_archive.reports.archive_text import QUERY_COLUMNS, QUERY_TEXT_COLUMNS, query_record

    q = Query(
        controller_oid=controller_oid,
        client=client,
        document_type=document_type,
        service_task=service_task,
        case_oid=case_oid,
        customership_oid=customership_oid,
        author_org_oid=author_org_oid,
        set_oid=set_oid,
        date_from=date_from.date() if date_from else None,
        date_to=date_to.date() if date_to else None,
        status=status,
        include_invalidated=include_invalidated,
        patient_data={"exclude": False, "include": None, "only": True}[patient_data],
        all_versions=all_versions,
        sort=sort,
        limit=min(limit, MAX_LIMIT),
        offset=offset,
    )
    fmt = listing_format(fmt)
    flat = fmt in ("csv", "tsv", "text")
    with open_session(store_path, index_url, as_org, person) as session:
        stream = session.stream(q, None if all_rows else limit)
        emit_listing(
            (query_record(row, flat=flat) for row in stream),
            fmt=fmt,
            columns=columns,
            no_header=no_header,
            known=QUERY_COLUMNS,
            text_columns=QUERY_TEXT_COLUMNS,
            key="documents",
            envelope={"offset": offset, "limit": None if all_rows else limit},
            trailer=lambda: {"total": stream.total},
        )
    if fmt == "text":
        click.echo(f"{stream.shown} of {stream.total} document(s)", err=True)
    if stream.hidden:
        click.echo(
            f"{stream.hidden} matching document(s) hidden: {as_org} may not read them", err=True
        )


# ---------------------------------------------------------------------- show / history


@click.command("show")
@click.argument("oid")
@click.option("--version", type=click.IntRange(min=1), help="Document version (with a set OID).")
@click.option("--metadata", "parts", flag_value="metadata", multiple=True, help="metadata.json.")
@click.option("--content", "parts", flag_value="content", multiple=True, help="Content as JSON.")
@click.option("--raw", "parts", flag_value="raw", multiple=True, help="The exact submitted bytes.")
@click.option(
    "--display",
    "parts",
    flag_value="display",
    multiple=True,
    help="The XHTML display form of a CDA document (masked like --content).",
)
@_reveal_options
@acting_options
@store_options
def show(
    oid: str,
    version: int | None,
    parts: tuple[str, ...],
    reveal: bool,
    reason: str | None,
    as_org: str | None,
    person: str | None,
    store_path: Path,
    index_url: str | None,
) -> None:
    """Show one archived document: OID is a document OID, or a set OID (latest version).

    Without an option prints a summary; --metadata, --content and --raw print one part
    (give one of them). An OID that is not stored exits 2.

    \b
    Example:
      kanta-archive show 1.2.246.10.91000013.11.2001.1 --raw > copy.json
      kanta-archive show 1.2.246.10.91000013.11.2001 --version 2 --metadata
      kanta-archive show 1.2.246.10.91000013.11.1001.1 --display > display.xhtml
    """
    from kanta_archive.errors import UsageError
    from kanta_archive.reports.archive_text import shown_text
    from kanta_archive.reports.records import to_json

    if len(set(parts)) > 1:
        raise UsageError("give one of --metadata, --content, --raw and --display, not several")
    part = cast("Part", parts[0] if parts else "summary")
    _oid(oid, "OID")
    with open_session(store_path, index_url, as_org, person) as session:
        shown = session.show(oid, version, part=part, reveal=reveal, reason=reason)
    document = shown.document
    if part == "raw":
        write_stdout_bytes(document.raw)
    elif part == "metadata":
        write_stdout(to_json(document.metadata))
    elif part == "content":
        write_stdout(to_json(shown.content))
    elif part == "display":
        write_stdout(shown.content)
    else:
        write_stdout(shown_text(document))


@click.command("history")
@click.argument("oid")
@record_format_option()
@acting_options
@store_options
def history(
    oid: str,
    fmt: str,
    as_org: str | None,
    person: str | None,
    store_path: Path,
    index_url: str | None,
) -> None:
    """Every version of a document set: when, who, and what changed.

    OID is a set OID or any of its document OIDs. With an organisation registry, the
    actor (--as) must be allowed to read the document, as for show; the read is audited.

    \b
    Example:
      kanta-archive history 1.2.246.10.91000013.11.2001
    """
    from kanta_archive.reports.archive_text import history_text
    from kanta_archive.reports.records import to_json

    _oid(oid, "OID")
    with open_session(store_path, index_url, as_org, person) as session:
        entries = session.history(oid)
    write_stdout(to_json(entries) if fmt == "json" else history_text(entries))


# ---------------------------------------------------------------------- changes


@click.command("invalidate")
@click.argument("oid")
@click.option("--reason", required=True, help="Why the document is invalidated.")
@acting_options
@store_options
def invalidate(
    oid: str,
    reason: str,
    as_org: str | None,
    person: str | None,
    store_path: Path,
    index_url: str | None,
) -> None:
    """Invalidate the current version of a document (its content stays retrievable).

    Queries hide invalidated documents unless --include-invalidated. With an
    organisation registry only the controller (--as) may invalidate; it is audited.

    \b
    Example:
      kanta-archive invalidate 1.2.246.10.91000013.11.2001.2 --reason "wrong client"
    """
    _oid(oid, "OID")
    with open_session(store_path, index_url, as_org, person) as session:
        shown = session.invalidate(oid, reason)
    write_stdout(f"invalidated {shown.document_oid} (OCFL v{shown.ocfl_version})\n")


@click.command("transfer-controller")
@click.option("--from", "from_oid", required=True, help="Current controller OID.")
@click.option("--to", "to_oid", required=True, help="New controller OID.")
@click.option("--reason", required=True, help="Why, e.g. a county merger.")
@acting_options
@quiet_option
@store_options
def transfer_controller(
    from_oid: str,
    to_oid: str,
    reason: str,
    as_org: str | None,
    person: str | None,
    quiet: bool,
    store_path: Path,
    index_url: str | None,
) -> None:
    """Give every document set of one controller to another (history keeps the old one).

    Safe to re-run after an interruption: it completes the job. A controller that holds
    no document set (and never did) exits 2. With an organisation registry the new
    controller, a public organisation, runs the transfer (--as); it is audited.

    \b
    Example:
      kanta-archive transfer-controller --from 1.2.246.10.91000021 \\
          --to 1.2.246.10.91000013 --reason "county merger" --as 1.2.246.10.91000013
    """
    from kanta_archive.reports.archive_text import transfer_text

    _oid(from_oid, "controller OID")
    _oid(to_oid, "controller OID")
    with open_session(store_path, index_url, as_org, person) as session:
        total = session.sets_of(from_oid)
        with progress("Transferring", total, quiet) as advance:
            report = session.transfer_controller(from_oid, to_oid, reason, progress=advance)
    write_stdout(transfer_text(report))


# ---------------------------------------------------------------------- fixity


@click.command("verify")
@click.option(
    "--full", is_flag=True, help="Also check every version inventory (not only the head's)."
)
@click.option(
    "--repair",
    is_flag=True,
    help="First finish or undo work a crash interrupted, and rebuild the index.",
)
@record_format_option()
@quiet_option
@store_options
def verify(
    full: bool, repair: bool, fmt: str, quiet: bool, store_path: Path, index_url: str | None
) -> None:
    """Check fixity: inventories, the digest of every content file, index vs store.

    Exit 0 when clean, 1 when problems are found. After a crash or a kill, --repair
    removes leftover workspaces, completes or removes half-placed versions and rebuilds
    the index before checking; it never removes an acknowledged version.

    \b
    Example:
      kanta-archive verify --full
      kanta-archive verify --repair
    """
    from kanta_archive.reports.archive_text import verify_record, verify_text
    from kanta_archive.reports.records import to_json

    with open_session(store_path, index_url, recover_index=repair) as session:
        if repair:
            for action in session.repair():
                click.echo(f"repaired: {action}", err=True)
        with progress("Verifying", session.object_count(), quiet) as advance:
            report = session.verify(full, progress=advance)
    write_stdout(to_json(verify_record(report)) if fmt == "json" else verify_text(report))
    if not report.ok:
        raise click.exceptions.Exit(int(ExitCode.INVALID))


@click.command("reindex")
@quiet_option
@store_options
def reindex(quiet: bool, store_path: Path, index_url: str | None) -> None:
    """Rebuild the index from the store alone (the metadata.json of every version), and
    replay the client links recorded in the store.

    The new index is built beside the old one, which answers queries until the end. A
    damaged index file is moved aside (index.sqlite.damaged-<time>). A document set that
    cannot be read is listed and keeps its old index rows; the exit code is then 3.

    \b
    Example:
      kanta-archive reindex --store ./archive
    """
    from kanta_archive.cli.common import echo_error

    with (
        open_session(store_path, index_url, recover_index=True) as session,
        progress("Reindexing", session.object_count(), quiet) as advance,
    ):
        report = session.reindex(progress=advance)
    links = f", restored {report.links} client link(s)" if report.links else ""
    write_stdout(f"indexed {report.versions} document version(s){links}\n")
    if not report.ok:
        for problem in report.problems:
            echo_error(f"cannot index {problem.object or problem.path}: {problem.message}")
        echo_error(
            f"{len(report.problems)} object(s) could not be read; they kept their"
            f" {report.kept} old index row(s). Run `kanta-archive verify --full` for details."
        )
        raise click.exceptions.Exit(int(ExitCode.FAILURE))


@click.command("export")
@click.argument("set_oid")
@click.option(
    "--to",
    "target",
    required=True,
    type=click.Path(path_type=Path),
    help="Directory to create (must not exist, or be empty).",
)
@_reveal_options
@acting_options
@store_options
def export(
    set_oid: str,
    target: Path,
    reveal: bool,
    reason: str | None,
    as_org: str | None,
    person: str | None,
    store_path: Path,
    index_url: str | None,
) -> None:
    """Export a document set as a self-contained OCFL object (every version, inventory).

    With an organisation registry, --as must be allowed to read the set; a set whose
    client has a non-disclosure marking is exported (unmasked bytes) only by its
    controller with --reveal --reason.

    \b
    Example:
      kanta-archive export 1.2.246.10.91000013.11.2001 --to ./export/2001
    """
    _oid(set_oid, "document set OID")
    with open_session(store_path, index_url, as_org, person) as session:
        path = session.export(set_oid, target, reveal=reveal, reason=reason)
    write_stdout(f"exported {set_oid} to {path}\n")


COMMANDS = (
    archive,
    query,
    show,
    history,
    invalidate,
    transfer_controller,
    verify,
    reindex,
    export,
)

__all__ = ["COMMANDS"]
