"""``kanta-archive render``: convert a document between JSON and XHTML."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kanta_archive.cli.common import CliState


@click.command()
@click.argument("source", type=click.Path(path_type=Path, allow_dash=True, dir_okay=False))
@click.option("--to", "to", type=click.Choice(["xhtml", "json"]), required=True)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write here, not stdout.",
)
@click.pass_obj
def render(state: CliState, source: Path, to: str, output: Path | None) -> None:
    """Render a document as XHTML (readable, with the metadata head) or back as JSON.

    The content and metadata survive a round trip unchanged, except that
    storage_format names the form written. The input is read, not validated:
    run validate on the output. A signature does not survive rendering (it covers
    the form it was made for): a warning says so, and the output must be signed again.

    \b
    Example:
      kanta-archive render doc.json --to xhtml > doc.xhtml
      kanta-archive render doc.xhtml --to json -o doc.json
    """
    from kanta_archive.errors import InputError
    from kanta_archive.render import load_for_render
    from kanta_archive.render import render as do_render

    if str(source) == "-":
        data = sys.stdin.buffer.read()
    else:
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise InputError(f"{source}: {exc.strerror or exc}") from exc
    document = load_for_render(data, str(source))
    from kanta_archive.signatures import has_signature

    if has_signature(document):
        click.echo(
            f"Warning: {source} is signed; the rendered document is not, because the signature "
            "covers the form it was made for (sign the output again)",
            err=True,
        )
    rendered = do_render(document, to, state.registry())
    if output is None:
        sys.stdout.buffer.write(rendered) if hasattr(sys.stdout, "buffer") else sys.stdout.write(
            rendered.decode("utf-8")
        )
    else:
        from kanta_archive.output import write_output

        write_output(output, rendered, "render -o")
