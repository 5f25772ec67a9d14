"""``kanta-archive schemas``: list and show the known structure schemas."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

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
      kanta-archive schemas show 1.2.246.537.6.1506.3
    """


@schemas.command("list")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_obj
def list_(state: CliState, fmt: str) -> None:
    """List every known structure: OID, version, root element and Finnish title
    (--format json adds the Swedish title, status and source file).

    \b
    Example:
      kanta-archive --schemas-dir ~/sosmeta-export schemas list --format json
    """
    structures = state.registry().structures()
    if fmt == "json":
        rows = [
            {
                "oid": s.oid,
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
    rows_t = [(s.oid, s.version, s.root, s.title("fi")) for s in structures]
    widths = [max(len(r[i]) for r in [header, *rows_t]) for i in range(3)]
    lines = [
        "  ".join(col.ljust(widths[i]) if i < 3 else col for i, col in enumerate(row))
        for row in [header, *rows_t]
    ]
    write_stdout("\n".join(lines) + "\n")


def _fields(node: Mapping[str, Any], path: str, depth: int) -> Iterator[dict[str, Any]]:
    props = node.get("properties")
    if node.get("type") == "array" and isinstance(node.get("items"), Mapping):
        yield from _fields(node["items"], path + "[]", depth)
        return
    if not isinstance(props, Mapping):
        return
    required = set(node.get("required") or [])
    for key, child in props.items():
        if not isinstance(child, Mapping):
            continue
        sosmeta = child.get("sosmeta") or {}
        names = {
            n.get("lang"): n.get("value")
            for n in sosmeta.get("name") or []
            if isinstance(n, Mapping)
        }
        yield {
            "path": f"{path}/{key}",
            "depth": depth,
            "type": child.get("type", ""),
            "fi": names.get("fi", ""),
            "sv": names.get("sv", ""),
            "required": key in required,
            "conditional": bool(sosmeta.get("conditionalRequired")),
            "repeatable": child.get("type") == "array" or bool(sosmeta.get("repeatable")),
            "codeset": sosmeta.get("classificationOid") or "",
            "non_disclosure": sosmeta.get("nonDisclosureProtected") is True,
        }
        yield from _fields(child, f"{path}/{key}", depth + 1)


@schemas.command("show")
@click.argument("structure")
@click.option("--version", "version", help="Structure version date (default: the newest).")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_obj
def show(state: CliState, structure: str, version: str | None, fmt: str) -> None:
    """Show the fields of one structure with fi/sv names and required, repeatable and
    non-disclosure flags.

    STRUCTURE is a structure OID, optionally with @version.

    \b
    Example:
      kanta-archive schemas show 1.2.246.537.6.1506.3
      kanta-archive schemas show 1.2.246.537.6.1506.3@2024-06-01 --format json
    """
    found = state.registry().find(structure)
    if version:
        found = [s for s in found if s.version == version]
    if not found:
        raise fail(
            f"unknown structure '{structure}' (see 'kanta-archive schemas list')", ExitCode.USAGE
        )
    chosen = found[-1]
    fields = list(_fields(chosen.schema, "", 0))
    if fmt == "json":
        payload = {
            "oid": chosen.oid,
            "version": chosen.version,
            "root": chosen.root,
            "fields": fields,
        }
        write_stdout(to_json(payload))
        return
    out = [
        f"{chosen.title('fi')} / {chosen.title('sv')}",
        f"{chosen.oid} version {chosen.version}",
        "",
    ]
    for f in fields:
        flags = "".join(
            [
                "R" if f["required"] else ("C" if f["conditional"] else "-"),
                "*" if f["repeatable"] else " ",
                "N" if f["non_disclosure"] else " ",
            ]
        )
        name = "  " * f["depth"] + f["path"].rsplit("/", 1)[-1]
        label = f"{f['fi']} / {f['sv']}" if f["fi"] else ""
        codeset = f"  [{f['codeset']}]" if f["codeset"] else ""
        out.append(f"{flags} {name:<40} {f['type']:<8} {label}{codeset}")
    out += [
        "",
        "R required, C conditionally required, * repeatable, "
        "N protected by a non-disclosure marking",
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
@click.pass_obj
def docs(state: CliState, out: Path) -> None:
    """Write a readable Markdown page per structure (<oid>_<version>.md) and an index.md.

    Each page has the fi/sv title, OID, version, status and a table of fields with
    fi/sv names, type, required / conditionally required / repeatable, code set,
    implementation note and non-disclosure protection.

    \b
    Example:
      kanta-archive schemas docs --out docs/structures
      kanta-archive --schemas-dir ~/sosmeta-export schemas docs --out site/structures
    """
    from kanta_archive.output import writing
    from kanta_archive.schema_docs import write_docs

    with writing(f"--out {out}"):
        written = write_docs(out, state.registry())
    click.echo(f"Wrote {len(written)} pages into {out}", err=True)
