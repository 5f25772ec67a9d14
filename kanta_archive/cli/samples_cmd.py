"""``kanta-archive samples``: generate valid sample documents for any structure."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from kanta_archive.cli.common import CliState, NullStream


@click.group()
def samples() -> None:
    """Generate sample documents (test data for vendors' CI and benchmarks).

    \b
    Example:
      kanta-archive samples generate --structure 1.2.246.537.6.1506.3 --count 100 --out gen/
    """


@samples.command("generate")
@click.option(
    "--structure",
    "structure",
    required=True,
    help="Structure OID, optionally with @version (default: the newest version).",
)
@click.option(
    "--count", type=click.IntRange(min=1), default=10, show_default=True, help="How many."
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Random seed: the same seed gives byte-identical files.",
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder to write the documents into (created if missing).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "xhtml", "both"]),
    default="json",
    show_default=True,
    help="Storage form of the files written.",
)
@click.option(
    "--orgs",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Organisation register extract (CSV like samples/orgs.csv; default: that file).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
@click.pass_obj
def generate(
    state: CliState,
    structure: str,
    count: int,
    seed: int,
    out: Path,
    fmt: str,
    orgs: Path | None,
    quiet: bool,
) -> None:
    """Write COUNT valid, varied documents of one structure into OUT.

    Content follows the structure's JSON Schema; coded values come from the
    bundled code sets; clients have test HETUs (900-999) or temporary
    identifiers; the metadata satisfies every domain rule. Each document is
    validated before it is written.

    \b
    Example:
      kanta-archive samples generate --structure 1.2.246.537.6.1506.1 \\
          --count 1000 --seed 7 --out gen/ --format both
    """
    from kanta_archive.generate import load_organisations, resolve_structure, write_documents

    registry = state.registry()
    chosen = resolve_structure(structure, registry)
    organisations = load_organisations(orgs)
    show = not quiet and sys.stderr.isatty() and count > 20
    sink: Any = sys.stderr if show else NullStream()
    from kanta_archive.output import writing

    with (
        click.progressbar(length=count, label="Generating", file=sink) as bar,
        writing(f"--out {out}"),
    ):
        written = write_documents(
            chosen, count, seed, out, fmt, registry, orgs=organisations, progress=bar.update
        )
    if not quiet:
        click.echo(f"Wrote {len(written)} files of {chosen.key} into {out}", err=True)
