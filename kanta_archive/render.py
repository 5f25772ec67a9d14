"""Render a document into the other storage form (JSON <-> XHTML)."""

from __future__ import annotations

import json

from kanta_archive.errors import InputError
from kanta_archive.formats.read import read_bytes
from kanta_archive.formats.xhtml_writer import render_xhtml
from kanta_archive.model import Document
from kanta_archive.schemas import SchemaRegistry


def render_json(document: Document) -> bytes:
    """The JSON form of ``document`` (``storage_format`` set to ``json``), UTF-8."""
    metadata = dict(document.metadata_raw)
    if "storage_format" in metadata:
        metadata["storage_format"] = "json"
    text = json.dumps(
        {"metadata": metadata, "content": document.content}, ensure_ascii=False, indent=2
    )
    return (text + "\n").encode("utf-8")


def render(document: Document, to: str, registry: SchemaRegistry | None = None) -> bytes:
    """Render ``document`` as ``to`` (``json``, ``xhtml`` or ``cda``)."""
    if to == "json":
        return render_json(document)
    key = document.metadata.schema_key
    structure = (registry or SchemaRegistry()).get(*key) if key else None
    if to == "cda":
        from kanta_archive.formats.cda_writer import render_cda

        return render_cda(
            document.metadata_raw, document.content, structure.schema if structure else None
        )
    try:
        return render_xhtml(
            document.metadata_raw, document.content, structure.schema if structure else None
        )
    except ValueError as exc:  # lxml refuses control characters that XML cannot carry
        raise InputError(f"{document.source}: cannot render as XHTML: {exc}") from exc


def load_for_render(data: bytes, source: str) -> Document:
    """Read a document for rendering; unreadable input raises InputError with the reason."""
    outcome = read_bytes(data, source)
    if outcome.document is None:
        reasons = "; ".join(f"{f.code} {f.message}" for f in outcome.findings)
        raise InputError(f"{source}: cannot read document: {reasons}")
    return outcome.document
