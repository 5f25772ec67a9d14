"""``kanta-archive codesets``: import the national code server's exports; list code sets."""

from __future__ import annotations

from pathlib import Path

import click

from kanta_archive.cli.common import CliState, write_stdout
from kanta_archive.reports.records import to_json


@click.group()
def codesets() -> None:
    """Code sets (classifications) that coded values are checked against.

    \b
    Example:
      kanta-archive codesets import 1.2.246.537.6.1221.csv --to my-schemas
      kanta-archive --schemas-dir my-schemas validate out/
    """


@codesets.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--to",
    "folder",
    type=click.Path(path_type=Path, file_okay=False),
    help="A schemas folder: the code sets go into its codesets/ (use it with --schemas-dir).",
)
@click.option(
    "--store",
    "store",
    type=click.Path(path_type=Path, file_okay=False),
    help="A local store: the code sets go into <store>/codesets/, which archive reads.",
)
@click.option("--oid", help="The code system's OID (needed unless the file is named <oid>.csv).")
@click.option("--name", help="The code system's Finnish name (the exports do not carry it).")
@click.option("--version", "version", help="The code system version (e.g. 201601).")
@click.pass_obj
def import_(
    state: CliState,
    files: tuple[Path, ...],
    folder: Path | None,
    store: Path | None,
    oid: str | None,
    name: str | None,
    version: str | None,
) -> None:
    """Import code sets exported from the national code server (koodistopalvelu.kanta.fi).

    FILES are its CSV/text downloads (CodeId;…;LongName;… header) or JSON of its API
    (conceptCodes); each becomes <oid>.json in the target folder. Nothing is written when a
    file cannot be read.

    \b
    Example:
      kanta-archive codesets import 1.2.246.537.6.1221.csv --to my-schemas
      kanta-archive codesets import conceptcodes.json --oid 1.2.246.537.6.21 --store archive
    """
    from kanta_archive.codeset_formats import import_codesets
    from kanta_archive.codesets import CODESETS_FOLDER
    from kanta_archive.errors import UsageError

    if (folder is None) == (store is None):
        raise UsageError("give exactly one of --to FOLDER and --store STORE")
    if store is not None:
        from kanta_archive.store.ocfl import MARKER

        if not (store / MARKER).is_file():
            raise UsageError(
                f"{store}: not a kanta-archive store (archive into it first, or use --to)"
            )
    target = (folder or store or Path()) / CODESETS_FOLDER
    for codeset, path in import_codesets(files, target, oid=oid, name=name, version=version):
        click.echo(f"{codeset.oid}: {len(codeset.codes)} code(s) -> {path}", err=True)


@codesets.command("list")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_obj
def list_(state: CliState, fmt: str) -> None:
    """List the code sets loaded: bundled ones and those of --schemas-dir folders.

    \b
    Example:
      kanta-archive codesets list --format json
    """
    from kanta_archive.codesets import load_codesets

    sets = load_codesets(state.schemas_dirs)
    if fmt == "json":
        rows = [
            {
                "oid": c.oid,
                "version": c.version,
                "name": dict(c.name),
                "codes": len(c.codes),
                "complete": c.complete,
                "source": c.source,
            }
            for c in sets.values()
        ]
        write_stdout(to_json(rows))
        return
    lines = [
        f"{c.oid:<24} {c.version or '-':<8} {len(c.codes):>5} "
        f"{'complete' if c.complete else 'partial ':<8} {c.title()}"
        for c in sorted(sets.values(), key=lambda c: c.oid)
    ]
    write_stdout("\n".join(lines) + ("\n" if lines else ""))
