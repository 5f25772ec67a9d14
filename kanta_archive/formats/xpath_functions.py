"""The XPath functions the XPath 1.0 forms of the XSD assertions need (namespace
``urn:kanta-archive:xpath``, prefix ``kf``), each done by elementpath, the XPath 2.0
processor the reference path (xmlschema) evaluates the same tests with:

* ``kf:matches(string, pattern)`` is XPath 2.0 ``matches`` without flags: the pattern is
  translated by elementpath's own ``translate_pattern`` (once per pattern), so ``$``,
  ``\\d`` and character classes mean what they mean to the reference.
* ``kf:castable-date-time(string)`` is ``$string castable as xs:dateTime``, and
  ``kf:date-time-le(a, b)`` is ``xs:dateTime($a) le xs:dateTime($b)`` (for strings that
  are castable): both cast with elementpath's ``xs:dateTime`` constructor, as its
  ``castable``, constructor and ``le`` do (``le`` of two of its date-times is Python's
  ``<=`` on them), without building an XPath context for each call.

libxml2 calls them from its compiled XPath 1.0 (``lxml.etree.XPath``), once per use in a
test, only when the test reaches them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

KF_NS = "urn:kanta-archive:xpath"
XS_NS = "http://www.w3.org/2001/XMLSchema"
_MOST_CASTS = 4096


# The usual time stamp, where Python's datetime and elementpath's xs:dateTime agree: a
# year from 0001, hours to 23, seconds to 59, at most six decimals, and a zone that XML
# Schema allows (to 14:00 either way). Anything else is cast by elementpath.
_PLAIN_DATE_TIME = re.compile(
    r"(?!0000)[0-9]{4}-[0-9]{2}-[0-9]{2}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(?:\.[0-9]{1,6})?(?:Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
)


def _plain_date_time(value: Any) -> datetime | None:
    """``value`` as an aware datetime when it has the usual shape and a real date (an
    elementpath cast costs 25 us; most documents have two distinct times); else ``None``,
    for elementpath to decide."""
    text = value if isinstance(value, str) else str(value)
    if not _PLAIN_DATE_TIME.fullmatch(text):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:  # 30 February and the like: elementpath says why not
        return None


class XPathFunctions:
    """The ``kf`` functions for ``lxml.etree.XPath(extensions=...)``, with the
    patterns and expressions compiled once each. ``xsd_version`` is that of the schema
    whose assertions they serve (it decides the regular expression and date-time rules)."""

    def __init__(self, xsd_version: str = "1.1") -> None:
        from elementpath import XPath2Parser

        self._xsd_version = xsd_version
        self._parser = XPath2Parser(namespaces={"xs": XS_NS}, xsd_version=xsd_version)
        self._patterns: dict[str, re.Pattern[str]] = {}
        # The xs:dateTime constructor: its cast is what castable, xs:dateTime() and the
        # casts before le call.
        self._date_time: Any = self._parser.symbol_table["dateTime"](self._parser)
        # Casts by text: a test casts each of its date-times twice (castable, then le), and
        # a cast costs more than the rest of the test. A cast depends on the text alone.
        self._casts: dict[str, Any] = {}

    @property
    def extensions(self) -> Mapping[tuple[str, str], Callable[..., Any]]:
        """The ``extensions`` argument of ``etree.XPath``."""
        return {
            (KF_NS, "matches"): self._matches,
            (KF_NS, "castable-date-time"): self._castable_date_time,
            (KF_NS, "date-time-le"): self._date_time_le,
        }

    def _matches(self, _context: Any, value: Any, pattern: Any) -> bool:
        compiled = self._patterns.get(pattern)
        if compiled is None:
            from elementpath.regex import translate_pattern

            compiled = re.compile(translate_pattern(str(pattern), 0, self._xsd_version))
            self._patterns[str(pattern)] = compiled
        return compiled.search(str(value)) is not None

    def _cast(self, value: Any) -> Any:
        """elementpath's ``xs:dateTime`` cast of ``value`` (``None``: it does not cast)."""
        from elementpath import ElementPathError

        text = str(value)
        if text in self._casts:
            return self._casts[text]
        try:
            cast = self._date_time.cast(text)
        except (ElementPathError, TypeError, ValueError):  # what castable takes as "no"
            cast = None
        if len(self._casts) >= _MOST_CASTS:
            self._casts.clear()  # bounded: one batch's many different times do not pile up
        self._casts[text] = cast
        return cast

    def _castable_date_time(self, _context: Any, value: Any) -> bool:
        if _plain_date_time(value) is not None:
            return True
        return self._cast(value) is not None

    def _date_time_le(self, _context: Any, left: Any, right: Any) -> bool:
        plain_left, plain_right = _plain_date_time(left), _plain_date_time(right)
        if plain_left is not None and plain_right is not None:
            return plain_left <= plain_right  # both with a zone: instants, as elementpath
        # Called only for two castable texts (the test asks castable first); a text that
        # does not cast raises, as the cast did before it was kept.
        first, second = self._cast(left), self._cast(right)
        if first is None or second is None:
            raise ValueError("kf:date-time-le needs two xs:dateTime texts")
        return bool(first <= second)
