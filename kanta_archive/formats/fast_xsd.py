"""An XSD 1.1 schema run fast: lxml's XSD 1.0 for structure and types, the assertions in
XPath 1.0 by libxml2, each compiled once per process.

xmlschema validates in milliseconds per document (it re-validates the whole element tree
in Python, and builds a typed XPath tree for every assertion); libxml2 does the XSD 1.0
part in tens of microseconds. The XSD 1.1 in the bundled schemas is limited to:

* ``xs:assert`` on the top element: taken out for lxml. Each one carries, next to its
  XPath 2.0 ``test``, the same test in XPath 1.0 (``ka:xpath1``), which libxml2 evaluates
  on an element the XSD 1.0 part found valid (there every field occurs as its declaration
  says, so a path selects at most one value where the XPath 2.0 test expects one).
  XPath 1.0 lacks a few XPath 2.0 functions and types: the ``kf:`` functions
  (formats/xpath_functions.py) have elementpath do those parts. On an element that is not
  valid the assertions run as XPath 2.0 in elementpath, as the reference does.
* ``xs:openContent`` (CDA only): taken out for lxml, and the document pruned of what only
  the open content admits (formats/open_content.py).

Two ways to use it: :meth:`FastXsd.findings` (the XHTML head) turns libxml2's errors into
findings with the codes, severities and pointers xmlschema's give; :meth:`FastXsd.valid_findings`
(the CDA) decides only documents that are valid under the XSD 1.0 part and leaves the rest
to the reference. ``tests/unit/test_fast_xsd.py`` compares both with xmlschema on every
sample and on mutated documents, and the two forms of each assertion with each other.
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
from kanta_archive.formats.open_content import Plan, build_plan, pruned, pruned_in_place
from kanta_archive.formats.xpath_functions import KF_NS, XPathFunctions
from kanta_archive.formats.xsd_findings import KA_NS, assertion_finding, short

XS_NS = "http://www.w3.org/2001/XMLSchema"
XS = f"{{{XS_NS}}}"
_MESSAGE = re.compile(r"^Element '([^']+)'(?:, attribute '[^']+')?: (.*)$", re.DOTALL)
_NOT_EXPECTED = "This element is not expected"
_XSD11_ONLY = (XS + "assert", XS + "openContent")


@dataclass(frozen=True)
class Assertion:
    """One ``xs:assert``: its finding, its XPath 2.0 test (elementpath) and its XPath 1.0
    form (libxml2), ``None`` where the schema gives none."""

    code: str
    pointer: str
    token: Any
    fast: etree.XPath | None

    def holds_slow(self, context: Any) -> bool | None:
        """The XPath 2.0 test in an elementpath ``XPathContext`` of the element (``None``:
        it raised, which xmlschema reports as no assertion failure)."""
        try:
            return bool(self.token.boolean_value(self.token.evaluate(context)))
        except Exception:
            return None

    def holds_fast(self, element: Any) -> bool | None:
        """The XPath 1.0 form on ``element``, valid under the XSD 1.0 part (``None``: it
        raised, or there is no XPath 1.0 form)."""
        if self.fast is None:
            return None
        try:
            return bool(self.fast(element))
        except Exception:
            return None


class _Imports(etree.Resolver):
    """Serves the imported schema documents without their XSD 1.1 parts to libxml2."""

    def __init__(self, stripped: Mapping[str, bytes]) -> None:
        super().__init__()
        self._stripped = stripped

    # lxml passes a context (resolve_string needs it); lxml-stubs leave it out.
    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:  # type: ignore[override]
        data = self._stripped.get(str(Path(system_url).resolve()))
        return self.resolve_string(data, context, base_url=system_url) if data else None


class FastXsd:
    """One XSD 1.1 schema whose 1.1 parts are top-level assertions and open content."""

    def __init__(self, path: Path, element: str | None = None) -> None:
        """``element``: the expanded name of the global element documents are validated
        against; needed only when the schema has open content."""
        from elementpath import XPath2Parser

        try:
            parser = etree.XMLParser(resolve_entities=False, no_network=True)
            tree = etree.parse(str(path), parser)
            root = tree.getroot()
            imported = [etree.parse(str(p), parser).getroot() for p in _imports(root, path)]
            namespace = root.get("targetNamespace")
            default = root.get("xpathDefaultNamespace")
            if default is not None:
                del root.attrib["xpathDefaultNamespace"]
            prefixes = {k: v for k, v in root.nsmap.items() if k is not None}
            slow = XPath2Parser(
                namespaces={"xs": XS_NS, **prefixes},
                default_namespace=namespace if default == "##targetNamespace" else default,
            )
            functions = XPathFunctions()
            self._functions = functions  # the compiled XPath 1.0 forms call into it
            fast_namespaces = {**prefixes, "kf": KF_NS}
            self.assertions: list[Assertion] = []
            forms: list[str] = []
            for item in list(root.iter(XS + "assert")):
                code = item.get(f"{{{KA_NS}}}code")
                if code is None:
                    raise SchemaError(f"{path}: an assertion without ka:code")
                test = item.get("test") or "true()"
                pointer = item.get(f"{{{KA_NS}}}pointer") or "/metadata"
                xpath1 = item.get(f"{{{KA_NS}}}xpath1")
                fast = (
                    etree.XPath(
                        xpath1,
                        namespaces=fast_namespaces,
                        extensions=functions.extensions,
                        smart_strings=False,
                    )
                    if xpath1
                    else None
                )
                self.assertions.append(Assertion(code, pointer, slow.parse(test), fast))
                forms.append(xpath1 or "")
            # All the XPath 1.0 forms in one expression: on the usual document every
            # assertion holds, and one evaluation costs a sixth of six. It says only "all
            # hold": boolean() is true only where each form's value is truthy in Python too.
            self._all_hold = (
                etree.XPath(
                    " and ".join(f"boolean({form})" for form in forms),
                    namespaces=fast_namespaces,
                    extensions=functions.extensions,
                )
                if forms and all(forms)
                else None
            )
            self.plan: Plan | None = None
            if any(True for r in (root, *imported) for _ in r.iter(XS + "openContent")):
                if element is None:
                    raise SchemaError(f"{path}: open content needs the validated element's name")
                self.plan = build_plan([root, *imported], element)
            for doc in (root, *imported):
                for item in [e for tag in _XSD11_ONLY for e in doc.iter(tag)]:
                    parent = item.getparent()
                    assert parent is not None  # an assertion or open content is never the root
                    parent.remove(item)
            stripped = {
                str(Path(doc.getroottree().docinfo.URL or "").resolve()): etree.tostring(doc)
                for doc in imported
            }
            schema_parser = etree.XMLParser(resolve_entities=False, no_network=True)
            schema_parser.resolvers.add(_Imports(stripped))
            self.schema = etree.XMLSchema(
                etree.fromstring(etree.tostring(root), schema_parser, base_url=str(path))
            )
        except (OSError, etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
            raise SchemaError(f"{path}: cannot load XSD for lxml: {exc}") from exc
        except SchemaError:
            raise
        except Exception as exc:  # elementpath's parse errors have no common base here
            raise SchemaError(f"{path}: cannot compile an assertion: {exc}") from exc

    def all_hold_fast(self, element: Any) -> bool:
        """Whether every assertion's XPath 1.0 form holds on ``element`` (valid under the
        XSD 1.0 part), in one evaluation; ``False`` also when one raised or has no form."""
        if self._all_hold is None:
            return False
        try:
            return self._all_hold(element) is True
        except Exception:
            return False

    def _failed(self, element: Any, valid: bool) -> list[Finding]:
        """The findings of the assertions that do not hold on ``element``; on a valid one
        by their XPath 1.0 forms, else (or where a form is missing) by elementpath."""
        if valid and self.all_hold_fast(element):
            return []
        from elementpath import XPathContext

        context = None  # elementpath's tree of the element costs more than all the tests
        found: list[Finding] = []
        for assertion in self.assertions:
            holds = assertion.holds_fast(element) if valid else None
            if holds is None:
                context = context or XPathContext(element)
                holds = assertion.holds_slow(context)
            if holds is False:
                found.append(assertion_finding(assertion.code, assertion.pointer))
        return found

    def valid_findings(
        self,
        element: Any,
        may_hold_comments: bool = True,
        declarations_below_root: bool = True,
    ) -> list[Finding] | None:
        """The failed assertions of ``element`` when the XSD 1.0 part finds it (pruned of
        open content) valid; ``None`` when it does not, or when the element holds comments
        or processing instructions (which xmlschema and libxml2 do not read alike): the
        reference must then decide. ``may_hold_comments=False`` (the source bytes hold no
        comment or PI markup) spares looking for them.

        With ``declarations_below_root=False`` (the source bytes declare every namespace
        on the root element) the open content is taken out of ``element`` while lxml
        validates it and put back afterwards (:func:`pruned_in_place`); else lxml
        validates a pruned copy."""
        if (
            may_hold_comments
            and next(element.iter(etree.Comment, etree.ProcessingInstruction), None) is not None
        ):
            return None
        if declarations_below_root:
            valid = bool(self.schema.validate(pruned(element, self.plan)))
        else:
            with pruned_in_place(element, self.plan) as view:
                valid = bool(self.schema.validate(view))
        return self._failed(element, True) if valid else None

    def findings(self, element: Any, elements: Mapping[str, Any]) -> list[Finding]:
        """Schema findings (``KA-META-SCHEMA`` at the pointers of the elements the reader
        recorded) and the failed assertions, for the element the schema declares."""
        found: list[Finding] = []
        valid = bool(self.schema.validate(element))
        if not valid:
            pointers = {id(el): pointer for pointer, el in elements.items()}
            log: Any = self.schema.error_log
            # Elements by (tag, line), first in document order: one pass for all the errors,
            # not one per error (50,000 bad clients were quadratic).
            by_line: dict[tuple[Any, int | None], Any] = {}
            for candidate in element.iter():
                by_line.setdefault((candidate.tag, candidate.sourceline), candidate)
            for entry in log:
                found.append(self._schema_finding(entry, element, pointers, by_line))
        return found + self._failed(element, valid)

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


def _imports(root: Any, path: Path) -> list[Path]:
    """The schema documents ``root`` imports or includes (one level: the bundled schemas
    import no further)."""
    return [
        (path.parent / item.get("schemaLocation")).resolve()
        for item in root
        if item.tag in (XS + "import", XS + "include") and item.get("schemaLocation")
    ]


@lru_cache(maxsize=4)
def fast_xsd(path: Path, element: str | None = None) -> FastXsd:
    """The compiled fast form of the XSD at ``path`` (once per process)."""
    return FastXsd(path, element)
