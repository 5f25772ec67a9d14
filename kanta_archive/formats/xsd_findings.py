"""XSD 1.1 errors as findings, shared by the XHTML head and the CDA schemas.

An assertion carries ``ka:code`` and ``ka:pointer``: its error is that finding. Any other
error is a schema finding at the JSON Pointer of the element it is about (the readers
record which element each pointer came from), or, for an element the model does not
read, ``unmapped_code`` at ``/metadata`` with the element's XPath.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from kanta_archive.catalogue import BY_CODE, severity_of
from kanta_archive.findings import Finding, Location, Severity

KA_NS = "urn:kanta-archive:metadata:1"
_MAX_MESSAGE = 300


def short(message: str) -> str:
    """A message on one line, at most 300 characters."""
    return _short(message)


def assertion_finding(code: str, pointer: str) -> Finding:
    """The finding of a failed assertion that names ``code`` and ``pointer``."""
    message = f"XSD assertion failed: {BY_CODE[code].summary}"
    return Finding(code, severity_of(code), _short(message), Location(pointer))


def _short(message: str) -> str:
    message = " ".join(message.split())
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 1] + "…"


def xsd_findings(
    errors: Iterator[Any],
    root: Any,
    elements: Mapping[str, Any],
    *,
    unmapped_code: str = "KA-META-SCHEMA",
    xpath_of: Callable[[Any], str] | None = None,
    containers: tuple[Any, ...] = (),
) -> list[Finding]:
    """Findings of xmlschema's ``iter_errors`` over ``root``. An error about one of
    ``containers`` (elements that hold metadata fields but are none themselves, such as
    ``localSocialHeader``) is reported at ``/metadata``, as the JSON Schema reports a
    missing field."""
    pointers = {id(el): pointer for pointer, el in elements.items()}
    pointers.update({id(el): "/metadata" for el in containers})
    found: list[Finding] = []
    for err in errors:
        elem = err.elem if err.elem is not None else root
        assertion: Any = getattr(getattr(err, "validator", None), "elem", None)
        code = assertion.get(f"{{{KA_NS}}}code") if assertion is not None else None
        if code is not None:
            if err.reason != "assertion test is false":
                continue  # a type error inside the assertion: reported as a type error
            found.append(
                assertion_finding(code, assertion.get(f"{{{KA_NS}}}pointer") or "/metadata")
            )
            continue
        pointer = pointers.get(id(elem))
        reason = _short(str(err.reason or err.message))
        if pointer is None and unmapped_code != "KA-META-SCHEMA":
            xpath = xpath_of(elem) if xpath_of else None
            found.append(
                Finding(
                    unmapped_code,
                    Severity.ERROR,
                    reason,
                    Location("/metadata", xpath, getattr(elem, "sourceline", None)),
                )
            )
            continue
        found.append(
            Finding("KA-META-SCHEMA", Severity.ERROR, reason, Location(pointer or "/metadata"))
        )
    return found
