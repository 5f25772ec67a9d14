"""Generate valid, varied documents for any structure schema, reproducible by seed.

The package splits the generator along its jobs: ``documents`` (sets and version chains),
``content`` (a structure schema filled beside its plan), ``metadata`` (the phase-2
metadata, kept apart so that a new metadata model changes that module only), ``codes``,
``patterns`` and ``values`` (where values come from), ``orgs`` (who is who, from an
organisation register extract read with ``access/registry.py``), ``signing`` (the public
TEST-ONLY key), ``forms`` (the JSON and XHTML bytes, and the check each passes) and
``output`` (files, validated before they are written).
"""

from __future__ import annotations

from kanta_archive.generate.documents import generate_documents, resolve_structure
from kanta_archive.generate.errors import GeneratorError
from kanta_archive.generate.forms import document_bytes
from kanta_archive.generate.orgs import default_orgs_path, load_organisations
from kanta_archive.generate.output import FORMATS, write_all, write_documents
from kanta_archive.generate.signing import SIGNER_NAME, sign_json_document, sign_xhtml_bytes

__all__ = [
    "FORMATS",
    "SIGNER_NAME",
    "GeneratorError",
    "default_orgs_path",
    "document_bytes",
    "generate_documents",
    "load_organisations",
    "resolve_structure",
    "sign_json_document",
    "sign_xhtml_bytes",
    "write_all",
    "write_documents",
]
