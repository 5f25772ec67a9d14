"""``kanta-archive validate``: check documents against schemas and rules."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
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
from kanta_archive.limits import (
    DEFAULT_MAX_ATTRIBUTES,
    DEFAULT_MAX_FINDINGS,
    DEFAULT_MAX_MEMBERS,
    DEFAULT_MAX_NAMESPACES,
)

if TYPE_CHECKING:
    from kanta_archive.findings import ValidationResult
    from kanta_archive.limits import InputLimits
    from kanta_archive.validate import Validator

FORMATS = ("text", "json", "junit", "sarif", "github")


def _limit_option(
    name: str, default: int, what: str
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """An input limit of kanta_archive/limits.py as an option: a whole number from 1."""
    return click.option(
        name, type=click.IntRange(min=1), default=default, show_default=True, help=f"Most {what}"
    )


# Per worker process: built once by the pool initializer, so every schema is
# compiled once per process, never per file.
_worker_validator: Validator | None = None


def _init_worker(
    schemas_dirs: tuple[Path, ...],
    max_bytes: int,
    trust_anchors: tuple[bytes, ...],
    limits: InputLimits,
) -> None:
    global _worker_validator
    from kanta_archive.schemas import SchemaRegistry
    from kanta_archive.validate import Validator

    _worker_validator = Validator(
        SchemaRegistry(schemas_dirs),
        max_bytes=max_bytes,
        trust_anchors=trust_anchors,
        limits=limits,
    )


def _validate_one(path: Path) -> ValidationResult | str:
    from kanta_archive.errors import InputError, KantaArchiveError

    assert _worker_validator is not None
    try:
        return _worker_validator.validate_path(path)
    except InputError as exc:
        return str(exc)
    except KantaArchiveError:
        raise  # the tool's own errors pickle (tests/unit/test_signature_failures.py)
    except Exception as exc:
        # Goes back to the parent by pickle: an exception whose class does not round-trip
        # would break the whole pool with a pickling error instead of naming the document.
        raise KantaArchiveError(f"{path}: {type(exc).__name__}: {exc}") from None


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
        initargs=(state.schemas_dirs, max_bytes, validator.trust_anchors, validator.limits),
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
@trust_option
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.pass_obj
def validate(
    state: CliState,
    inputs: tuple[Path, ...],
    fmt: str,
    fail_on: str,
    jobs: int,
    max_size: int,
    max_members: int,
    max_attributes: int,
    max_namespaces: int,
    max_findings: int,
    trust: tuple[Path, ...],
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
      cat doc.json | kanta-archive validate -
    """
    import os

    from kanta_archive import __version__
    from kanta_archive.findings import Severity
    from kanta_archive.limits import InputLimits
    from kanta_archive.reports import get_reporter
    from kanta_archive.validate import Validator, iter_inputs

    limits = InputLimits(max_members, max_attributes, max_namespaces, max_findings)
    validator = Validator(
        state.registry(),
        max_bytes=max_size,
        trust_anchors=load_trust_anchors(trust),
        limits=limits,
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
    threshold = Severity(fail_on)
    if unreadable:
        raise click.exceptions.Exit(int(ExitCode.USAGE))
    if any(r.fails_at(threshold) for r in results):
        raise click.exceptions.Exit(int(ExitCode.INVALID))
