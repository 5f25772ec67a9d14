"""``kanta-archive upgrade``: move document files to metadata model 2."""

from __future__ import annotations

from pathlib import Path

import click

from kanta_archive.cli.common import CliState


@click.command()
@click.argument(
    "paths", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True, dir_okay=True)
)
@click.option("--dry-run", is_flag=True, help="Only list the files that would change.")
@click.pass_obj
def upgrade(state: CliState, paths: tuple[Path, ...], dry_run: bool) -> None:
    """Rewrite JSON/XHTML documents whose metadata is model 1 into model 2, in place.

    The national metadata model (docs/metadata.md, "Upgrading") replaced the stand-in
    fields of model 1. Files already in model 2, and files that are not readable
    documents, are left alone (the latter listed on stderr). A signed document
    loses its signature: sign it again. Stored documents are never rewritten: the
    archive reads a model-1 metadata.json as model 2 (run 'kanta-archive reindex').

    \b
    Example:
      kanta-archive upgrade samples/valid/ --dry-run
      kanta-archive upgrade old-export/
    """
    from kanta_archive.errors import InputError
    from kanta_archive.upgrade import upgrade_document_bytes
    from kanta_archive.validate import iter_inputs

    changed = skipped = 0
    for path in iter_inputs(list(paths)):
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"{path}: {exc.strerror or exc}") from exc
        try:
            new = upgrade_document_bytes(data, str(path), state.registry())
        except InputError as exc:  # not a readable document: left as it is
            skipped += 1
            click.echo(f"skipped {exc}", err=True)
            continue
        if new is None:
            continue
        changed += 1
        click.echo(f"{'would upgrade' if dry_run else 'upgraded'} {path}")
        if not dry_run:
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_bytes(new)
            tmp.replace(path)
    click.echo(
        f"{changed} file(s) {'to upgrade' if dry_run else 'upgraded'}, "
        f"{skipped} unreadable skipped",
        err=True,
    )
