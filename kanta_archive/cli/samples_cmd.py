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
      kanta-archive samples generate --structure 1.2.246.537.6.1505.2.2022.6.28 --out gen/
    """


@samples.command("generate")
@click.option(
    "--structure",
    "structure",
    default=None,
    help="Full dated OID, or OID with @version, or OID (its newest version). Default: every "
    "known structure, each into a folder of its own.",
)
@click.option(
    "--count",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="How many documents (of each structure).",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Random seed: the same seed gives byte-identical files; OIDs differ between seeds.",
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder to write the documents into (created if missing; never overwritten).",
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
    help="Organisation register extract (the CSV of 'orgs import'; default: the bundled "
    "samples/orgs.csv).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
@click.pass_obj
def generate(
    state: CliState,
    structure: str | None,
    count: int,
    seed: int,
    out: Path,
    fmt: str,
    orgs: Path | None,
    quiet: bool,
) -> None:
    """Write COUNT valid, varied documents of a structure (or of every one) into OUT.

    Content follows the structure's JSON Schema with its real key names; codes come from
    enums, loaded code sets and the exports' own examples; clients have test HETUs
    (900-999) or temporary identifiers; every version chain is complete and the metadata
    satisfies every domain rule. Each file is validated before it is written, and no
    existing file is overwritten.

    \b
    Example:
      kanta-archive samples generate --structure 1.2.246.537.6.1506.19005.2022.1.10 \\
          --count 1000 --seed 7 --out gen/ --format both
      kanta-archive --schemas-dir sosmeta/ samples generate --count 2 --out all/
    """
    from kanta_archive.generate import (
        load_organisations,
        resolve_structure,
        write_all,
        write_documents,
    )

    registry = state.registry()
    organisations = load_organisations(orgs)
    chosen = resolve_structure(structure, registry) if structure else None
    total = count if chosen else count * len({s.oid for s in registry.structures()})
    show = not quiet and sys.stderr.isatty() and total > 20
    sink: Any = sys.stderr if show else NullStream()
    from kanta_archive.output import writing

    with (
        click.progressbar(length=total, label="Generating", file=sink) as bar,
        writing(f"--out {out}"),
    ):
        if chosen is not None:
            written = write_documents(
                chosen, count, seed, out, fmt, registry, orgs=organisations, progress=bar.update
            )
            summary = f"Wrote {len(written)} files of {chosen.dated_oid} into {out}"
        else:
            by_structure = write_all(
                registry, count, seed, out, fmt, orgs=organisations, progress=bar.update
            )
            files = sum(len(paths) for paths in by_structure.values())
            summary = f"Wrote {files} files of {len(by_structure)} structures into {out}"
    if not quiet:
        click.echo(summary, err=True)
