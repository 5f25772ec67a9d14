"""Shared CLI plumbing: state passed to commands, error handling, output helpers."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kanta_archive.exitcodes import ExitCode

if TYPE_CHECKING:
    from kanta_archive.schemas import SchemaRegistry
    from kanta_archive.validate import Validator


@dataclass(frozen=True)
class CliState:
    """Global options, parsed once by the group, and what a run builds once from them."""

    schemas_dirs: tuple[Path, ...] = ()

    @cached_property
    def schema_registry(self) -> SchemaRegistry:
        """The run's one schema registry (bundled schemas and the user's extra folders),
        handed to everything that reads schemas: validation, masking, rendering, docs."""
        from kanta_archive.schemas import SchemaRegistry

        return SchemaRegistry(self.schemas_dirs)

    def registry(self) -> SchemaRegistry:
        """The run's schema registry (see :attr:`schema_registry`)."""
        return self.schema_registry

    def validator(self, **options: Any) -> Validator:
        """A validator over the run's schema registry (``options``: trust anchors, limits)."""
        from kanta_archive.validate import Validator

        return Validator(self.schema_registry, **options)


class StoreLocation(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.2 on
    """``--store``: a directory (a :class:`~pathlib.Path`) or an ``s3://bucket/prefix``
    URL (kept as the string; a Path would fold its ``//``)."""

    name = "DIR|s3://BUCKET/PREFIX"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> Path | str:
        if isinstance(value, Path):
            return value
        text = str(value)
        return text if text.startswith("s3://") else Path(text)


def echo_error(message: object) -> None:
    """Print ``Error: message`` to stderr.

    Messages name files and quote input; control characters other than line breaks
    (some messages list several problems) are shown as escapes, so that a file name
    cannot send terminal sequences to the console.
    """
    from kanta_archive.reports.base import escape_controls

    click.echo(f"Error: {escape_controls(str(message), keep_line_breaks=True)}", err=True)


def fail(message: str, code: ExitCode) -> click.exceptions.Exit:
    """Print ``Error: message`` to stderr and return an Exit to raise."""
    echo_error(message)
    return click.exceptions.Exit(int(code))


def exit_code_for(exc: BaseException) -> int:
    """Map a library exception to the documented exit code."""
    from kanta_archive import errors

    if isinstance(exc, errors.RefusedError):
        return ExitCode.INVALID
    if isinstance(exc, errors.UsageError | errors.InputError | errors.OutputError):
        return ExitCode.USAGE
    if isinstance(exc, errors.Interrupted):
        return 128 + exc.signum
    return ExitCode.FAILURE


class GuardedGroup(click.Group):
    """A click group that turns library errors into one-line messages and exit codes.

    Doing it here (not in ``main``) means click's CliRunner sees the same exit
    codes as the installed command.
    """

    def invoke(self, ctx: click.Context) -> object:
        from kanta_archive.errors import KantaArchiveError

        try:
            return super().invoke(ctx)
        except KantaArchiveError as exc:
            echo_error(exc)
            raise click.exceptions.Exit(exit_code_for(exc)) from exc
        except KeyboardInterrupt as exc:
            echo_error("interrupted")
            raise click.exceptions.Exit(int(ExitCode.INTERRUPTED)) from exc
        except BrokenPipeError:
            raise  # output piped into `head`: main() ends quietly
        except OSError as exc:
            # Last resort: a file-system failure no command turned into its own error.
            echo_error(f"{exc.filename or 'I/O'}: {exc.strerror or exc}")
            raise click.exceptions.Exit(int(ExitCode.FAILURE)) from exc


def write_stdout(text: str) -> None:
    """Write text to stdout as UTF-8 whatever the locale."""
    stream = sys.stdout
    if hasattr(stream, "buffer"):
        stream.buffer.write(text.encode("utf-8"))
        stream.flush()
    else:  # CliRunner's text stream
        stream.write(text)


def write_stdout_bytes(data: bytes) -> None:
    """Write bytes to stdout exactly as they are."""
    stream = sys.stdout
    if hasattr(stream, "buffer"):
        stream.buffer.write(data)
        stream.flush()
    else:  # CliRunner's text stream
        click.echo(data, nl=False)


def write_chunks(chunks: Iterable[str]) -> None:
    """Write a streamed output chunk by chunk (constant memory whatever its length)."""
    for chunk in chunks:
        write_stdout(chunk)


trust_option = click.option(
    "--trust",
    "trust",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="PEM trust anchor (CA certificate) that signer certificates must chain to; "
    "repeatable. Without it signatures are verified but their signers are not checked.",
)


def load_trust_anchors(paths: tuple[Path, ...]) -> tuple[bytes, ...]:
    """Read the --trust files; an unreadable one or one without a certificate is exit 2."""
    from kanta_archive.errors import InputError, UsageError
    from kanta_archive.signatures.verify import SigningError, load_certificates

    anchors: list[bytes] = []
    for path in paths:
        try:
            pem = path.read_bytes()
        except OSError as exc:
            raise InputError(f"{path}: cannot read trust anchor: {exc.strerror or exc}") from exc
        try:
            load_certificates(pem)
        except SigningError as exc:
            raise UsageError(f"{path}: {exc}") from exc
        anchors.append(pem)
    return tuple(anchors)


class NullStream:
    """A text sink: where the progress bar writes when it should not show."""

    def write(self, _text: str) -> int:
        return 0

    def flush(self) -> None:
        return None

    def isatty(self) -> bool:
        return False
