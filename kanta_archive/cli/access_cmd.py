"""Access commands: orgs, rights, clients, audit, disclose, disclosures, summary. Each
parses its options, makes one call on :attr:`ArchiveSession.access` (or the session) and
renders the result with :mod:`kanta_archive.reports`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from kanta_archive.cli.common import write_stdout
from kanta_archive.cli.options import (
    acting_options,
    emit_listing,
    listing_options,
    open_session,
    record_format_option,
    store_options,
)
from kanta_archive.exitcodes import ExitCode


def _iso_date(value: str, what: str) -> date:
    from kanta_archive.errors import UsageError

    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{what} {value!r} is not a date YYYY-MM-DD") from None


def _hidden(count: int, what: str, as_org: str | None) -> None:
    if count:
        click.echo(f"{count} {what} hidden: {as_org} may not read them", err=True)


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
@acting_options
@store_options
def orgs_import(
    csv_file: Path,
    as_org: str | None,
    person: str | None,
    store_path: Path,
    index_url: str | None,
) -> None:
    """Import organisations from a CSV file (all rows or nothing; bad rows are listed).

    Columns: oid,name,business_id,sector,joining_model,main_joiner_oid,organiser_oid,
    valid_from,valid_to. sector: public, private or health_care. The first import creates
    the registry; later imports act as a registered public organisation (--as), which may
    add organisations and change its own rows and those of the organisations that joined
    through it.

    \b
    Example:
      kanta-archive orgs import samples/orgs.csv --store ./archive
    """
    from kanta_archive.errors import InputError

    try:
        text = csv_file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {csv_file}: {exc}") from exc
    with open_session(store_path, index_url, as_org, person, create=True) as session:
        imported = session.access.import_orgs(text)
    write_stdout(f"imported {len(imported)} organisation(s)\n")


@orgs.command("list")
@listing_options
@store_options
def orgs_list(
    fmt: str | None,
    columns: str | None,
    no_header: bool,
    store_path: Path,
    index_url: str | None,
) -> None:
    """List the registered organisations.

    \b
    Example:
      kanta-archive orgs list --format json
    """
    from kanta_archive.reports.access_text import ORG_LISTING_COLUMNS, ORG_TEXT_COLUMNS, org_record

    with open_session(store_path, index_url) as session:
        items = session.access.orgs()
    emit_listing(
        (org_record(o) for o in items),
        fmt=fmt,
        columns=columns,
        no_header=no_header,
        known=ORG_LISTING_COLUMNS,
        text_columns=ORG_TEXT_COLUMNS,
        key="organisations",
    )


@orgs.command("show")
@click.argument("oid")
@record_format_option("json")
@store_options
def orgs_show(oid: str, fmt: str, store_path: Path, index_url: str | None) -> None:
    """Show one registered organisation. Unknown OIDs exit 2.

    \b
    Example:
      kanta-archive orgs show 1.2.246.10.93000033 --format json
    """
    from kanta_archive.reports.access_text import org_record
    from kanta_archive.reports.records import render_record

    with open_session(store_path, index_url) as session:
        org = session.access.org(oid)
    write_stdout(render_record(org_record(org), fmt))


# ---------------------------------------------------------------------- rights


@click.group("rights")
def rights() -> None:
    """Register usage rights: an organiser lets a producer use its register.

    \b
    Example:
      kanta-archive rights grant --organiser 1.2.246.10.91000013 \\
          --producer 1.2.246.10.94000019 --client 311299-9628 --service-task 20 \\
          --from 2024-01-01 --to 2024-12-31 --as 1.2.246.10.91000013
    """


@rights.command("grant")
@click.option("--organiser", required=True, help="The public organiser (register owner).")
@click.option("--producer", required=True, help="The producer that gets the right.")
@click.option("--client", default=None, help="Only this client (HETU); default every client.")
@click.option("--service-task", default=None, help="Only this service task code, e.g. 20.")
@click.option("--from", "date_from", required=True, help="First day (YYYY-MM-DD).")
@click.option("--to", "date_to", required=True, help="Last day (YYYY-MM-DD).")
@acting_options
@store_options
def rights_grant(
    organiser: str,
    producer: str,
    client: str | None,
    service_task: str | None,
    date_from: str,
    date_to: str,
    as_org: str | None,
    person: str | None,
    store_path: Path,
    index_url: str | None,
) -> None:
    """Grant a register usage right; prints its id.

    Only a public organiser grants rights to its own register: the acting organisation
    (--as, required) is the organiser or one of its units.

    \b
    Example:
      kanta-archive rights grant --organiser 1.2.246.10.91000013 \\
          --producer 1.2.246.10.94000019 --client 311299-9628 --service-task 20 \\
          --from 2024-01-01 --to 2024-12-31 --as 1.2.246.10.91000013
    """
    valid_from = _iso_date(date_from, "--from")
    valid_to = _iso_date(date_to, "--to")
    with open_session(store_path, index_url, as_org, person) as session:
        right = session.access.grant(
            organiser=organiser,
            producer=producer,
            client=client,
            service_task=service_task,
            valid_from=valid_from,
            valid_to=valid_to,
        )
    write_stdout(right.right_id + "\n")


@rights.command("revoke")
@click.argument("right_id")
@acting_options
@store_options
def rights_revoke(
    right_id: str,
    as_org: str | None,
    person: str | None,
    store_path: Path,
    index_url: str | None,
) -> None:
    """Revoke a register usage right (it stays listed as revoked); as its organiser (--as).

    \b
    Example:
      kanta-archive rights revoke R-0123456789ab --as 1.2.246.10.91000013
    """
    from kanta_archive.reports.access_text import right_line

    with open_session(store_path, index_url, as_org, person) as session:
        right = session.access.revoke(right_id)
    write_stdout(right_line(right))


@rights.command("list")
@click.option("--organiser", default=None)
@click.option("--producer", default=None)
@listing_options
@acting_options
@store_options
def rights_list(
    organiser: str | None,
    producer: str | None,
    fmt: str | None,
    columns: str | None,
    no_header: bool,
    as_org: str | None,
    person: str | None,
    store_path: Path,
    index_url: str | None,
) -> None:
    """List register usage rights (revoked ones too): with a registry, those the acting
    organisation (--as) is the organiser or the producer of.

    \b
    Example:
      kanta-archive rights list --producer 1.2.246.10.94000019 --as 1.2.246.10.94000019
    """
    from kanta_archive.reports.access_text import RIGHT_COLUMNS, right_record

    with open_session(store_path, index_url, as_org, person) as session:
        visible = session.access.rights(organiser=organiser, producer=producer)
    emit_listing(
        (right_record(r) for r in visible.items),
        fmt=fmt,
        columns=columns,
        no_header=no_header,
        known=RIGHT_COLUMNS,
        key="rights",
    )
    _hidden(visible.hidden, "right(s)", as_org)


# ---------------------------------------------------------------------- audit


@click.group("audit", invoke_without_command=True)
@click.option("--client", default=None, help="Only entries about this client.")
@click.option("--by", "actor_filter", default=None, help="Only entries by this actor.")
@listing_options
@acting_options
@store_options
@click.pass_context
def audit(
    ctx: click.Context,
    client: str | None,
    actor_filter: str | None,
    fmt: str | None,
    columns: str | None,
    no_header: bool,
    as_org: str | None,
    person: str | None,
    store_path: Path,
    index_url: str | None,
) -> None:
    """List the audit log (every store, read, right change, disclosure…): with a registry,
    the entries the acting organisation (--as) made, that name it, or that are about
    documents in its register.

    \b
    Example:
      kanta-archive audit --client 311299-9628 --as 1.2.246.10.91000013
      kanta-archive audit verify
    """
    from kanta_archive.reports.access_text import AUDIT_COLUMNS, AUDIT_TEXT_COLUMNS

    if ctx.invoked_subcommand is not None:
        return
    with open_session(store_path, index_url, as_org, person) as session:
        visible = session.access.audit_entries(client=client, actor=actor_filter)
    emit_listing(
        visible.items,
        fmt=fmt,
        columns=columns,
        no_header=no_header,
        known=AUDIT_COLUMNS,
        text_columns=AUDIT_TEXT_COLUMNS,
        key="entries",
    )
    _hidden(visible.hidden, "audit entry(ies)", as_org)


@audit.command("verify")
@store_options
def audit_verify(store_path: Path, index_url: str | None) -> None:
    """Check the hash chain: exit 1 naming the first bad line.

    \b
    Example:
      kanta-archive audit verify --store ./archive
    """
    with open_session(store_path, index_url) as session:
        result = session.audit_verify()
    if not result.ok:
        where = f"audit.log line {result.bad_line}" if result.bad_line else "audit log"
        click.echo(f"{where}: {result.message}", err=True)
        raise click.exceptions.Exit(int(ExitCode.INVALID))
    note = (
        f" ({result.unsealed} line(s) from before sealing began are hash-chained only)"
        if result.unsealed
        else ""
    )
    write_stdout(f"audit log ok: {result.lines} line(s){note}\n")


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
@acting_options
@store_options
def clients_link(
    temporary_id: str,
    hetu: str,
    as_org: str | None,
    person: str | None,
    store_path: Path,
    index_url: str | None,
) -> None:
    """Link a temporary identifier to the client's HETU (queries by HETU then find both).

    The acting organisation (--as) issued the temporary identifier or controls a stored
    document naming it. The link is kept in the index and in the access store, so
    `reindex` restores it.

    \b
    Example:
      kanta-archive clients link --temporary 1.2.246.10.91000021.22.2024.3 --hetu 010180-9026
    """
    with open_session(store_path, index_url, as_org, person) as session:
        session.access.link(temporary_id, hetu)
    write_stdout(f"linked {temporary_id} -> {hetu}\n")


@clients.command("unlink")
@click.option("--temporary", "temporary_id", required=True, help="The temporary identifier.")
@acting_options
@store_options
def clients_unlink(
    temporary_id: str,
    as_org: str | None,
    person: str | None,
    store_path: Path,
    index_url: str | None,
) -> None:
    """Undo a link: queries by the HETU no longer find the temporary identifier's documents.

    Stored documents are never rewritten by linking or unlinking; the change is audited.

    \b
    Example:
      kanta-archive clients unlink --temporary 1.2.246.10.91000021.22.2024.3
    """
    with open_session(store_path, index_url, as_org, person) as session:
        hetu = session.access.unlink(temporary_id)
    write_stdout(f"unlinked {temporary_id} (was {hetu})\n")


@clients.command("inform")
@click.argument("hetu")
@click.option("--by", "by_oid", required=True, help="The organisation that informed the client.")
@click.option("--date", "on", required=True, help="When (YYYY-MM-DD).")
@acting_options
@store_options
def clients_inform(
    hetu: str,
    by_oid: str,
    on: str,
    as_org: str | None,
    person: str | None,
    store_path: Path,
    index_url: str | None,
) -> None:
    """Record that the client was informed about Kanta (needed before disclosures); as the
    informing organisation (--as).

    \b
    Example:
      kanta-archive clients inform 150612A904S --by 1.2.246.10.91000013 --date 2024-06-01
    """
    day = _iso_date(on, "--date")
    with open_session(store_path, index_url, as_org, person) as session:
        session.access.inform(hetu, by_oid, day)
    write_stdout(f"recorded: {hetu} informed by {by_oid} on {on}\n")


# ---------------------------------------------------------------------- disclosure


@click.command("disclose")
@click.argument("document_oids", nargs=-1, required=True)
@click.option("--to", "to_oid", required=True, help="The receiving organisation.")
@click.option("--consent", default=None, help="OID of the client's consent document.")
@click.option("--date", "on", default=None, help="Disclosure date (YYYY-MM-DD), default today.")
@acting_options
@store_options
def disclose(
    document_oids: tuple[str, ...],
    to_oid: str,
    consent: str | None,
    on: str | None,
    as_org: str | None,
    person: str | None,
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
    day = _iso_date(on, "--date") if on else None
    with open_session(store_path, index_url, as_org, person) as session:
        rows = session.access.disclose(document_oids, to_oid, consent=consent, on=day)
    for document_oid, client in rows:
        write_stdout(f"disclosed {document_oid} (client {client}) to {to_oid}\n")


@click.command("disclosures")
@click.option("--client", required=True, help="The client's HETU.")
@listing_options
@acting_options
@store_options
def disclosures(
    client: str,
    fmt: str | None,
    columns: str | None,
    no_header: bool,
    as_org: str | None,
    person: str | None,
    store_path: Path,
    index_url: str | None,
) -> None:
    """List the disclosures of a client's data (the client can follow them): with a
    registry, those the acting organisation (--as) made or received.

    \b
    Example:
      kanta-archive disclosures --client 150612A904S --as 1.2.246.10.91000013
    """
    from kanta_archive.reports.access_text import DISCLOSURE_COLUMNS

    with open_session(store_path, index_url, as_org, person) as session:
        visible = session.access.disclosures(client)
    emit_listing(
        visible.items,
        fmt=fmt,
        columns=columns,
        no_header=no_header,
        known=DISCLOSURE_COLUMNS,
        key="disclosures",
    )
    _hidden(visible.hidden, "disclosure(s)", as_org)


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
@acting_options
@store_options
def summary(
    client: str,
    fmt: str,
    patient_data: bool,
    reveal: bool,
    reason: str | None,
    as_org: str | None,
    person: str | None,
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
    from kanta_archive.reports.records import to_json
    from kanta_archive.reports.summary import render_html, render_text

    with open_session(store_path, index_url, as_org, person) as session:
        data = session.summary(client, patient_data=patient_data, reveal=reveal, reason=reason)
    renderers = {"json": to_json, "html": render_html, "text": render_text}
    write_stdout(renderers[fmt](data))
    _hidden(data["hidden"], "document(s)", as_org)


COMMANDS = (orgs, rights, audit, clients, disclose, disclosures, summary)
