"""``kanta-archive validate``: check documents against schemas and rules."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
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

if TYPE_CHECKING:
    from kanta_archive.findings import ValidationResult
    from kanta_archive.validate import Validator

FORMATS = ("text", "json", "junit", "sarif", "github")

# Per worker process: built once by the pool initializer, so every schema is
# compiled once per process, never per file.
_worker_validator: Validator | None = None


def _init_worker(
    schemas_dirs: tuple[Path, ...],
    max_bytes: int,
    trust_anchors: tuple[bytes, ...] = (),
    require_signature: tuple[str, ...] = (),
    lang: str | None = None,
) -> None:
    global _worker_validator
    from kanta_archive.schemas import SchemaRegistry
    from kanta_archive.validate import Validator

    _worker_validator = Validator(
        SchemaRegistry(schemas_dirs),
        max_bytes=max_bytes,
        trust_anchors=trust_anchors,
        require_signature=require_signature,
        lang=lang,
    )


def _validate_one(path: Path) -> ValidationResult | str:
    from kanta_archive.errors import InputError

    assert _worker_validator is not None
    try:
        return _worker_validator.validate_path(path)
    except InputError as exc:
        return str(exc)


def _results(
    paths: Sequence[Path], validator: Validator, jobs: int, state: CliState, max_bytes: int
) -> Iterator[ValidationResult | str]:
    from kanta_archive.errors import InputError

    if jobs == 1 or len(paths) < 2:
        for path in paths:
            try:
                yield validator.validate_path(path)
            except InputError as exc:
                yield str(exc)
        return
    with ProcessPoolExecutor(
        max_workers=jobs,
        initializer=_init_worker,
        initargs=(
            state.schemas_dirs,
            max_bytes,
            validator.trust_anchors,
            validator.require_signature,
            validator.lang,
        ),
    ) as pool:
        yield from pool.map(
            _validate_one, paths, chunksize=max(1, min(64, len(paths) // (jobs * 4)))
        )


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path, allow_dash=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="Output format: text for people; json, junit, sarif, github for machines and CI.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning"]),
    default="error",
    show_default=True,
    help="Lowest severity that makes the exit code 1.",
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
    fail_on: str,
    jobs: int,
    max_size: int,
    trust: tuple[Path, ...],
    require_signature: tuple[str, ...],
    lang: str | None,
    quiet: bool,
) -> None:
    """Validate JSON and XHTML documents (files, folders, or - for stdin).

    Folders are searched recursively for *.json, *.xhtml, *.html and *.xml files,
    in sorted order. Findings go to stdout in the chosen format; errors about
    unreadable inputs go to stderr.

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
    from kanta_archive.findings import Severity
    from kanta_archive.reports import get_reporter
    from kanta_archive.validate import Validator, iter_inputs

    validator = Validator(
        state.registry(),
        max_bytes=max_size,
        trust_anchors=load_trust_anchors(trust),
        require_signature=require_signature,
        lang=lang,
    )
    results: list[ValidationResult] = []
    unreadable = 0
    if Path("-") in inputs:
        data = sys.stdin.buffer.read(max_size + 1)
        results.append(validator.validate_bytes(data, "-"))
    paths = list(iter_inputs([p for p in inputs if str(p) != "-"]))
    jobs = jobs or (os.cpu_count() or 1)
    show_progress = not quiet and sys.stderr.isatty() and len(paths) > 20
    stream = _results(paths, validator, jobs, state, max_size)
    sink: Any = sys.stderr if show_progress else NullStream()
    with click.progressbar(stream, length=len(paths), label="Validating", file=sink) as bar:
        for item in bar:
            if isinstance(item, str):
                unreadable += 1
                echo_error(item)
            else:
                results.append(item)
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
    threshold = Severity(fail_on)
    if unreadable:
        raise click.exceptions.Exit(int(ExitCode.USAGE))
    if any(r.fails_at(threshold) for r in results):
        raise click.exceptions.Exit(int(ExitCode.INVALID))
