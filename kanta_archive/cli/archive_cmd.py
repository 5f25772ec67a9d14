"""Archive commands: archive, query, show, history, invalidate, transfer-controller, verify,
reindex, export. Thin wrappers over :class:`kanta_archive.archive.Archive`."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kanta_archive.cli.common import CliState, load_trust_anchors, trust_option, write_stdout
from kanta_archive.cli.options import (
    as_option,
    progress,
    quiet_option,
    resolve_actor,
    store_options,
)
from kanta_archive.exitcodes import ExitCode

if TYPE_CHECKING:
    from kanta_archive.access.service import AccessService
    from kanta_archive.archive import Archive
    from kanta_archive.index import IndexRow


@contextmanager
def _open(
    store_path: Path, index_url: str | None, *, create: bool = False, validator: Any = None
) -> Iterator[Archive]:
    from kanta_archive.archive import Archive

    archive = Archive.open(store_path, index_url, create=create, validator=validator)
    try:
        yield archive
    finally:
        archive.close()


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


def _check_reveal(acting: str | None, reveal: bool) -> None:
    from kanta_archive.errors import UsageError

    if reveal and acting is None:
        raise UsageError("--reveal needs an organisation registry and --as <OID>")


def _guard_protected(
    svc: AccessService,
    shown: list[Any],
    acting: str,
    reveal: bool,
    reason: str | None,
    unmasked_output: bool,
    what: str,
) -> None:
    """Reveal (audited, controller only) or refuse unmaskable output of protected data."""
    from kanta_archive.access.service import is_protected
    from kanta_archive.errors import RefusedError

    protected = [s for s in shown if is_protected(s)]
    if reveal:
        for item in protected or shown[-1:]:
            svc.reveal(item, acting, reason)
    elif protected and unmasked_output:
        raise RefusedError(
            f"non-disclosure: {what} would output {protected[0].document_oid} unmasked; a "
            "client has a non-disclosure marking, so only the controller may, with --reveal "
            "--reason"
        )


def _restore_links(arch: Archive) -> int:
    """Replay the client links recorded in the access store (if any) into the index."""
    from kanta_archive.access import ACCESS_FILE

    if not (arch.store.path / ACCESS_FILE).is_file():
        return 0
    with _access(arch, None) as svc:
        return svc.restore_links()


def _audit_transfer(arch: Archive, report: Any, reason: str, actor: str | None) -> None:
    """Record a controller transfer in the audit log of a store with access control."""
    from kanta_archive.access import ACCESS_FILE
    from kanta_archive.access.audit import AuditLog
    from kanta_archive.archive.service import default_actor

    if not (arch.store.path / ACCESS_FILE).is_file():
        return
    AuditLog(arch.store.path).append(
        "controller-transfer",
        actor=actor or default_actor(),
        documents=list(report.moved),
        details={"from": report.from_controller, "to": report.to_controller, "reason": reason},
    )


@contextmanager
def _access(arch: Archive, user: str | None) -> Iterator[AccessService]:
    from kanta_archive.access.service import open_service

    svc = open_service(arch, user)
    try:
        yield svc
    finally:
        svc.access.close()


_actor = click.option(
    "--actor",
    envvar="KANTA_ARCHIVE_ACTOR",
    default=None,
    help="Who acts (recorded in the version); env KANTA_ARCHIVE_ACTOR, default the login name.",
)


# ---------------------------------------------------------------------- archive


@click.command("archive")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--partial", is_flag=True, help="Store the valid documents even if others fail.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format of the per-document report.",
)
@trust_option
@_actor
@as_option
@quiet_option
@store_options
@click.pass_obj
def archive(
    state: CliState,
    inputs: tuple[Path, ...],
    partial: bool,
    fmt: str,
    trust: tuple[Path, ...],
    actor: str | None,
    as_org: str | None,
    quiet: bool,
    store_path: Path,
    index_url: str | None,
) -> None:
    """Validate documents (files or folders), then store them.

    The whole batch is validated first: if any document is invalid, nothing is stored,
    the findings are listed and the exit code is 1 (--partial stores the valid ones and
    still exits 1). A new version must carry the next version number and name the stored
    version as its previous_version_oid; an identical document already stored is reported
    "unchanged". The store is created if the directory is missing or empty.

    \b
    Example:
      kanta-archive archive samples/valid/ --store ./archive
      kanta-archive archive new-version.json --partial
      kanta-archive archive signed/ --trust ca.pem
    """
    from kanta_archive import __version__
    from kanta_archive.archive.service import ingest_paths
    from kanta_archive.reports import get_reporter
    from kanta_archive.validate import Validator

    paths = ingest_paths(list(inputs))
    if not paths:
        click.echo("Error: no documents found in the given inputs", err=True)
        raise click.exceptions.Exit(int(ExitCode.USAGE))
    from kanta_archive.codesets import load_codesets

    registry = state.registry()
    # The store's own code sets (kanta-archive codesets import --store) count too.
    codesets = load_codesets((*registry.extra_dirs, store_path))
    validator = Validator(registry, codesets, trust_anchors=load_trust_anchors(trust))
    acting = resolve_actor(store_path, as_org)
    with (
        _open(store_path, index_url, create=True, validator=validator) as arch,
        progress("Archiving", 2 * len(paths), quiet) as advance,
    ):
        if acting is None:
            report = arch.ingest(paths, partial=partial, actor=actor, progress=advance)
        else:
            with _access(arch, actor) as svc:
                report = svc.ingest(paths, acting, partial=partial, progress=advance)
    if fmt == "json":
        write_stdout(
            json.dumps(
                {
                    "stored": report.count("stored"),
                    "unchanged": report.count("unchanged"),
                    "refused": report.count("refused"),
                    "documents": [asdict(item) for item in report.items],
                },
                indent=2,
                ensure_ascii=False,
            )
            + "\n"
        )
    else:
        if report.invalid:
            write_stdout(
                get_reporter("text").render(
                    list(report.invalid), tool_version=__version__, color=False
                )
            )
        lines = []
        for item in report.items:
            version = f" v{item.version}" if item.version is not None else ""
            reason = f" ({item.reason})" if item.reason else ""
            lines.append(f"{item.status:<9} {item.source}{version}{reason}")
        lines.append(
            f"{report.count('stored')} stored, {report.count('unchanged')} unchanged, "
            f"{report.count('refused')} refused"
        )
        write_stdout("\n".join(lines) + "\n")
    if not report.ok:
        raise click.exceptions.Exit(int(ExitCode.INVALID))


# ---------------------------------------------------------------------- query

QUERY_COLUMNS = (
    "effective_time",
    "document_oid",
    "version",
    "status",
    "service_task",
    "document_type",
    "controller",
    "title",
)


def _row_dict(row: IndexRow) -> dict[str, Any]:
    return {
        "document_oid": row.document_oid,
        "set_oid": row.set_oid,
        "version": row.version,
        "is_head": row.is_head,
        "status": row.status,
        "effective_time": row.effective_time,
        "created": row.created,
        "title": row.title,
        "document_type": row.document_type_code,
        "document_group": row.document_group_code,
        "service_task": row.service_task_code,
        "controller": row.controller_oid,
        "controller_type": row.controller_type,
        "producer": row.producer_oid,
        "service_unit": row.service_unit_oid,
        "author_organisation": row.author_org_oid,
        "case_oid": row.case_oid,
        "customership_oid": row.customership_oid,
        "common_matter_oid": row.common_matter_oid,
        "patient_data": row.patient_data,
        "storage_format": row.storage_format,
        "non_disclosure": row.non_disclosure,
        "clients": [
            {"id": c.client_id, "kind": c.id_kind, "non_disclosure": c.non_disclosure}
            for c in row.clients
        ],
    }


def _table(rows: list[dict[str, Any]]) -> str:
    cells = [[str(r[c]) if r[c] is not None else "" for c in QUERY_COLUMNS] for r in rows]
    widths = [max([len(c)] + [len(line[i]) for line in cells]) for i, c in enumerate(QUERY_COLUMNS)]
    out = ["  ".join(c.ljust(w) for c, w in zip(QUERY_COLUMNS, widths, strict=True)).rstrip()]
    out += [
        "  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip() for line in cells
    ]
    return "\n".join(out) + "\n"


def _csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    columns = [c for c in rows[0] if c != "clients"] + ["clients"] if rows else list(QUERY_COLUMNS)
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        flat = dict(row)
        flat["clients"] = ";".join(c["id"] for c in row["clients"])
        writer.writerow(flat)
    return buffer.getvalue()


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
@click.option("--limit", type=click.IntRange(0, 10_000), default=100, show_default=True)
@click.option("--offset", type=click.IntRange(min=0), default=0, show_default=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default=None,
    help="Output format [default: table on a terminal, else json].",
)
@as_option
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
    offset: int,
    fmt: str | None,
    as_org: str | None,
    store_path: Path,
    index_url: str | None,
) -> None:
    """List archived documents from the index (latest versions, active only by default).

    Dates are ISO 8601 (YYYY-MM-DD) calendar days in Finland.

    \b
    Example:
      kanta-archive query --client 150612A904S --service-task 24 --from 2024-01-01
      kanta-archive query --controller 1.2.246.10.91000013 --format csv > list.csv
    """
    from kanta_archive.index import Query

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
        limit=limit,
        offset=offset,
    )
    acting = resolve_actor(store_path, as_org)
    with _open(store_path, index_url) as arch:
        if acting is None:
            result = arch.query(q)
        else:
            with _access(arch, None) as svc:
                filtered = svc.query(q, acting)
            result = filtered.result
            if filtered.hidden:
                click.echo(
                    f"{filtered.hidden} matching document(s) hidden: {acting} may not read them",
                    err=True,
                )
    rows = [_row_dict(r) for r in result.rows]
    fmt = fmt or ("table" if sys.stdout.isatty() else "json")
    if fmt == "json":
        payload = {"total": result.total, "offset": offset, "limit": limit, "documents": rows}
        write_stdout(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        write_stdout(_csv(rows))
    else:
        write_stdout(_table(rows))
        click.echo(f"{len(rows)} of {result.total} document(s)", err=True)


# ---------------------------------------------------------------------- show / history


@click.command("show")
@click.argument("oid")
@click.option("--version", type=click.IntRange(min=1), help="Document version (with a set OID).")
@click.option("--metadata", "what", flag_value="metadata", help="Print metadata.json.")
@click.option("--content", "what", flag_value="content", help="Print the content as JSON.")
@click.option("--raw", "what", flag_value="raw", help="Print the exact submitted bytes.")
@_reveal_options
@as_option
@store_options
@click.pass_obj
def show(
    state: CliState,
    oid: str,
    version: int | None,
    what: str | None,
    reveal: bool,
    reason: str | None,
    as_org: str | None,
    store_path: Path,
    index_url: str | None,
) -> None:
    """Show one archived document: OID is a document OID, or a set OID (latest version).

    Without an option prints a summary. An OID that is not stored exits 2.

    \b
    Example:
      kanta-archive show 1.2.246.10.91000013.11.2001.1 --raw > copy.json
      kanta-archive show 1.2.246.10.91000013.11.2001 --version 2 --metadata
    """
    from kanta_archive.access.service import masked_content

    _oid(oid, "OID")
    acting = resolve_actor(store_path, as_org)
    _check_reveal(acting, reveal)
    with _open(store_path, index_url) as arch:
        if acting is None:
            shown = arch.show(oid, version)
        else:
            with _access(arch, None) as svc:
                shown = svc.show(oid, version, acting)
                _guard_protected(svc, [shown], acting, reveal, reason, what == "raw", "show --raw")
    if what == "raw":
        stream = sys.stdout
        if hasattr(stream, "buffer"):
            stream.buffer.write(shown.raw)
            stream.flush()
        else:
            click.echo(shown.raw, nl=False)
        return
    if what == "metadata":
        write_stdout(json.dumps(dict(shown.metadata), indent=2, ensure_ascii=False) + "\n")
        return
    if what == "content":
        content = shown.content()["content"] if reveal else masked_content(shown, state.registry())
        write_stdout(json.dumps(content, indent=2, ensure_ascii=False) + "\n")
        return
    meta = shown.metadata
    lines = [
        f"document     {shown.document_oid}",
        f"set          {shown.set_oid}",
        f"version      {shown.version} (OCFL v{shown.ocfl_version})",
        f"title        {meta.get('title')}",
        f"status       {meta.get('status')}",
        f"controller   {shown.controller_oid}",
        f"effective    {meta.get('effective_time')}",
        f"created      {meta.get('created')}",
        f"format       {shown.storage_format} ({len(shown.raw)} bytes)",
    ]
    invalidation = meta.get("invalidation")
    if isinstance(invalidation, dict):
        lines.append(f"invalidated  {invalidation.get('time')}: {invalidation.get('reason')}")
    write_stdout("\n".join(lines) + "\n")


@click.command("history")
@click.argument("oid")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
@as_option
@store_options
def history(
    oid: str, fmt: str, as_org: str | None, store_path: Path, index_url: str | None
) -> None:
    """Every version of a document set: when, who, and what changed.

    OID is a set OID or any of its document OIDs. With an organisation registry, the
    actor (--as) must be allowed to read the document, as for show; the read is audited.

    \b
    Example:
      kanta-archive history 1.2.246.10.91000013.11.2001
    """
    _oid(oid, "OID")
    acting = resolve_actor(store_path, as_org)
    with _open(store_path, index_url) as arch:
        if acting is not None:
            with _access(arch, None) as svc:
                svc.show(oid, None, acting)  # the read rule and its audit entry
        entries = arch.history(oid)
    if fmt == "json":
        write_stdout(json.dumps([asdict(e) for e in entries], indent=2, ensure_ascii=False) + "\n")
        return
    lines = []
    for e in entries:
        line = (
            f"v{e.ocfl_version}  {e.time}  {e.actor}  {e.event}  document {e.document_oid} "
            f"(version {e.version}, {e.status}, controller {e.controller_oid})"
        )
        if e.event == "controller-transferred":
            change = e.changes.get("controller", {})
            old = (change.get("from") or {}).get("oid")
            line += f"  from {old}"
        if e.reason:
            line += f"  reason: {e.reason}"
        lines.append(line)
    write_stdout("\n".join(lines) + "\n")


# ---------------------------------------------------------------------- changes


@click.command("invalidate")
@click.argument("oid")
@click.option("--reason", required=True, help="Why the document is invalidated.")
@_actor
@as_option
@store_options
def invalidate(
    oid: str,
    reason: str,
    actor: str | None,
    as_org: str | None,
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
    acting = resolve_actor(store_path, as_org)
    with _open(store_path, index_url) as arch:
        if acting is None:
            shown = arch.invalidate(oid, reason, actor=actor)
        else:
            with _access(arch, actor) as svc:
                shown = svc.invalidate(oid, reason, acting)
    write_stdout(f"invalidated {shown.document_oid} (OCFL v{shown.ocfl_version})\n")


@click.command("transfer-controller")
@click.option("--from", "from_oid", required=True, help="Current controller OID.")
@click.option("--to", "to_oid", required=True, help="New controller OID.")
@click.option("--reason", required=True, help="Why, e.g. a county merger.")
@_actor
@quiet_option
@store_options
def transfer_controller(
    from_oid: str,
    to_oid: str,
    reason: str,
    actor: str | None,
    quiet: bool,
    store_path: Path,
    index_url: str | None,
) -> None:
    """Give every document set of one controller to another (history keeps the old one).

    Safe to re-run after an interruption: it completes the job.

    \b
    Example:
      kanta-archive transfer-controller --from 1.2.246.10.91000021 \\
          --to 1.2.246.10.91000013 --reason "county merger"
    """
    _oid(from_oid, "controller OID")
    _oid(to_oid, "controller OID")
    with _open(store_path, index_url) as arch:
        total = sum(1 for c, _s in arch.store.iter_objects() if c == from_oid)
        with progress("Transferring", total, quiet) as advance:
            report = arch.transfer_controller(
                from_oid, to_oid, reason, actor=actor, progress=advance
            )
        _audit_transfer(arch, report, reason, actor)
    write_stdout(
        f"transferred {len(report.moved)} document set(s) from {from_oid} to {to_oid}"
        + (f" ({len(report.resumed)} resumed)" if report.resumed else "")
        + "\n"
    )


# ---------------------------------------------------------------------- fixity


@click.command("verify")
@click.option("--full", is_flag=True, help="Also check the digest of every file.")
@click.option(
    "--repair",
    is_flag=True,
    help="First finish or undo work a crash interrupted, and rebuild the index.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@quiet_option
@store_options
def verify(
    full: bool, repair: bool, fmt: str, quiet: bool, store_path: Path, index_url: str | None
) -> None:
    """Check fixity: inventories, content files (digests with --full), index vs store.

    Exit 0 when clean, 1 when problems are found. After a crash or a kill, --repair
    removes leftover workspaces, completes or removes half-placed versions and rebuilds
    the index before checking; it never removes an acknowledged version.

    \b
    Example:
      kanta-archive verify --full
      kanta-archive verify --repair
    """
    with _open(store_path, index_url) as arch:
        if repair:
            for action in arch.repair():
                click.echo(f"repaired: {action}", err=True)
        with progress("Verifying", arch.object_count(), quiet) as advance:
            report = arch.verify(full, progress=advance)
    if fmt == "json":
        payload = {
            "ok": report.ok,
            "objects": report.objects,
            "index_rows": report.index_rows,
            "problems": [asdict(p) for p in report.problems],
        }
        write_stdout(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    else:
        lines = [
            f"{p.severity}: {p.code}: {p.object or '-'}: {p.message}"
            + (f" [{p.path}]" if p.path else "")
            for p in report.problems
        ]
        lines.append(
            f"{report.objects} document set(s), {report.index_rows} index head row(s), "
            f"{len(report.problems)} problem(s)"
        )
        write_stdout("\n".join(lines) + "\n")
    if not report.ok:
        raise click.exceptions.Exit(int(ExitCode.INVALID))


@click.command("reindex")
@quiet_option
@store_options
def reindex(quiet: bool, store_path: Path, index_url: str | None) -> None:
    """Rebuild the index from the store alone (the metadata.json of every version).

    \b
    Example:
      kanta-archive reindex --store ./archive
    """
    with (
        _open(store_path, index_url) as arch,
        progress("Reindexing", arch.object_count(), quiet) as advance,
    ):
        count = arch.reindex(progress=advance)
        links = _restore_links(arch)
    write_stdout(
        f"indexed {count} document version(s)"
        + (f", restored {links} client link(s)" if links else "")
        + "\n"
    )


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
@as_option
@store_options
def export(
    set_oid: str,
    target: Path,
    reveal: bool,
    reason: str | None,
    as_org: str | None,
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
    acting = resolve_actor(store_path, as_org)
    _check_reveal(acting, reveal)
    with _open(store_path, index_url) as arch:
        if acting is not None:
            with _access(arch, None) as svc:
                head = svc.show(set_oid, None, acting)
                versions = [arch.show(set_oid, n) for n in range(1, head.version + 1)]
                _guard_protected(svc, versions, acting, reveal, reason, True, "export")
        path = arch.export(set_oid, target)
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
