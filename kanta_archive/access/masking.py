"""Non-disclosure masking (turvakielto).

A structure schema marks the protected fields with ``"nonDisclosureProtected": true`` in
their ``sosmeta`` (today: the client's contact data, ``asiakas/*/yhteystiedot``). When a
client of a document has ``non_disclosure``, every scalar value under a protected field of
that client's entry in the content is replaced by ``"***"``. An array entry that names
another (unprotected) client is left alone; an entry that names no client is masked.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any, Final

from kanta_archive.model import Metadata

MASK: Final = "***"
Path = tuple[str, ...]  # property names; "*" = every array item


def protected_paths(schema: Mapping[str, Any]) -> list[Path]:
    """The topmost protected paths of a JSON Schema (``"*"`` stands for array items)."""
    out: list[Path] = []

    def walk(node: Any, path: Path) -> None:
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


@lru_cache(maxsize=64)
def _paths_for(structure_oid: str, version: str) -> tuple[Path, ...]:
    from kanta_archive.schemas import SchemaRegistry

    structure = SchemaRegistry().get(structure_oid, version)
    return tuple(protected_paths(structure.schema)) if structure is not None else ()


def protected_clients(meta: Metadata) -> set[str]:
    """Identifiers of the document's clients under a non-disclosure marking."""
    return {c.identifier for c in meta.clients if c.non_disclosure and c.identifier}


def _mask_all(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _mask_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_all(v) for v in value]
    return MASK


def _entry_client(entry: Any) -> str | None:
    if not isinstance(entry, Mapping):
        return None
    for key in ("henkilotunnus", "tilapainen_tunnus"):
        ident = entry.get(key)
        if isinstance(ident, Mapping) and isinstance(ident.get("value"), str):
            return str(ident["value"])
    return None


def _apply(node: Any, path: Path, protected: set[str]) -> Any:
    if not path:
        return _mask_all(node)
    head, rest = path[0], path[1:]
    if head == "*":
        if not isinstance(node, list):
            return node
        out = []
        for entry in node:
            client = _entry_client(entry)
            if client is not None and client not in protected:
                out.append(entry)
            else:
                out.append(_apply(entry, rest, protected))
        return out
    if isinstance(node, dict) and head in node:
        node[head] = _apply(node[head], rest, protected)
    return node


def mask_content(
    content: Mapping[str, Any], paths: Iterable[Path], protected: set[str]
) -> dict[str, Any]:
    """A masked deep copy of ``content`` (``{"<root>": {...}}``)."""
    out: dict[str, Any] = copy.deepcopy(dict(content))
    if not protected:
        return out
    for path in paths:
        out = _apply(out, path, protected)
    return out


def mask_document_content(meta: Metadata, content: Mapping[str, Any]) -> dict[str, Any]:
    """Mask ``content`` of a document by its structure schema and its clients' markings."""
    protected = protected_clients(meta)
    if not protected or not meta.structure_oid or not meta.structure_version:
        return copy.deepcopy(dict(content))
    return mask_content(content, _paths_for(meta.structure_oid, meta.structure_version), protected)
