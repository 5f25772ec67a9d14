"""The two XPath functions the XPath 1.0 forms of the XSD assertions need (namespace
``urn:kanta-archive:xpath``, prefix ``kf``), each done by elementpath, the XPath 2.0
processor the reference path (xmlschema) evaluates the same tests with:

* ``kf:matches(string, pattern)`` is XPath 2.0 ``matches`` without flags: the pattern is
  translated by elementpath's own ``translate_pattern`` (once per pattern), so ``$``,
  ``\\d`` and character classes mean what they mean to the reference.
* ``kf:xpath2(expression, a, b, ...)`` evaluates an XPath 2.0 expression over the strings
  given, as ``$a``, ``$b``, ...: for the few tests XPath 1.0 has no types for
  (``castable as xs:dateTime``, ordering date-times). It sees no document.

libxml2 calls them from its compiled XPath 1.0 (``lxml.etree.XPath``), once per use in a
test, only when the test reaches them.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from typing import Any

KF_NS = "urn:kanta-archive:xpath"
XS_NS = "http://www.w3.org/2001/XMLSchema"
# The variables of kf:xpath2, in the order of its arguments after the expression.
_NAMES = "abcdefgh"


class XPathFunctions:
    """``kf:matches`` and ``kf:xpath2`` for ``lxml.etree.XPath(extensions=...)``, with the
    patterns and expressions compiled once each. ``xsd_version`` is that of the schema
    whose assertions they serve (it decides the regular expression and date-time rules)."""

    def __init__(self, xsd_version: str = "1.1") -> None:
        from elementpath import XPath2Parser

        self._xsd_version = xsd_version
        self._parser = XPath2Parser(namespaces={"xs": XS_NS}, xsd_version=xsd_version)
        self._patterns: dict[str, re.Pattern[str]] = {}
        self._expressions: dict[str, Any] = {}
        # One elementpath context per thread, its variables set for each call: building
        # a context costs more than the evaluation (the expressions read only variables).
        self._local = threading.local()

    @property
    def extensions(self) -> Mapping[tuple[str, str], Callable[..., Any]]:
        """The ``extensions`` argument of ``etree.XPath``."""
        return {(KF_NS, "matches"): self._matches, (KF_NS, "xpath2"): self._xpath2}

    def _matches(self, _context: Any, value: Any, pattern: Any) -> bool:
        compiled = self._patterns.get(pattern)
        if compiled is None:
            from elementpath.regex import translate_pattern

            compiled = re.compile(translate_pattern(str(pattern), 0, self._xsd_version))
            self._patterns[str(pattern)] = compiled
        return compiled.search(str(value)) is not None

    def _xpath2(self, _context: Any, expression: Any, *values: Any) -> bool:
        token = self._expressions.get(expression)
        if token is None:
            token = self._parser.parse(str(expression))
            self._expressions[str(expression)] = token
        context = self._variables_context()
        context.variables.clear()
        context.variables.update(
            {name: str(value) for name, value in zip(_NAMES, values, strict=False)}
        )
        return bool(token.boolean_value(token.evaluate(context)))

    def _variables_context(self) -> Any:
        context = getattr(self._local, "context", None)
        if context is None:
            from elementpath import XPathContext
            from lxml import etree

            # No document: the expressions see only their variables (the root is a stand-in).
            context = XPathContext(etree.Element("none"))
            self._local.context = context
        return context
