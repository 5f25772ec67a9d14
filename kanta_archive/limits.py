"""Per-document input limits: what bounds the cost of one document, whatever is in it.

The size limit (``--max-size``) bounds the bytes; these bound what the bytes can make the
validator do. Each was chosen far above any real document and far below what makes the
parsers or signature libraries slow (measured in ``tests/unit/test_input_limits.py``):

- **members**: JSON object members and array items, or XHTML elements. Every member
  costs memory once parsed (a 9.4 MB JSON of small objects took 616 MB), so JSON is counted
  before it is parsed and XHTML before its tree is built.
- **attributes** on one XHTML element: canonical XML (libxml2, used by signxml) sorts an
  element's attributes by insertion, so its cost grows with their square (200,000 on one
  element: 519 s).
- **namespaces**: different namespace declarations (prefix and URI pairs) in one XHTML
  document. Canonical XML handles every namespace in scope at every element, again at
  quadratic cost; redeclaring a namespace that is already in scope is not counted.
- **findings** per document: past it the rest are dropped and ``KA-LIMIT-FINDINGS`` says
  how many were kept; the stages stop producing them, too.

Hitting the members, attributes or namespaces limit is an error finding of its own code
(the document is not checked further); none of them is ever a hang.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MAX_MEMBERS = 200_000
DEFAULT_MAX_ATTRIBUTES = 64
DEFAULT_MAX_NAMESPACES = 32
DEFAULT_MAX_FINDINGS = 1_000


@dataclass(frozen=True)
class InputLimits:
    """What one document may hold; see the module documentation for why each exists."""

    max_members: int = DEFAULT_MAX_MEMBERS
    max_attributes: int = DEFAULT_MAX_ATTRIBUTES
    max_namespaces: int = DEFAULT_MAX_NAMESPACES
    max_findings: int = DEFAULT_MAX_FINDINGS

    def __post_init__(self) -> None:
        for name in ("max_members", "max_attributes", "max_namespaces", "max_findings"):
            value = getattr(self, name)
            if type(value) is not int or value < 1:
                from kanta_archive.errors import UsageError

                raise UsageError(f"{name} must be a whole number of at least 1, not {value!r}")


DEFAULT_LIMITS = InputLimits()
