"""The input limits of the XHTML form (kanta_archive/limits.py): elements, attributes on
one element, namespace declarations.

Elements are counted before the tree is built, so that a huge tree is never held; the
attributes and namespaces afterwards, on the tree, each in one linear pass. The usual
document is let through by a byte count without any pass at all.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from kanta_archive.findings import Finding, error
from kanta_archive.limits import InputLimits

_CHUNK = 1 << 16
# Compiled once, not per document. The first asks only whether some element has an
# attribute at position $m, which libxml2 answers without counting every element's; the
# second finds that element for the message, on the rare document that has one.
# Element steps before the attribute step: '//@*' also visits every text node.
_ANY_CROWDED = etree.XPath("boolean(descendant-or-self::*/@*[$m])")
_CROWDED = etree.XPath("(//*[count(@*) > $n])[1]")


class _TooMany(Exception):
    pass


class _ElementCounter:
    """A parser target that only counts start tags, and stops past the limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0

    def start(self, _tag: str, _attrib: Any, _nsmap: Any = None) -> None:
        self.count += 1
        if self.count > self.limit:
            raise _TooMany

    def close(self) -> int:
        return self.count


def element_limit_problem(data: bytes, limits: InputLimits) -> Finding | None:
    """KA-LIMIT-MEMBERS when ``data`` holds more elements than ``limits`` allow. Run
    before the real parse; syntax errors are left to it."""
    if data.count(b"<") <= limits.max_members:
        return None  # every element starts with '<': too few to be over
    # Only start tags are counted: a target without data/end methods gets no calls for them.
    counter: Any = _ElementCounter(limits.max_members)
    parser = etree.XMLParser(
        target=counter, resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        for start in range(0, len(data), _CHUNK):
            parser.feed(data[start : start + _CHUNK])
        parser.close()
    except _TooMany:
        return error(
            "KA-LIMIT-MEMBERS",
            f"the XHTML has more than {limits.max_members} elements (--max-members)",
        )
    except etree.XMLSyntaxError:
        return None  # the parse proper reports it, with its position
    return None


def tree_limit_problem(data: bytes, root: Any, limits: InputLimits) -> Finding | None:
    """KA-LIMIT-ATTRIBUTES or KA-LIMIT-NAMESPACES for the parsed ``root`` of ``data``."""
    crowded: Any = _ANY_CROWDED(root, m=limits.max_attributes + 1) and _CROWDED(
        root, n=limits.max_attributes
    )
    if crowded:
        element = crowded[0]
        return error(
            "KA-LIMIT-ATTRIBUTES",
            f"an element has {len(element.attrib)} attributes, over the limit of "
            f"{limits.max_attributes} on one element (--max-attributes)",
            line=element.sourceline,
        )
    if data.count(b"xmlns") <= limits.max_namespaces:
        return None  # every declaration says xmlns: too few to be over
    # Different (prefix, URI) pairs: redeclaring a namespace already in scope adds nothing
    # to what canonical XML carries, binding a prefix to one more URI does.
    declared: set[tuple[str, str]] = set()
    for _event, declaration in etree.iterwalk(root, events=("start-ns",)):
        declared.add(declaration)
        if len(declared) > limits.max_namespaces:
            return error(
                "KA-LIMIT-NAMESPACES",
                f"the XHTML declares more than {limits.max_namespaces} different namespaces "
                "(prefix and URI pairs; --max-namespaces)",
            )
    return None
