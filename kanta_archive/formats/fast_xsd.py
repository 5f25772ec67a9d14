"""An XSD 1.1 schema run fast: lxml's XSD 1.0 for structure and types, the assertions by
elementpath, each compiled once per process.

xmlschema validates the XHTML head in milliseconds per document (it re-validates the
whole element tree in Python); libxml2 does the XSD 1.0 part in tens of microseconds. The
schema's ``xs:assert`` elements are the only XSD 1.1 in ``schemas/xhtml/metadata.xsd``:
they are taken out for lxml and evaluated with elementpath's XPath 2.0 on the same
element, with the schema's ``xpathDefaultNamespace``. The findings have the same codes,
severities and pointers as xmlschema's (``tests/unit/test_fast_xsd.py`` compares both on
every sample and on mutated documents); the messages are libxml2's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from lxml import etree

from kanta_archive.errors import SchemaError
from kanta_archive.findings import Finding, Location, Severity
from kanta_archive.formats.xsd_findings import KA_NS, assertion_finding, short

XS_NS = "http://www.w3.org/2001/XMLSchema"
XS = f"{{{XS_NS}}}"
_MESSAGE = re.compile(r"^Element '([^']+)'(?:, attribute '[^']+')?: (.*)$", re.DOTALL)
_NOT_EXPECTED = "This element is not expected"


@dataclass(frozen=True)
class _Assertion:
    code: str
    pointer: str
    token: Any


class FastXsd:
    """One XSD 1.1 schema whose only 1.1 parts are top-level assertions."""

    def __init__(self, path: Path) -> None:
        from elementpath import XPath2Parser

        try:
            tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
            root = tree.getroot()
            namespace = root.get("targetNamespace")
            default = root.get("xpathDefaultNamespace")
            if default is not None:
                del root.attrib["xpathDefaultNamespace"]
            parser = XPath2Parser(
                namespaces={"xs": XS_NS},
                default_namespace=namespace if default == "##targetNamespace" else default,
            )
            self.assertions: list[_Assertion] = []
            for element in list(root.iter(XS + "assert")):
                code = element.get(f"{{{KA_NS}}}code")
                if code is None:
                    raise SchemaError(f"{path}: an assertion without ka:code")
                test = element.get("test") or "true()"
                pointer = element.get(f"{{{KA_NS}}}pointer") or "/metadata"
                self.assertions.append(_Assertion(code, pointer, parser.parse(test)))
                element.getparent().remove(element)
            self.schema = etree.XMLSchema(tree)
        except (OSError, etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
            raise SchemaError(f"{path}: cannot load XSD for lxml: {exc}") from exc
        except Exception as exc:  # elementpath's parse errors have no common base here
            raise SchemaError(f"{path}: cannot compile an assertion: {exc}") from exc

    def findings(self, element: Any, elements: Mapping[str, Any]) -> list[Finding]:
        """Schema findings (``KA-META-SCHEMA`` at the pointers of the elements the reader
        recorded) and the failed assertions, for the element the schema declares."""
        from elementpath import XPathContext

        pointers = {id(el): pointer for pointer, el in elements.items()}
        found: list[Finding] = []
        if not self.schema.validate(element):
            log: Any = self.schema.error_log
            # Elements by (tag, line), first in document order: one pass for all the errors,
            # not one per error (50,000 bad clients were quadratic).
            by_line: dict[tuple[Any, int | None], Any] = {}
            for candidate in element.iter():
                by_line.setdefault((candidate.tag, candidate.sourceline), candidate)
            for entry in log:
                found.append(self._schema_finding(entry, element, pointers, by_line))
        context = XPathContext(element)
        for assertion in self.assertions:
            try:
                holds = assertion.token.boolean_value(assertion.token.evaluate(context))
            except Exception:
                continue
            if not holds:
                found.append(assertion_finding(assertion.code, assertion.pointer))
        return found

    @staticmethod
    def _schema_finding(
        entry: Any,
        root: Any,
        pointers: Mapping[int, str],
        by_line: Mapping[tuple[Any, int | None], Any],
    ) -> Finding:
        message = str(entry.message)
        match = _MESSAGE.match(message)
        target = root
        if match:
            target = by_line.get((match.group(1), entry.line), root)
            # xmlschema reports an unexpected child at its parent, as the JSON Schema does.
            if match.group(2).startswith(_NOT_EXPECTED) and target.getparent() is not None:
                target = target.getparent() if target is not root else root
        pointer = pointers.get(id(target), "/metadata")
        return Finding("KA-META-SCHEMA", Severity.ERROR, short(message), Location(pointer))


@lru_cache(maxsize=4)
def fast_xsd(path: Path) -> FastXsd:
    """The compiled fast form of the XSD at ``path`` (once per process)."""
    return FastXsd(path)
