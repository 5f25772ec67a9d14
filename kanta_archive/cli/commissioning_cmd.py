"""``kanta-archive commissioning-test``: run a test plan over a folder of documents and write
the commissioning-test report (käyttöönottokoe) as HTML and JSON."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kanta_archive.cli.common import CliState, write_stdout
from kanta_archive.exitcodes import ExitCode

if TYPE_CHECKING:
    from datetime import datetime


def _output(path: Path | None, option: str) -> None:
    """Refuse an output path whose folder does not exist, before anything runs."""
    from kanta_archive.errors import UsageError

    if path is None:
        return
    if path.is_dir():
        raise UsageError(f"{option} {path}: is a directory")
    if not path.absolute().parent.is_dir():
        raise UsageError(f"{option} {path}: folder {path.absolute().parent} does not exist")


def _parse_now(value: str | None) -> datetime | None:
    from datetime import UTC, datetime

    from kanta_archive.errors import UsageError

    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise UsageError(f"--now {value!r}: not an ISO 8601 date and time") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _progress(quiet: bool) -> tuple[Callable[[str], None], Callable[[], None]]:
    """A one-line progress display on stderr when it is a terminal, and its cleanup."""
    if quiet or not sys.stderr.isatty():
        return (lambda _step: None), (lambda: None)

    def show(step: str) -> None:
        sys.stderr.write("\r\x1b[K" + f"commissioning test: {step}"[:100])
        sys.stderr.flush()

    def done() -> None:
        sys.stderr.write("\r\x1b[K")
        sys.stderr.flush()

    return show, done


def _write(path: Path, text: str) -> None:
    from kanta_archive.output import write_output

    write_output(path, text.encode("utf-8"), "the report")


@click.command("commissioning-test")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option(
    "--org",
    "organisation_oid",
    required=True,
    metavar="OID",
    help="OID of the organisation (provider) running the test.",
)
@click.option(
    "--system",
    required=True,
    metavar="NAME",
    help='The information system and its version, e.g. "Vendor X 4.2".',
)
@click.option(
    "--plan",
    "plan_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Test plan (TOML). Default: the plan bundled with kanta-archive.",
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Write the report as one self-contained HTML file.",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Write the report as JSON.",
)
@click.option(
    "--now",
    default=None,
    metavar="ISO-TIME",
    help="The report time (ISO 8601; default: now). For reproducible reports and tests.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
@click.pass_obj
def commissioning_test(
    state: CliState,
    folder: Path,
    organisation_oid: str,
    system: str,
    plan_path: Path | None,
    html_path: Path | None,
    json_path: Path | None,
    now: str | None,
    quiet: bool,
) -> None:
    """Run a commissioning test (käyttöönottokoe) over the documents in FOLDER.

    Every document in FOLDER is validated and archived into a scratch store (a temporary
    folder, removed afterwards), then the plan's cases run against it: valid documents of
    each structure in the plan, a new version, an invalidation, a common matter, a
    temporary identifier and a non-disclosure marking (see docs/commissioning.md). A
    summary goes to stdout; --html and --json write the full report: who, which system,
    which tool and schema versions, when, each case with its findings, and the structure
    coverage.

    Exit codes: 0 every case passed, 1 a case failed, 2 usage error (missing folder, bad
    plan file, bad option).

    \b
    Example:
      kanta-archive commissioning-test out/ --org 1.2.246.10.91000013 \\
          --system "Vendor X 4.2" --html report.html --json report.json
      kanta-archive commissioning-test out/ --org 1.2.246.10.91000013 \\
          --system "Vendor X 4.2" --plan plan.toml --json report.json
    """
    from kanta_archive.commissioning import load_plan, render_html, render_json
    from kanta_archive.commissioning.runner import run_commissioning
    from kanta_archive.errors import UsageError

    if not folder.is_dir():
        raise UsageError(f"{folder}: no such folder")
    _output(html_path, "--html")
    _output(json_path, "--json")
    moment = _parse_now(now)
    plan = load_plan(plan_path)
    show, done = _progress(quiet)
    try:
        report = run_commissioning(
            folder,
            plan,
            organisation_oid=organisation_oid,
            system=system,
            now=moment,
            validator=state.validator(),
            progress=show,
        )
    finally:
        done()
    if html_path is not None:
        _write(html_path, render_html(report))
    if json_path is not None:
        _write(json_path, render_json(report))
    lines = [
        f"{'passed' if case.passed else 'FAILED':<7} {case.id}: {case.message}"
        for case in report.cases
    ]
    passed = sum(1 for case in report.cases if case.passed)
    lines.append(
        f"{passed} of {len(report.cases)} case(s) passed; "
        f"{sum(1 for d in report.documents if d.valid)} of {len(report.documents)} "
        "document(s) valid"
    )
    lines += [f"report: {p}" for p in (html_path, json_path) if p is not None]
    write_stdout("\n".join(lines) + "\n")
    if not report.passed:
        raise click.exceptions.Exit(int(ExitCode.INVALID))


__all__ = ["commissioning_test"]
