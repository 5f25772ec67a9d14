"""Non-disclosure masking (turvakielto): which documents are protected and what is masked.

Real Sosmeta structures mark a person's non-disclosure in the content, with the person's own
``turvakielto`` (a boolean, required for the client in most structures). The phase-2 metadata
can mark a client too (``clients[].non_disclosure``). A document is *protected* when any of
these markers is set. In a protected document these values are replaced by ``"***"``:

1. the residence and contact data (:data:`RESIDENCE_AND_CONTACT`: ``yhteystiedot``,
   ``kotikunta``, ``tilapainen_asuinkunta``, addresses, phone, e-mail) of every protected
   person: an entry whose ``turvakielto`` is true, or whose identifier (``henkilotunnus``,
   ``tilapainen_yksilointitunnus``) names a client the metadata marks. A non-disclosure
   marking (DVV's turvakielto) protects exactly the home municipality and address; the
   contact data go with them;
2. the same residence and contact data inside every group the structure marks
   ``hiddenField``: groups the display form does not show, which in the real exports hold
   other persons of the case (a child, the other parent, a private person) whose address
   would give the protected person's away. The exports say no more about ``hiddenField``;
   this is kanta-archive's rule (docs/non-disclosure.md);
3. every field a (user's) schema marks ``"nonDisclosureProtected": true`` in its ``sosmeta``,
   except in an entry that names a client who is not protected.

When the document's structure schema is not known to the registry in use, the schema
markers (2, 3) cannot be read: a protected document's content is then masked entirely,
never shown half-masked. The schema comes from the one registry of the run (bundled plus
``--schemas-dir``), handed in by the caller; this module never builds its own.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

from kanta_archive import sosmeta
from kanta_archive.model import Metadata

if TYPE_CHECKING:
    from kanta_archive.schemas import SchemaRegistry

MASK: Final = "***"

#: The keys of a person's residence and contact data in the Sosmeta structures.
RESIDENCE_AND_CONTACT: Final = frozenset(
    {
        "yhteystiedot",
        "kotikunta",
        "tilapainen_asuinkunta",
        "osoite",
        "tilapainen_osoite",
        "yhteysosoite",
        "puhelinnumero",
        "sahkopostiosoite",
    }
)
#: Keys whose ``value`` names a person (the real exports' identifiers).
PERSON_ID_KEYS: Final = ("henkilotunnus", "tilapainen_yksilointitunnus")
NON_DISCLOSURE_KEY: Final = "turvakielto"


def _flag(node: Any, name: str) -> bool:
    return sosmeta.flag(node, name)  # on an array, its items' sosmeta (where Sosmeta puts it)


def _mask_all(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _mask_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_all(v) for v in value]
    return MASK


def person_identifier(entry: Any) -> str | None:
    """The identifier an entry names a person by (``henkilotunnus`` first), or None."""
    if not isinstance(entry, Mapping):
        return None
    for key in PERSON_ID_KEYS:
        ident = entry.get(key)
        if isinstance(ident, Mapping) and isinstance(ident.get("value"), str):
            return str(ident["value"])
    return None


def protected_clients(meta: Metadata) -> set[str]:
    """Identifiers of the clients the metadata marks with a non-disclosure marking."""
    return {c.identifier for c in meta.clients if c.non_disclosure and c.identifier}


def marked_persons(content: Any) -> bool:
    """Whether any person in the content carries ``turvakielto: true``."""
    stack = [content]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            if node.get(NON_DISCLOSURE_KEY) is True:
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def is_protected_document(meta: Metadata, content: Mapping[str, Any]) -> bool:
    """Whether the document is under a non-disclosure marking (metadata or content)."""
    return bool(protected_clients(meta)) or marked_persons(content)


def protected_paths(schema: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """The topmost paths a schema marks ``nonDisclosureProtected`` (``"*"``: array items)."""
    out: list[tuple[str, ...]] = []

    def walk(node: Any, path: tuple[str, ...]) -> None:
        if not isinstance(node, Mapping):
            return
        sosmeta = node.get("sosmeta")
        if isinstance(sosmeta, Mapping) and sosmeta.get("nonDisclosureProtected") is True:
            out.append(path)
            return
        props = node.get("properties")
        if isinstance(props, Mapping):
            for key, child in props.items():
                walk(child, (*path, str(key)))
        if "items" in node:
            walk(node["items"], (*path, "*"))

    walk(schema, ())
    return out


class _Masker:
    """One masking pass over one document's content, guided by its schema."""

    def __init__(self, protected: set[str]) -> None:
        self.protected = protected

    def _person_protected(self, entry: Mapping[str, Any], inherited: bool) -> bool:
        if inherited or entry.get(NON_DISCLOSURE_KEY) is True:
            return True
        ident = person_identifier(entry)
        return ident is not None and ident in self.protected

    def walk(self, value: Any, schema: Any, hidden: bool, person: bool) -> Any:
        if isinstance(value, list):
            items = schema.get("items") if isinstance(schema, Mapping) else None
            return [self.walk(item, items, hidden, person) for item in value]
        if not isinstance(value, Mapping):
            return value
        props = schema.get("properties") if isinstance(schema, Mapping) else None
        props = props if isinstance(props, Mapping) else {}
        person = self._person_protected(value, person)
        ident = person_identifier(value)
        names_unprotected = ident is not None and ident not in self.protected and not person
        out: dict[str, Any] = {}
        for key, child in value.items():
            child_schema = props.get(key)
            child_hidden = hidden or _flag(child_schema, "hiddenField")
            schema_marked = _flag(child_schema, "nonDisclosureProtected") and not names_unprotected
            residence = key in RESIDENCE_AND_CONTACT and (person or child_hidden)
            if schema_marked or residence:
                out[key] = _mask_all(child)
            else:
                out[key] = self.walk(child, child_schema, child_hidden, person)
        return out


def mask_content(
    content: Mapping[str, Any], schema: Mapping[str, Any] | None, protected: Iterable[str] = ()
) -> dict[str, Any]:
    """A masked deep copy of a protected document's ``content`` (``{"<root>": {...}}``).

    ``schema`` is the document's structure schema (None: unknown, mask everything);
    ``protected`` the identifiers of the clients the metadata marks.
    """
    if schema is None:
        return _mask_all(copy.deepcopy(dict(content)))  # type: ignore[no-any-return]
    masked = _Masker(set(protected)).walk(content, schema, False, False)
    return dict(masked)


def mask_document_content(
    meta: Metadata, content: Mapping[str, Any], registry: SchemaRegistry
) -> dict[str, Any]:
    """The content to show of a document: masked when it is under a non-disclosure marking.

    ``registry`` is the run's schema registry (the one validation used), so that structures
    from ``--schemas-dir`` are masked by their own markers.
    """
    if not is_protected_document(meta, content):
        return copy.deepcopy(dict(content))
    key = meta.schema_key
    structure = registry.get(*key) if key else None
    schema = structure.schema if structure is not None else None
    return mask_content(content, schema, protected_clients(meta))
