"""``kanta-archive validate``: check documents against schemas and rules."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kanta_archive.cli.common import (
    CliState,
    NullStream,
    echo_error,
    load_trust_anchors,
    trust_option,
    write_stdout,
)
from kanta_archive.exitcodes import ExitCode
from kanta_archive.limits import (
    DEFAULT_MAX_ATTRIBUTES,
    DEFAULT_MAX_FINDINGS,
    DEFAULT_MAX_MEMBERS,
    DEFAULT_MAX_NAMESPACES,
)
from kanta_archive.reports import FINDINGS_FORMATS

if TYPE_CHECKING:
    from kanta_archive.findings import ValidationResult


def _limit_option(
    name: str, default: int, what: str
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """An input limit of kanta_archive/limits.py as an option: a whole number from 1."""
    return click.option(
        name, type=click.IntRange(min=1), default=default, show_default=True, help=f"Most {what}"
    )


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path, allow_dash=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FINDINGS_FORMATS),
    default="text",
    show_default=True,
    help="Output format: text for people; json, junit, sarif, github for machines and CI.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning"]),
    default=None,
    help="Lowest severity that makes the exit code 1 [default: fail-on in "
    "[tool.kanta-archive], else error].",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Worker processes; 0 = one per core. Output order is the same whatever N is.",
)
@click.option(
    "--max-size",
    type=click.IntRange(min=1),
    default=10 * 1024 * 1024,
    show_default=True,
    help="Largest input accepted, in bytes.",
)
@_limit_option(
    "--max-members",
    DEFAULT_MAX_MEMBERS,
    "JSON members and array items (or XHTML elements) in one document.",
)
@_limit_option("--max-attributes", DEFAULT_MAX_ATTRIBUTES, "attributes on one XHTML element.")
@_limit_option(
    "--max-namespaces",
    DEFAULT_MAX_NAMESPACES,
    "different namespace declarations (prefix and URI) in one XHTML document.",
)
@_limit_option(
    "--max-findings",
    DEFAULT_MAX_FINDINGS,
    "findings listed for one document; the rest are counted in KA-LIMIT-FINDINGS.",
)
@click.option(
    "--select",
    "select",
    multiple=True,
    metavar="CODE",
    help="Report only these finding codes (a code, or a prefix ending in *; repeatable or "
    "comma-separated). Replaces select in [tool.kanta-archive].",
)
@click.option(
    "--ignore",
    "ignore",
    multiple=True,
    metavar="CODE",
    help="Never report these finding codes (as --select); added to ignore in "
    "[tool.kanta-archive]. An ignored finding does not count for the exit code.",
)
@click.option(
    "--config",
    "config",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Read [tool.kanta-archive] from this TOML file [default: the nearest pyproject.toml "
    "with that table, from the working directory up].",
)
@click.option("--no-config", is_flag=True, help="Read no [tool.kanta-archive] settings.")
@trust_option
@click.option(
    "--require-signature",
    "require_signature",
    multiple=True,
    metavar="OID|all|none",
    help="Which documents must be signed, besides those whose metadata names a signer: "
    "a structure OID (repeatable), all, or none (no signature is required).",
)
@click.option(
    "--lang",
    type=click.Choice(["fi", "sv", "en"]),
    default=None,
    help="Show each finding's field by its Sosmeta name in this language (en: Sosmeta "
    "publishes fi and sv only, so the Finnish name).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.pass_obj
def validate(
    state: CliState,
    inputs: tuple[Path, ...],
    fmt: str,
    fail_on: str | None,
    jobs: int,
    max_size: int,
    max_members: int,
    max_attributes: int,
    max_namespaces: int,
    max_findings: int,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    config: Path | None,
    no_config: bool,
    trust: tuple[Path, ...],
    require_signature: tuple[str, ...],
    lang: str | None,
    quiet: bool,
) -> None:
    """Validate JSON and XHTML documents (files, folders, or - for stdin).

    Folders are searched recursively for *.json, *.xhtml, *.html and *.xml files,
    in sorted order. Findings go to stdout in the chosen format; errors about
    unreadable inputs go to stderr. The --max-* limits bound what one document may
    hold (a document over one gets its KA-LIMIT-* finding; see README "Input limits").

    \b
    Example:
      kanta-archive validate samples/valid/
      kanta-archive validate out/ --format junit > report.xml
      kanta-archive validate signed/ --trust ca.pem
      kanta-archive validate doc.json --lang sv
      cat doc.json | kanta-archive validate -
    """
    import os

    from kanta_archive import __version__
    from kanta_archive.config import Settings, project_settings
    from kanta_archive.findings import Severity
    from kanta_archive.limits import InputLimits
    from kanta_archive.parallel import validate_paths
    from kanta_archive.progress import RateEstimate
    from kanta_archive.reports import get_reporter
    from kanta_archive.selection import FindingSelection
    from kanta_archive.validate import iter_inputs

    settings = Settings() if no_config else project_settings(config)
    selection = FindingSelection.of(
        _codes(select) if select else settings.select, (*settings.ignore, *_codes(ignore))
    )
    threshold = Severity(fail_on or settings.fail_on or "error")
    limits = InputLimits(max_members, max_attributes, max_namespaces, max_findings)
    validator = state.validator(
        max_bytes=max_size,
        trust_anchors=load_trust_anchors(trust),
        limits=limits,
        require_signature=require_signature,
        lang=lang,
    )
    results: list[ValidationResult] = []
    unreadable = 0
    if Path("-") in inputs:
        data = sys.stdin.buffer.read(max_size + 1)
        results.append(selection.apply(validator.validate_bytes(data, "-")))
    paths = list(iter_inputs([p for p in inputs if str(p) != "-"]))
    jobs = jobs or (os.cpu_count() or 1)
    show_progress = not quiet and sys.stderr.isatty() and len(paths) > 20
    stream = validate_paths(paths, validator, jobs=jobs, schemas_dirs=state.schemas_dirs)
    sink: Any = sys.stderr if show_progress else NullStream()
    eta = RateEstimate(len(paths))
    with click.progressbar(
        stream,
        length=len(paths),
        label="Validating",
        file=sink,
        show_eta=False,
        item_show_func=lambda _item: eta.label(),
    ) as bar:
        for item in bar:
            eta.done()
            if isinstance(item, str):
                unreadable += 1
                echo_error(item)
            else:
                results.append(selection.apply(item))
    if not results and not unreadable:
        click.echo("Error: no documents found in the given inputs", err=True)
        raise click.exceptions.Exit(int(ExitCode.USAGE))
    results.sort(key=lambda r: r.source)
    reporter = get_reporter(fmt)
    output = reporter.render(
        results, tool_version=__version__, color=fmt == "text" and sys.stdout.isatty()
    )
    write_stdout(output)
    unchecked = sorted({oid for r in results for oid in r.unchecked_codesets})
    if unchecked and not quiet and fmt == "text":
        # Said once per run: a code set that is not loaded is never an error.
        click.echo(
            f"Note: {len(unchecked)} code system(s) have no code set loaded, so their codes "
            f"were not checked: {', '.join(unchecked)} (import one with "
            "'kanta-archive codesets import')",
            err=True,
        )
    if unreadable:
        raise click.exceptions.Exit(int(ExitCode.USAGE))
    if any(r.fails_at(threshold) for r in results):
        raise click.exceptions.Exit(int(ExitCode.INVALID))


def _codes(values: tuple[str, ...]) -> tuple[str, ...]:
    """``--select A,B --select C`` as ``(A, B, C)``."""
    return tuple(code for value in values for code in value.split(","))
