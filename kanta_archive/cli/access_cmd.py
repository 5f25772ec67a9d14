"""Access commands: orgs, rights, clients, audit, disclose, disclosures; and the ``--as``
option the archive commands share. Thin wrappers over :mod:`kanta_archive.access`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kanta_archive.cli.common import CliState, write_stdout
from kanta_archive.cli.options import as_option, resolve_actor, store_options
from kanta_archive.exitcodes import ExitCode

if TYPE_CHECKING:
    from kanta_archive.access.service import AccessService


@contextmanager
def open_service(
    store_path: Path, index_url: str | None, user: str | None = None, *, create: bool = False
) -> Iterator[AccessService]:
    """A :class:`AccessService` on the store (closed at the end)."""
    from kanta_archive.access.service import open_service as _open_service
    from kanta_archive.archive import Archive

    archive = Archive.open(store_path, index_url, create=create)
    try:
        service = _open_service(archive, user)
        try:
            yield service
        finally:
            service.access.close()
    finally:
        archive.close()


_user = click.option(
    "--actor",
    "user",
    envvar="KANTA_ARCHIVE_USER",
    default=None,
    help="The person acting (recorded in the audit log); env KANTA_ARCHIVE_USER.",
)


def _iso_date(value: str, what: str) -> date:
    from kanta_archive.errors import UsageError

    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{what} {value!r} is not a date YYYY-MM-DD") from None


# ---------------------------------------------------------------------- orgs


@click.group("orgs")
def orgs() -> None:
    """The organisation registry: who may store into and read from the archive.

    \b
    Example:
      kanta-archive orgs import samples/orgs.csv --store ./archive
      kanta-archive orgs list
    """


@orgs.command("import")
@click.argument("csv_file", type=click.Path(path_type=Path, dir_okay=False))
@_user
@store_options
def orgs_import(csv_file: Path, user: str | None, store_path: Path, index_url: str | None) -> None:
    """Import organisations from a CSV file (all rows or nothing; bad rows are listed).

    Columns: oid,name,business_id,sector,joining_model,main_joiner_oid,organiser_oid,
    valid_from,valid_to. sector: public, private or health_care.

    \b
    Example:
      kanta-archive orgs import samples/orgs.csv --store ./archive
    """
    from kanta_archive.errors import InputError

    try:
        text = csv_file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {csv_file}: {exc}") from exc
    with open_service(store_path, index_url, user, create=True) as svc:
        imported = svc.import_orgs(text, actor=user or "registry-admin")
    write_stdout(f"imported {len(imported)} organisation(s)\n")


def _org_dict(org: Any) -> dict[str, Any]:
    data = asdict(org)
    data["valid_from"] = org.valid_from.isoformat()
    data["valid_to"] = org.valid_to.isoformat() if org.valid_to else None
    return data


@orgs.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@store_options
def orgs_list(fmt: str, store_path: Path, index_url: str | None) -> None:
    """List the registered organisations.

    \b
    Example:
      kanta-archive orgs list --format json
    """
    with open_service(store_path, index_url) as svc:
        items = svc.access.orgs()
    if fmt == "json":
        write_stdout(json.dumps([_org_dict(o) for o in items], indent=2, ensure_ascii=False))
        write_stdout("\n")
        return
    lines = [
        f"{o.oid:<28} {o.sector:<11} {o.joining_model:<8} "
        f"{o.valid_from}..{o.valid_to or ''}  {o.name}"
        for o in items
    ]
    write_stdout("\n".join(lines) + ("\n" if lines else ""))


@orgs.command("show")
@click.argument("oid")
@store_options
def orgs_show(oid: str, store_path: Path, index_url: str | None) -> None:
    """Show one registered organisation (JSON). Unknown OIDs exit 2.

    \b
    Example:
      kanta-archive orgs show 1.2.246.10.93000033
    """
    from kanta_archive.errors import UsageError

    with open_service(store_path, index_url) as svc:
        org = svc.access.org(oid)
    if org is None:
        raise UsageError(f"no organisation {oid} in the registry")
    write_stdout(json.dumps(_org_dict(org), indent=2, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------------- rights


@click.group("rights")
def rights() -> None:
    """Register usage rights: an organiser lets a producer use its register.

    \b
    Example:
      kanta-archive rights grant --organiser 1.2.246.10.91000013 \\
          --producer 1.2.246.10.94000019 --client 311299-9628 --service-task 20 \\
          --from 2024-01-01 --to 2024-12-31
    """


def _right_line(r: Any) -> str:
    state = f"revoked {r.revoked_at}" if r.revoked_at else "active"
    return (
        f"{r.right_id}  {r.organiser_oid} -> {r.producer_oid}  client {r.client or '*'}  "
        f"task {r.service_task or '*'}  {r.valid_from}..{r.valid_to}  {state}"
    )


@rights.command("grant")
@click.option("--organiser", required=True, help="The public organiser (register owner).")
@click.option("--producer", required=True, help="The producer that gets the right.")
@click.option("--client", default=None, help="Only this client (HETU); default every client.")
@click.option("--service-task", default=None, help="Only this service task code, e.g. 20.")
@click.option("--from", "date_from", required=True, help="First day (YYYY-MM-DD).")
@click.option("--to", "date_to", required=True, help="Last day (YYYY-MM-DD).")
@as_option
@_user
@store_options
def rights_grant(
    organiser: str,
    producer: str,
    client: str | None,
    service_task: str | None,
    date_from: str,
    date_to: str,
    as_org: str | None,
    user: str | None,
    store_path: Path,
    index_url: str | None,
) -> None:
    """Grant a register usage right; prints its id.

    Only a public organiser grants rights to its own register (with --as, the acting
    organisation must be the organiser).

    \b
    Example:
      kanta-archive rights grant --organiser 1.2.246.10.91000013 \\
          --producer 1.2.246.10.94000019 --client 311299-9628 --service-task 20 \\
          --from 2024-01-01 --to 2024-12-31
    """
    with open_service(store_path, index_url, user) as svc:
        actor = resolve_actor(store_path, as_org) if as_org else None
        right = svc.grant(
            organiser=organiser,
            producer=producer,
            client=client,
            service_task=service_task,
            valid_from=_iso_date(date_from, "--from"),
            valid_to=_iso_date(date_to, "--to"),
            actor=actor,
        )
    write_stdout(right.right_id + "\n")


@rights.command("revoke")
@click.argument("right_id")
@as_option
@_user
@store_options
def rights_revoke(
    right_id: str, as_org: str | None, user: str | None, store_path: Path, index_url: str | None
) -> None:
    """Revoke a register usage right (it stays listed as revoked).

    \b
    Example:
      kanta-archive rights revoke R-0123456789ab
    """
    with open_service(store_path, index_url, user) as svc:
        actor = resolve_actor(store_path, as_org) if as_org else None
        right = svc.revoke(right_id, actor=actor)
    write_stdout(_right_line(right) + "\n")


@rights.command("list")
@click.option("--organiser", default=None)
@click.option("--producer", default=None)
@store_options
def rights_list(
    organiser: str | None, producer: str | None, store_path: Path, index_url: str | None
) -> None:
    """List register usage rights (revoked ones too).

    \b
    Example:
      kanta-archive rights list --producer 1.2.246.10.94000019
    """
    with open_service(store_path, index_url) as svc:
        items = svc.access.rights(organiser=organiser, producer=producer)
    write_stdout("".join(_right_line(r) + "\n" for r in items))


# ---------------------------------------------------------------------- audit


@click.group("audit", invoke_without_command=True)
@click.option("--client", default=None, help="Only entries about this client.")
@click.option("--actor", "actor_filter", default=None, help="Only entries by this actor.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@store_options
@click.pass_context
def audit(
    ctx: click.Context,
    client: str | None,
    actor_filter: str | None,
    fmt: str,
    store_path: Path,
    index_url: str | None,
) -> None:
    """List the audit log (every store, read, right change, disclosure…).

    \b
    Example:
      kanta-archive audit --client 311299-9628
      kanta-archive audit verify
    """
    if ctx.invoked_subcommand is not None:
        return
    with open_service(store_path, index_url) as svc:
        entries = svc.audit_entries(client=client, actor=actor_filter)
    if fmt == "json":
        write_stdout(json.dumps(entries, indent=2, ensure_ascii=False) + "\n")
        return
    lines = [
        f"{e['seq']:>6}  {e['time']}  {e['event']:<19} {e['actor']}  "
        f"client {e.get('client') or '-'}  {' '.join(e.get('documents') or [])}"
        for e in entries
    ]
    write_stdout("\n".join(lines) + ("\n" if lines else ""))


@audit.command("verify")
@store_options
def audit_verify(store_path: Path, index_url: str | None) -> None:
    """Check the hash chain: exit 1 naming the first bad line.

    \b
    Example:
      kanta-archive audit verify --store ./archive
    """
    from kanta_archive.access.audit import AuditLog, verify
    from kanta_archive.store import Store

    store = Store.open(store_path)
    result = verify(AuditLog(store.path))
    if not result.ok:
        click.echo(f"audit.log line {result.bad_line}: {result.message}", err=True)
        raise click.exceptions.Exit(int(ExitCode.INVALID))
    write_stdout(f"audit log ok: {result.lines} line(s)\n")


# ---------------------------------------------------------------------- clients


@click.group("clients")
def clients() -> None:
    """Clients: link temporary identifiers, record that a client was informed.

    \b
    Example:
      kanta-archive clients link --temporary 1.2.246.10.91000021.22.2024.3 --hetu 010180-9026
      kanta-archive clients inform 150612A904S --by 1.2.246.10.91000013 --date 2024-06-01
    """


@clients.command("link")
@click.option("--temporary", "temporary_id", required=True, help="The temporary identifier.")
@click.option("--hetu", required=True, help="The client's HETU.")
@as_option
@_user
@store_options
def clients_link(
    temporary_id: str,
    hetu: str,
    as_org: str | None,
    user: str | None,
    store_path: Path,
    index_url: str | None,
) -> None:
    """Link a temporary identifier to the client's HETU (queries by HETU then find both).

    The link is kept in the index and in the access store, so `reindex` restores it.

    \b
    Example:
      kanta-archive clients link --temporary 1.2.246.10.91000021.22.2024.3 --hetu 010180-9026
    """
    with open_service(store_path, index_url, user) as svc:
        actor = resolve_actor(store_path, as_org)
        svc.link(temporary_id, hetu, actor or user or "unknown")
    write_stdout(f"linked {temporary_id} -> {hetu}\n")


@clients.command("unlink")
@click.option("--temporary", "temporary_id", required=True, help="The temporary identifier.")
@as_option
@_user
@store_options
def clients_unlink(
    temporary_id: str,
    as_org: str | None,
    user: str | None,
    store_path: Path,
    index_url: str | None,
) -> None:
    """Undo a link: queries by the HETU no longer find the temporary identifier's documents.

    Stored documents are never rewritten by linking or unlinking; the change is audited.

    \b
    Example:
      kanta-archive clients unlink --temporary 1.2.246.10.91000021.22.2024.3
    """
    with open_service(store_path, index_url, user) as svc:
        actor = resolve_actor(store_path, as_org)
        hetu = svc.unlink(temporary_id, actor or user or "unknown")
    write_stdout(f"unlinked {temporary_id} (was {hetu})\n")


@clients.command("inform")
@click.argument("hetu")
@click.option("--by", "by_oid", required=True, help="The organisation that informed the client.")
@click.option("--date", "on", required=True, help="When (YYYY-MM-DD).")
@_user
@store_options
def clients_inform(
    hetu: str, by_oid: str, on: str, user: str | None, store_path: Path, index_url: str | None
) -> None:
    """Record that the client was informed about Kanta (needed before disclosures).

    \b
    Example:
      kanta-archive clients inform 150612A904S --by 1.2.246.10.91000013 --date 2024-06-01
    """
    with open_service(store_path, index_url, user) as svc:
        svc.inform(hetu, by_oid, _iso_date(on, "--date"))
    write_stdout(f"recorded: {hetu} informed by {by_oid} on {on}\n")


# ---------------------------------------------------------------------- disclosure


@click.command("disclose")
@click.argument("document_oids", nargs=-1, required=True)
@click.option("--to", "to_oid", required=True, help="The receiving organisation.")
@click.option("--consent", default=None, help="OID of the client's consent document.")
@click.option("--date", "on", default=None, help="Disclosure date (YYYY-MM-DD), default today.")
@as_option
@_user
@store_options
def disclose(
    document_oids: tuple[str, ...],
    to_oid: str,
    consent: str | None,
    on: str | None,
    as_org: str | None,
    user: str | None,
    store_path: Path,
    index_url: str | None,
) -> None:
    """Disclose documents to another organisation (all checked before any is recorded).

    Both organisations must have joined; within social welfare the client must have been
    informed; to health care a valid consent document is needed; a disclosure ban blocks.

    \b
    Example:
      kanta-archive disclose 1.2.246.10.91000013.11.2001.1 --to 1.2.246.10.91000021 \\
          --as 1.2.246.10.91000013
    """
    from kanta_archive.errors import UsageError

    with open_service(store_path, index_url, user) as svc:
        actor = resolve_actor(store_path, as_org)
        if actor is None:
            raise UsageError("disclose needs an organisation registry and --as <OID>")
        day = _iso_date(on, "--date") if on else None
        rows = svc.disclose(document_oids, to_oid, actor, consent=consent, on=day)
    for document_oid, client in rows:
        write_stdout(f"disclosed {document_oid} (client {client}) to {to_oid}\n")


@click.command("disclosures")
@click.option("--client", required=True, help="The client's HETU.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@store_options
def disclosures(client: str, fmt: str, store_path: Path, index_url: str | None) -> None:
    """List the disclosures of a client's data (the client can follow them).

    \b
    Example:
      kanta-archive disclosures --client 150612A904S
    """
    with open_service(store_path, index_url) as svc:
        items = svc.access.disclosures(client)
    if fmt == "json":
        write_stdout(json.dumps(items, indent=2, ensure_ascii=False) + "\n")
        return
    lines = [
        f"{d['time']}  {d['document_oid']}  {d['from_oid']} -> {d['to_oid']}"
        + (f"  consent {d['consent_oid']}" if d["consent_oid"] else "")
        for d in items
    ]
    write_stdout("\n".join(lines) + ("\n" if lines else ""))


# ---------------------------------------------------------------------- summary


@click.command("summary")
@click.option("--client", required=True, help="The client's HETU (or temporary identifier).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "html"]),
    default="text",
    show_default=True,
)
@click.option("--patient-data", is_flag=True, help="Include the patient-data sub-register.")
@click.option("--reveal", is_flag=True, help="Unmask non-disclosure data (controller only).")
@click.option("--reason", default=None, help="Why the data are revealed (audited).")
@as_option
@_user
@store_options
@click.pass_obj
def summary(
    state: CliState,
    client: str,
    fmt: str,
    patient_data: bool,
    reveal: bool,
    reason: str | None,
    as_org: str | None,
    user: str | None,
    store_path: Path,
    index_url: str | None,
) -> None:
    """The client data summary (kooste): the client's documents the actor may read.

    Contact data under a non-disclosure marking are masked (***) unless the controller
    passes --reveal --reason. Patient data are left out unless --patient-data.

    \b
    Example:
      kanta-archive summary --client 150612A904S --as 1.2.246.10.91000013 --format html
    """
    from kanta_archive.errors import UsageError

    with open_service(store_path, index_url, user) as svc:
        actor = resolve_actor(store_path, as_org)
        if reveal and actor is None:
            raise UsageError("--reveal needs an organisation registry and --as <OID>")
        data = svc.summary(
            client,
            actor,
            patient_data=patient_data,
            reveal=reveal,
            reason=reason,
            registry=state.registry(),
        )
    from kanta_archive.reports.summary import render_html, render_text

    if fmt == "json":
        write_stdout(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    elif fmt == "html":
        write_stdout(render_html(data))
    else:
        write_stdout(render_text(data))
    if data["hidden"]:
        click.echo(f"{data['hidden']} document(s) hidden: {actor} may not read them", err=True)


COMMANDS = (orgs, rights, audit, clients, disclose, disclosures, summary)
