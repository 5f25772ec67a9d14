"""The ``kanta-archive`` command. Only this package imports click.

Commands import their library modules lazily so that ``--help`` stays instant.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kanta_archive.cli.common import CliState, GuardedGroup
from kanta_archive.exitcodes import ExitCode


@click.group(
    cls=GuardedGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--schemas-dir",
    "schemas_dirs",
    multiple=True,
    type=click.Path(path_type=Path, file_okay=False),
    envvar="KANTA_ARCHIVE_SCHEMAS",
    help="Extra folder of Sosmeta JSON Schema exports (and codesets/); repeatable. "
    "Env: KANTA_ARCHIVE_SCHEMAS.",
)
@click.version_option(package_name="kanta-archive", prog_name="kanta-archive")
@click.pass_context
def cli(ctx: click.Context, schemas_dirs: tuple[Path, ...]) -> None:
    """Validate, archive and query Kanta phase-2 social welfare client documents.

    Exit codes: 0 valid, 1 invalid or refused, 2 usage error or unreadable input,
    3 the tool's own failure (broken store, index or schema).

    \b
    Example:
      kanta-archive validate samples/valid/
      kanta-archive schemas list
    """
    from kanta_archive.errors import UsageError

    for folder in schemas_dirs:
        if not folder.is_dir():
            raise UsageError(f"--schemas-dir {folder}: no such directory")
    ctx.obj = CliState(schemas_dirs=schemas_dirs)


def _register() -> None:
    from kanta_archive.cli import (
        access_cmd,
        archive_cmd,
        codesets_cmd,
        commissioning_cmd,
        findings_cmd,
        migrate_cmd,
        object_cmd,
        render_cmd,
        samples_cmd,
        schemas_cmd,
        sign_cmd,
        upgrade_cmd,
        validate_cmd,
    )

    cli.add_command(validate_cmd.validate)
    cli.add_command(schemas_cmd.schemas)
    cli.add_command(codesets_cmd.codesets)
    cli.add_command(findings_cmd.findings)
    cli.add_command(render_cmd.render)
    cli.add_command(sign_cmd.sign)
    cli.add_command(sign_cmd.verify_signature)
    cli.add_command(upgrade_cmd.upgrade)
    for command in (*archive_cmd.COMMANDS, *object_cmd.COMMANDS, *migrate_cmd.COMMANDS):
        cli.add_command(command)
    cli.add_command(samples_cmd.samples)
    cli.add_command(commissioning_cmd.commissioning_test)
    for command in access_cmd.COMMANDS:
        cli.add_command(command)


_register()


def main() -> None:
    """Console-script entry point."""
    try:
        cli(prog_name="kanta-archive")
    except BrokenPipeError:
        # Output piped into `head`: not an error. Silence the flush at exit too.
        sys.stdout = None
        sys.exit(int(ExitCode.OK))


if __name__ == "__main__":  # pragma: no cover
    main()


__all__ = ["ExitCode", "cli", "main"]
