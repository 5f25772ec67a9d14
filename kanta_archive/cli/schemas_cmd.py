"""``kanta-archive schemas``: list and show the known structure schemas."""

from __future__ import annotations

from pathlib import Path

import click

from kanta_archive.cli.common import CliState, fail, write_stdout
from kanta_archive.exitcodes import ExitCode
from kanta_archive.reports.records import to_json


@click.group()
def schemas() -> None:
    """List and inspect document structure schemas.

    \b
    Example:
      kanta-archive schemas list
      kanta-archive schemas show 1.2.246.537.6.1505.1.2023.6.1
    """


@schemas.command("list")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_obj
def list_(state: CliState, fmt: str) -> None:
    """List every known structure: its full dated OID, version, root element and title
    (--format json adds the base OID, status and source file).

    \b
    Example:
      kanta-archive --schemas-dir ~/sosmeta-export schemas list --format json
    """
    structures = state.registry().structures()
    if fmt == "json":
        rows = [
            {
                "oid": s.oid,
                "dated_oid": s.dated_oid,
                "version": s.version,
                "root": s.root,
                "title": {"fi": s.title("fi"), "sv": s.title("sv")},
                "status": s.status,
                "path": str(s.path),
            }
            for s in structures
        ]
        write_stdout(to_json(rows))
        return
    header = ("OID", "VERSION", "ROOT", "TITLE (fi)")
    rows_t = [(s.dated_oid, s.version, s.root, s.title("fi")) for s in structures]
    widths = [max(len(r[i]) for r in [header, *rows_t]) for i in range(3)]
    lines = [
        "  ".join(col.ljust(widths[i]) if i < 3 else col for i, col in enumerate(row))
        for row in [header, *rows_t]
    ]
    write_stdout("\n".join(lines) + "\n")


@schemas.command("show")
@click.argument("structure")
@click.option("--version", "version", help="Structure version date (default: the newest).")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_obj
def show(state: CliState, structure: str, version: str | None, fmt: str) -> None:
    """Show the fields of one structure with fi/sv names and their flags.

    STRUCTURE is the full dated OID real documents name it by
    (1.2.246.537.6.1505.1.2023.6.1), or a structure OID, optionally with @version.

    \b
    Example:
      kanta-archive schemas show 1.2.246.537.6.1505.1.2023.6.1
      kanta-archive schemas show 1.2.246.537.6.1505.2@2022-06-28 --format json
    """
    from kanta_archive.schema_docs import fields_of

    found = state.registry().find(structure)
    if version:
        found = [s for s in found if s.version == version]
    if not found:
        raise fail(
            f"unknown structure '{structure}' (see 'kanta-archive schemas list')", ExitCode.USAGE
        )
    chosen = found[-1]
    fields = list(fields_of(chosen.schema))
    if fmt == "json":
        payload = {
            "oid": chosen.oid,
            "dated_oid": chosen.dated_oid,
            "version": chosen.version,
            "root": chosen.root,
            "title": {"fi": chosen.title("fi"), "sv": chosen.title("sv")},
            "fields": [f.as_json() for f in fields],
        }
        write_stdout(to_json(payload))
        return
    out = [
        f"{chosen.title('fi')} / {chosen.title('sv')}",
        f"{chosen.dated_oid} (structure {chosen.oid}, version {chosen.version})",
        "",
    ]
    for f in fields:
        flags = "".join(
            [
                "R" if f.required else ("C" if f.conditional else "-"),
                "*" if f.repeatable else " ",
                "H" if f.hidden else " ",
                "N" if f.non_disclosure else " ",
            ]
        )
        name = "  " * f.depth + f.path.rsplit("/", 1)[-1]
        label = f"{f.fi} / {f.sv}" if f.fi and f.sv else f.fi
        codeset = f"  [{f.codeset}]" if f.codeset else ""
        out.append(f"{flags} {name:<40} {f.type:<10} {label}{codeset}")
    out += [
        "",
        "R required, C conditionally required (a prose rule), * repeatable, H hidden group "
        "(hiddenField), N protected by a non-disclosure marking (docs/non-disclosure.md)",
    ]
    write_stdout("\n".join(out) + "\n")


@schemas.command("docs")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the Markdown pages (created if missing).",
)
@click.option(
    "--prose-rules",
    "prose_rules",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Also write the prose-rules page (how notes are read, counts, every note that is "
    "not machine-readable) over all known structures into this file.",
)
@click.pass_obj
def docs(state: CliState, out: Path, prose_rules: Path | None) -> None:
    """Write a readable Markdown page per structure (<full dated OID>.md) and an index.md.

    Each page has the fi/sv title, OID, version, status and a table of fields with
    fi/sv names, type, required / conditionally required / repeatable, code set,
    implementation note and non-disclosure protection.

    \b
    Example:
      kanta-archive schemas docs --out docs/structures
      kanta-archive --schemas-dir ~/sosmeta-export schemas docs --out site/structures \\
          --prose-rules site/prose-rules.md
    """
    from kanta_archive.output import writing
    from kanta_archive.schema_docs import render_prose_rules, write_docs

    registry = state.registry()
    with writing(f"--out {out}"):
        written = write_docs(out, registry)
    click.echo(f"Wrote {len(written)} pages into {out}", err=True)
    if prose_rules is not None:
        with writing(f"--prose-rules {prose_rules}"):
            prose_rules.write_text(render_prose_rules(registry), encoding="utf-8")
        click.echo(f"Wrote {prose_rules}", err=True)
