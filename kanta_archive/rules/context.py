"""What a rule sees: the document, its typed metadata, code sets, and facts from one walk."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from kanta_archive.catalogue import severity_of
from kanta_archive.codesets import CodeSet
from kanta_archive.findings import Finding, Location
from kanta_archive.formats import pointer as ptr
from kanta_archive.model import HETU_SYSTEM, Document, Metadata


@dataclass(frozen=True)
class ContentFacts:
    """Everything the content rules need, gathered in a single walk of the content."""

    coded: tuple[tuple[str, Mapping[str, Any]], ...]  # pointer, {system, code, display}
    hetus: tuple[tuple[str, str], ...]  # pointer of the value, HETU
    temporary_ids: tuple[tuple[str, str], ...]
    clients: tuple[tuple[str, Mapping[str, Any]], ...]  # pointer, asiakas item
    dates: tuple[tuple[str, str], ...]
    # Pointers of floats with a zero fraction (1.0, 1E0): an integer the schema may want
    # written as one (integer_form.py).
    integral_floats: tuple[str, ...] = ()


def _is_coded(value: Mapping[str, Any]) -> bool:
    return "system" in value and "code" in value and "display" in value


def gather(content: Mapping[str, Any]) -> ContentFacts:
    """Walk the content once and collect coded values, identifiers, clients and dates."""
    coded: list[tuple[str, Mapping[str, Any]]] = []
    hetus: list[tuple[str, str]] = []
    temps: list[tuple[str, str]] = []
    clients: list[tuple[str, Mapping[str, Any]]] = []
    dates: list[tuple[str, str]] = []
    integral: list[str] = []
    # The walk runs on every validated document: exact type tests first (parsed JSON is
    # dicts, lists and str), the abstract Mapping test only for anything else.
    stack: list[tuple[str, str, Any]] = [("", "", content)]
    while stack:
        pointer, key, value = stack.pop()
        kind = type(value)
        if kind is str:
            if len(value) >= 4 and value[:4].isdigit():
                dates.append((pointer, value))
        elif kind is dict or (kind is not list and isinstance(value, Mapping)):
            if "system" in value and _is_coded(value):
                coded.append((pointer, value))
            system, ident = value.get("system"), value.get("value")
            if isinstance(system, str) and isinstance(ident, str):
                if key == "henkilotunnus" or system == HETU_SYSTEM:
                    hetus.append((pointer + "/value", ident))
                elif key == "tilapainen_tunnus":
                    temps.append((pointer + "/value", ident))
            for k, v in value.items():
                if type(v) is str and not (len(v) >= 4 and v[:4].isdigit()):
                    continue  # a plain string leaf: nothing to collect
                child = pointer + "/" + ptr.escape(k)
                if key == "asiakas" or k != "asiakas" or not isinstance(v, list):
                    stack.append((child, k, v))
                else:
                    for i, item in enumerate(v):
                        item_pointer = f"{child}/{i}"
                        if isinstance(item, Mapping):
                            clients.append((item_pointer, item))
                        stack.append((item_pointer, "", item))
        elif kind is list:
            for i, item in enumerate(value):
                stack.append((f"{pointer}/{i}", key, item))
        elif kind is float and value.is_integer():
            integral.append(pointer)
    return ContentFacts(
        tuple(coded), tuple(hetus), tuple(temps), tuple(clients), tuple(dates), tuple(integral)
    )


@dataclass(frozen=True)
class RuleContext:
    """The input of every rule."""

    document: Document
    metadata: Metadata
    codesets: Mapping[str, CodeSet]
    facts: ContentFacts
    today: date
    # The structure schema's root sosmeta "signatureRequired" (docs/signatures.md).
    signature_required: bool = False
    # PEM trust anchors for signer certificates (--trust); empty: trust is not checked.
    trust_anchors: tuple[bytes, ...] = ()

    @classmethod
    def build(
        cls,
        document: Document,
        codesets: Mapping[str, CodeSet],
        today: date | None = None,
        *,
        signature_required: bool = False,
        trust_anchors: tuple[bytes, ...] = (),
        metadata: Metadata | None = None,
    ) -> RuleContext:
        """Build the context, walking the content once. ``metadata`` is the document's
        typed metadata view when the caller has already built it."""
        return cls(
            document,
            metadata or document.metadata,
            codesets,
            gather(document.content),
            today or date.today(),
            signature_required,
            trust_anchors,
        )


def finding(code: str, message: str, pointer: str) -> Finding:
    """A finding of ``code`` with its catalogued severity."""
    return Finding(code, severity_of(code), message, Location(pointer))
