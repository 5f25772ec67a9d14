"""An integer is written as one: ``1``, never ``1.0`` or ``1E0``.

JSON Schema counts any number with a zero fraction as an ``integer`` (draft 6 on), and so
does jsonschema-rs: ``"version": 1.0`` passed the metadata schema, and the archive then
refused the document for want of a version number. JSON text does tell the two apart, and
so does the document model: Python's json reads ``1.0`` and ``1E0`` as floats, and the
XHTML reader reads a ``data-ka="number"`` with a fraction or exponent as one too. The rule
(docs/metadata.md): where the schema says ``integer`` and not ``number``, a value written
with a fraction or an exponent is refused with the schema's code, in both forms alike.

How the schema's word is found without walking the schema (``$ref``, ``allOf`` and the
rest): the integral floats are set to 0.5 in a copy of the instance and the copy is
validated again; a type error there that names ``integer`` but not ``number`` means the
value was accepted only because it happens to be whole. This runs only for documents
that hold an integral float at all.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

from kanta_archive.findings import Finding, Location, Severity
from kanta_archive.formats import pointer as ptr

_ANY = "*"  # any member or item
_SAME_PLACE = ("allOf", "anyOf", "oneOf", "not", "if", "then", "else")


def integer_places(node: Any, here: tuple[str, ...] = ()) -> list[tuple[str, ...]] | None:
    """Where ``node`` (a JSON Schema) may require an integer: paths of member names, ``*``
    for any member or item. None when the schema refers elsewhere (``$ref``): then every
    float must be looked at. Generous on purpose: a place listed here is only probed."""
    if not isinstance(node, Mapping):
        return []
    if "$ref" in node:
        return None
    declared = node.get("type")
    types = [declared] if isinstance(declared, str) else declared or []
    places = [here] if "integer" in types and "number" not in types else []
    below: list[tuple[tuple[str, ...], Any]] = []
    properties = node.get("properties")
    if isinstance(properties, Mapping):
        below += [((*here, name), sub) for name, sub in properties.items()]
    patterns = node.get("patternProperties")
    if isinstance(patterns, Mapping):
        below += [((*here, _ANY), sub) for sub in patterns.values()]
    for key in ("additionalProperties", "items", "additionalItems", "contains"):
        sub = node.get(key)
        subs = sub if isinstance(sub, list) else [sub]
        below += [((*here, _ANY), item) for item in subs]
    for key in _SAME_PLACE:
        sub = node.get(key)
        subs = sub if isinstance(sub, list) else [sub]
        below += [(here, item) for item in subs]
    for place, sub in below:
        found = integer_places(sub, place)
        if found is None:
            return None
        places += found
    return places


@functools.lru_cache(maxsize=1)
def _metadata_places() -> tuple[tuple[str, ...], ...] | None:
    from kanta_archive.formats.xhtml_common import metadata_schema_node

    places = integer_places(metadata_schema_node())
    return None if places is None else tuple(dict.fromkeys(places))


def metadata_integral_floats(metadata: Mapping[str, Any]) -> list[str]:
    """Pointers of the integral floats in ``metadata`` where the bundled metadata schema may
    want an integer: only those places are looked at (the version, today)."""
    places = _metadata_places()
    if places is None:
        return integral_floats(metadata, "/metadata")
    found: list[str] = []
    for place in places:
        nodes: list[tuple[str, Any]] = [("/metadata", metadata)]
        for name in place:
            step: list[tuple[str, Any]] = []
            for pointer, node in nodes:
                if type(node) is dict:
                    items = node.items() if name == _ANY else [(name, node.get(name))]
                    step += [(f"{pointer}/{ptr.escape(k)}", v) for k, v in items if k in node]
                elif type(node) is list and name == _ANY:
                    step += [(f"{pointer}/{i}", v) for i, v in enumerate(node)]
            nodes = step
        found += [p for p, v in nodes if type(v) is float and v.is_integer()]
    return found


def integral_floats(value: Any, base: str = "") -> list[str]:
    """Pointers (below ``base``) of every float in ``value`` whose fraction is zero."""
    found: list[str] = []
    stack: list[tuple[str, Any]] = [(base, value)]
    while stack:
        pointer, node = stack.pop()
        kind = type(node)
        if kind is float:
            if node.is_integer():
                found.append(pointer)
        elif kind is dict:
            stack.extend((f"{pointer}/{ptr.escape(k)}", v) for k, v in node.items())
        elif kind is list:
            stack.extend((f"{pointer}/{i}", v) for i, v in enumerate(node))
    return found


_PROBE = 0.5  # not whole: a type error for it names what the schema allows there


def _probe(value: Any, paths: dict[str, Any], originals: dict[str, Any], here: str) -> Any:
    """A copy of ``value`` with every member named by the trie ``paths`` set to the probe;
    only the containers on those paths are copied, each once. ``originals`` gets the
    values replaced, by pointer."""
    if not paths:
        originals[here] = value
        return _PROBE
    copy: Any = list(value) if isinstance(value, list) else dict(value)
    for token, below in paths.items():
        key: int | str = int(token) if isinstance(value, list) else ptr.unescape(token)
        copy[key] = _probe(value[key], below, originals, f"{here}/{token}")
    return copy


def _requires_integer(error: Any) -> bool:
    import jsonschema_rs

    kind = error.kind
    if not isinstance(kind, jsonschema_rs.ValidationErrorKind.Type):
        return False
    types = kind.types
    return "integer" in types and "number" not in types


def integer_form_findings(
    validator: Any, instance: Any, pointers: Iterable[str], code: str, base: str = ""
) -> list[Finding]:
    """``code`` errors for the integral floats at ``pointers`` (into ``instance``) where the
    compiled ``validator``'s schema requires an integer. ``base`` prefixes the findings'
    pointers, as for the schema's own findings."""
    trie: dict[str, Any] = {}
    for pointer in pointers:
        node = trie
        for token in pointer.split("/")[1:]:
            node = node.setdefault(token, {})
    if not trie:
        return []
    wanted: dict[str, Any] = {}
    probe = _probe(instance, trie, wanted, "")
    found: list[Finding] = []
    for error in validator.iter_errors(probe):
        pointer = ptr.from_path(error.instance_path)
        if pointer in wanted and _requires_integer(error):
            value = wanted.pop(pointer)
            found.append(
                Finding(
                    code,
                    Severity.ERROR,
                    f"{value!r} is not of type 'integer': an integer is written without a "
                    "fraction or exponent",
                    Location(base + pointer),
                )
            )
    return found
