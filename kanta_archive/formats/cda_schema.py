"""The CDA form's XSD 1.1 (``schemas/cda/``): compiled once per process, run with xmlschema.

Errors in elements the model reads are ``KA-META-SCHEMA`` at the model's pointer (the
same finding the metadata JSON Schema gives the other forms, so one problem is one
finding); errors in the envelope only (``realmCode``, ``typeId``, the body's attributes)
are ``KA-CDA-SCHEMA`` with their XPath. Assertions are the cross-field rules.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from kanta_archive.errors import SchemaError
from kanta_archive.findings import Finding
from kanta_archive.formats.cda_common import EP2
from kanta_archive.model import Document
from kanta_archive.paths import bundled_schemas_dir


@lru_cache(maxsize=1)
def cda_xsd() -> Any:
    """The compiled XSD 1.1 of the CDA form (header subset + localSocialHeader)."""
    import xmlschema

    path = bundled_schemas_dir() / "cda" / "cda-header.xsd"
    try:
        return xmlschema.XMLSchema11(str(path))
    except (OSError, xmlschema.XMLSchemaException) as exc:
        raise SchemaError(f"{path}: cannot load XSD: {exc}") from exc


def cda_xsd_findings(document: Document) -> list[Finding]:
    """Findings of the CDA XSD on the document's ClinicalDocument element."""
    from kanta_archive.formats.cda_reader import xpath_of
    from kanta_archive.formats.xsd_findings import xsd_findings

    assert document.xml is not None
    doc = document.xml.metadata
    errors = cda_xsd().iter_errors(doc, use_location_hints=False)
    containers = tuple(
        el
        for el in (
            doc.find(f"{EP2}localSocialHeader"),
            doc.find(f"{EP2}localSocialHeader/{EP2}signature"),
        )
        if el is not None
    )
    return xsd_findings(
        errors,
        doc,
        document.xml.elements,
        unmapped_code="KA-CDA-SCHEMA",
        xpath_of=xpath_of,
        containers=containers,
    )
