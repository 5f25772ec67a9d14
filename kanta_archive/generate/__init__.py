"""Generate valid, varied documents for any structure schema, reproducible by seed.

The package splits the generator along its jobs: ``documents`` (sets and version chains),
``content`` (a structure schema filled beside its plan), ``metadata`` (the phase-2
metadata, kept apart so that a new metadata model changes that module only), ``codes``,
``patterns`` and ``values`` (where values come from), ``orgs`` (who is who, from an
organisation register extract read with ``access/registry.py``), ``signing`` (the public
TEST-ONLY key), ``forms`` (the JSON, XHTML and CDA bytes, and the check each passes) and
``output`` (files, validated before they are written).
"""

from __future__ import annotations

from kanta_archive.generate.documents import generate_documents, resolve_structure
from kanta_archive.generate.errors import GeneratorError
from kanta_archive.generate.forms import FORMS, SUFFIXES, document_bytes
from kanta_archive.generate.orgs import default_orgs_path, load_organisations
from kanta_archive.generate.output import FORMATS, FORMS_OF, write_all, write_documents
from kanta_archive.generate.signing import (
    SIGNER_NAME,
    sign_cda_bytes,
    sign_json_document,
    sign_xhtml_bytes,
)

__all__ = [
    "FORMATS",
    "FORMS",
    "FORMS_OF",
    "SIGNER_NAME",
    "SUFFIXES",
    "GeneratorError",
    "default_orgs_path",
    "document_bytes",
    "generate_documents",
    "load_organisations",
    "resolve_structure",
    "sign_cda_bytes",
    "sign_json_document",
    "sign_xhtml_bytes",
    "write_all",
    "write_documents",
]
