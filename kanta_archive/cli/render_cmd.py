"""``kanta-archive render``: convert a document between JSON and XHTML."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kanta_archive.cli.common import CliState


@click.command()
@click.argument("source", type=click.Path(path_type=Path, allow_dash=True, dir_okay=False))
@click.option("--to", "to", type=click.Choice(["xhtml", "json", "cda"]), required=True)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write here, not stdout.",
)
@click.option(
    "--frame",
    "service_request",
    metavar="SERVICE-REQUEST",
    help="With --to cda: wrap the document in its RCMR_IN200002FI01 archiving message with "
    "this service request code (1.2.246.537.6.1503, e.g. SP1).",
)
@click.option(
    "--usage-situation",
    default="1",
    show_default=True,
    help="With --frame: the usage situation code (1.2.246.537.6.1289).",
)
@click.pass_obj
def render(
    state: CliState,
    source: Path,
    to: str,
    output: Path | None,
    service_request: str | None,
    usage_situation: str,
) -> None:
    """Render a document as XHTML, JSON or the national CDA R2 form.

    The content and metadata survive a round trip unchanged, except that
    storage_format names the form written. CDA carries the display form (made from
    the structure's Sosmeta labels) and the JSON content as base64; the archive's own
    fields that CDA has no element for are left out, and a warning names them. The
    input is read, not validated: run validate on the output. A signature does not
    survive rendering (it covers the form it was made for): a warning says so, and
    the output must be signed again.

    \b
    Example:
      kanta-archive render doc.json --to xhtml > doc.xhtml
      kanta-archive render doc.xhtml --to json -o doc.json
      kanta-archive render doc.json --to cda -o doc.xml
      kanta-archive render doc.json --to cda --frame SP1 -o message.xml
      kanta-archive render doc.xml --to json
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
    if to == "cda":
        from kanta_archive.formats.cda_writer import left_out

        gone = left_out(document.metadata_raw)
        if gone:
            click.echo(
                f"Warning: {source}: the CDA form has no element for {', '.join(gone)}: left out",
                err=True,
            )
    rendered = do_render(document, to, state.registry())
    if service_request is not None:
        from kanta_archive.errors import UsageError
        from kanta_archive.formats.cda_writer import frame_cda

        if to != "cda":
            raise UsageError("--frame needs --to cda")
        meta = document.metadata
        rendered = frame_cda(
            rendered,
            message_id=f"{meta.document_oid}.1",
            created=meta.created or "",
            service_request=service_request,
            usage_situation=usage_situation,
        )
    if output is None:
        sys.stdout.buffer.write(rendered) if hasattr(sys.stdout, "buffer") else sys.stdout.write(
            rendered.decode("utf-8")
        )
    else:
        from kanta_archive.output import write_output

        write_output(output, rendered, "render -o")
