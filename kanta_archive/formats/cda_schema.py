"""The CDA form's XSD 1.1 (``schemas/cda/``): compiled once per process, run fast
(formats/fast_xsd.py: lxml's XSD 1.0 on the document pruned of open content, the
assertions in XPath 1.0) and, for a document that is not valid there, with xmlschema, the
reference, which also gives every finding's wording.

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
from kanta_archive.formats.cda_common import CDA_ROOT, EP2
from kanta_archive.formats.fast_xsd import FastXsd, fast_xsd
from kanta_archive.model import Document
from kanta_archive.paths import bundled_schemas_dir


@lru_cache(maxsize=1)
def cda_fast_xsd() -> FastXsd:
    """The fast form of the CDA XSD (once per process)."""
    return fast_xsd(bundled_schemas_dir() / "cda" / "cda-header.xsd", CDA_ROOT)


@lru_cache(maxsize=1)
def cda_xsd() -> Any:
    """The compiled XSD 1.1 of the CDA form (header subset + localSocialHeader)."""
    import xmlschema

    path = bundled_schemas_dir() / "cda" / "cda-header.xsd"
    try:
        return xmlschema.XMLSchema11(str(path))
    except (OSError, xmlschema.XMLSchemaException) as exc:
        raise SchemaError(f"{path}: cannot load XSD: {exc}") from exc


def cda_xsd_findings(document: Document, *, slow: bool = False) -> list[Finding]:
    """Findings of the CDA XSD on the document's ClinicalDocument element; ``slow``: by
    xmlschema alone (the reference the fast path is tested against)."""
    from kanta_archive.formats.cda_reader import xpath_of
    from kanta_archive.formats.xhtml_reader import may_hold_comments_or_pis
    from kanta_archive.formats.xsd_findings import xsd_findings

    assert document.xml is not None
    doc = document.xml.metadata
    if not slow:
        # Each declaration is spelled 'xmlns' in the bytes: as many as the root declares
        # means none below it, and the open content can be pruned in place exactly.
        below = document.raw.count(b"xmlns") > len(document.xml.root.nsmap)
        found = cda_fast_xsd().valid_findings(doc, may_hold_comments_or_pis(document.raw), below)
        if found is not None:
            return found
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
