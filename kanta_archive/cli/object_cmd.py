"""rocfl-style commands on a document set's OCFL object: ``ls``, ``cat``, ``diff``. Each
parses its options, makes one call on the library's session and renders the result."""

from __future__ import annotations

from pathlib import Path

import click

from kanta_archive.cli.common import write_stdout, write_stdout_bytes
from kanta_archive.cli.options import (
    acting_options,
    emit_listing,
    listing_options,
    open_session,
    record_format_option,
    store_options,
)


def _ocfl_version(value: str | None, option: str = "--at") -> int | None:
    """``v3`` or ``3`` as 3; ``None`` (the head) when not given."""
    from kanta_archive.errors import UsageError

    if value is None:
        return None
    digits = value[1:] if value[:1] in ("v", "V") else value
    if not digits.isdigit() or int(digits) < 1:
        raise UsageError(f"{option} {value!r}: an OCFL version such as v2 (or 2)")
    return int(digits)


_at = click.option(
    "--at",
    "at",
    default=None,
    metavar="vN",
    help="OCFL version, as history lists them (v1, v2, …) [default: the head].",
)


@click.command("ls")
@click.argument("oid")
@_at
@listing_options
@acting_options
@store_options
def ls(
    oid: str,
    at: str | None,
    fmt: str | None,
    columns: str | None,
    no_header: bool,
    as_org: str | None,
    person: str | None,
    store_path: Path,
    index_url: str | None,
) -> None:
    """List the files of a document set's OCFL version: path, size, digest, and the
    version whose content each file has.

    OID is a set OID or any of its document OIDs. With an organisation registry, --as
    must be allowed to read the set; the read is audited.

    \b
    Example:
      kanta-archive ls 1.2.246.10.91000013.11.2001 --at v1
    """
    from kanta_archive.reports.archive_text import LS_COLUMNS, LS_TEXT_COLUMNS, ls_record

    with open_session(store_path, index_url, as_org, person) as session:
        files = session.ls(oid, _ocfl_version(at))
    emit_listing(
        (ls_record(f) for f in files),
        fmt=fmt,
        columns=columns,
        no_header=no_header,
        known=LS_COLUMNS,
        text_columns=LS_TEXT_COLUMNS,
        key="files",
    )


@click.command("cat")
@click.argument("oid")
@click.argument("path")
@_at
@click.option("--reveal", is_flag=True, help="Unmask non-disclosure data (controller only).")
@click.option("--reason", default=None, help="Why the data are revealed (audited).")
@acting_options
@store_options
def cat(
    oid: str,
    path: str,
    at: str | None,
    reveal: bool,
    reason: str | None,
    as_org: str | None,
    person: str | None,
    store_path: Path,
    index_url: str | None,
) -> None:
    """Print one file of a document set's OCFL version, byte for byte (checked against
    its digest): document.json / document.xhtml (as submitted) or metadata.json.

    With an organisation registry the document file of a version whose client has a
    non-disclosure marking is printed only for its controller with --reveal --reason.

    \b
    Example:
      kanta-archive cat 1.2.246.10.91000013.11.2001 metadata.json --at v2
    """
    with open_session(store_path, index_url, as_org, person) as session:
        data = session.cat(oid, path, _ocfl_version(at), reveal=reveal, reason=reason)
    write_stdout_bytes(data)


@click.command("diff")
@click.argument("oid")
@click.argument("old")
@click.argument("new", required=False)
@click.option("--all", "all_files", is_flag=True, help="List unchanged files too.")
@record_format_option()
@acting_options
@store_options
def diff(
    oid: str,
    old: str,
    new: str | None,
    all_files: bool,
    fmt: str,
    as_org: str | None,
    person: str | None,
    store_path: Path,
    index_url: str | None,
) -> None:
    """What changed between two OCFL versions of a document set (NEW: default the head):
    files added, deleted and modified, and every metadata key that changed.

    \b
    Example:
      kanta-archive diff 1.2.246.10.91000013.11.2001 v1 v3
    """
    from kanta_archive.reports.archive_text import diff_text
    from kanta_archive.reports.records import to_json

    first = _ocfl_version(old, "OLD")
    assert first is not None
    with open_session(store_path, index_url, as_org, person) as session:
        changes = session.diff(oid, first, _ocfl_version(new, "NEW"))
    write_stdout(to_json(changes) if fmt == "json" else diff_text(changes, all_files=all_files))


COMMANDS = (ls, cat, diff)
