"""Reading the ``sosmeta`` annotations of THL's Sosmeta JSON Schema exports.

What the real exports look like (all 202 of ``shared/sosmeta``, see its README): the root
``sosmeta`` has ``title`` and ``documentType`` as plain strings and ``oid`` as the full dated
OID of the structure (``<structure OID>.<YYYY>.<M>.<D>``); every node's ``sosmeta`` carries
lists of ``{lang, value}`` (``name``, ``description``, ``implementationNote``,
``representation``, ``classification``, ``classificationOid`` — a list, not a string),
flags (``required``, ``repeatable``, ``conditionalRequired``, ``hiddenField``, ...); for an
array the ``sosmeta`` sits on ``items``. These helpers read both that shape and the older
hand-written one (``title`` as a list, ``classificationOid`` as a string), so that users'
own schemas keep working.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

LANGS = ("fi", "sv", "en")
_OID_IN_TEXT = re.compile(r"\b([0-2](?:\.(?:0|[1-9][0-9]*))+)\b")
_URN_OID_PATTERN = re.compile(r"^\^?urn:oid:((?:\d+\\\.)*\d+)")


def node_sosmeta(node: Any) -> Mapping[str, Any]:
    """A schema node's ``sosmeta``; for an array, its items' (where Sosmeta puts it)."""
    if not isinstance(node, Mapping):
        return {}
    own = node.get("sosmeta")
    if isinstance(own, Mapping):
        return own
    items = node.get("items")
    if isinstance(items, Mapping):
        inner = items.get("sosmeta")
        if isinstance(inner, Mapping):
            return inner
    return {}


def text(values: Any, lang: str = "fi", *, fallback: bool = True) -> str:
    """The text of a Sosmeta ``[{lang, value}]`` list (or a plain string) in ``lang``.

    With ``fallback`` another language is used when ``lang`` has none (fi, then sv, then a
    value without a language); ``"-"``, Sosmeta's placeholder for "nothing", counts as none.
    """
    if isinstance(values, str):
        return values.strip()
    if not isinstance(values, list):
        return ""
    by_lang: dict[str, str] = {}
    for item in values:
        if isinstance(item, Mapping) and isinstance(item.get("value"), str):
            value = item["value"].strip()
            if value and value != "-":
                by_lang.setdefault(str(item.get("lang") or ""), value)
    order = (lang, "fi", "sv", "") if fallback else (lang,)
    return next((by_lang[code] for code in order if code in by_lang), "")


def name(node: Any, lang: str = "fi") -> str:
    """The node's Sosmeta name (``sosmeta.name``; for arrays the items' name)."""
    return text(node_sosmeta(node).get("name"), lang)


def flag(node: Any, key: str) -> bool:
    """A boolean ``sosmeta`` flag of the node (or of its items)."""
    return node_sosmeta(node).get(key) is True


def classification_oid(node: Any) -> str | None:
    """The code system OID a coded node uses: its ``system`` pattern, ``classificationOid``
    (a list in real exports, a string in older files) or ``systemUri``."""
    if not isinstance(node, Mapping):
        return None
    props = node.get("properties")
    system = props.get("system") if isinstance(props, Mapping) else None
    pattern = system.get("pattern") if isinstance(system, Mapping) else None
    if isinstance(pattern, str):
        match = _URN_OID_PATTERN.match(pattern)
        if match:
            return match.group(1).replace("\\.", ".")
    meta = node_sosmeta(node)
    declared = meta.get("classificationOid")
    if isinstance(declared, str) and declared:
        return declared.removeprefix("urn:oid:")
    listed = text(declared, "")
    if listed:
        match = _OID_IN_TEXT.search(listed)
        if match:
            return match.group(1)
    uri = text(meta.get("systemUri"), "") or (
        meta["systemUri"] if isinstance(meta.get("systemUri"), str) else ""
    )
    if uri.startswith("urn:oid:"):
        return uri.removeprefix("urn:oid:")
    return None


def system_uri(node: Any) -> str | None:
    """The identifier system a node names (``sosmeta.systemUri``), e.g. the HETU's."""
    meta = node_sosmeta(node)
    uri = meta.get("systemUri")
    value = uri if isinstance(uri, str) else text(uri, "")
    return value or None


def is_coded(node: Any) -> bool:
    """Whether the node is a Sosmeta coded value ``{system, code, display}``."""
    props = node.get("properties") if isinstance(node, Mapping) else None
    return isinstance(props, Mapping) and {"system", "code", "display"} <= set(props)


def schema_type(node: Any) -> str:
    """The node's JSON type (the first non-null one of a list; guessed from its keywords)."""
    if not isinstance(node, Mapping):
        return "string"
    declared = node.get("type")
    if isinstance(declared, list):
        declared = next((t for t in declared if t != "null"), "null")
    if isinstance(declared, str):
        return declared
    if "properties" in node:
        return "object"
    if "items" in node:
        return "array"
    return "string"


def root_title(schema: Mapping[str, Any], root: str, lang: str = "fi") -> str:
    """A structure's title: the root element's Sosmeta name (what real exports name it by),
    else the root ``sosmeta.title`` (a plain string or a list), else the root key."""
    props = schema.get("properties")
    child = props.get(root) if isinstance(props, Mapping) else None
    named = name(child, lang)
    if named:
        return named
    meta = schema.get("sosmeta")
    title = text(meta.get("title"), lang) if isinstance(meta, Mapping) else ""
    # Real exports say "'Asiakkuusasiakirja' JSON schema": keep the quoted name.
    quoted = re.fullmatch(r"'(.+)' JSON schema", title)
    return quoted.group(1) if quoted else title or root


def document_type(schema: Mapping[str, Any]) -> str:
    """The root ``sosmeta.documentType`` as text (a plain string in real exports)."""
    meta = schema.get("sosmeta")
    value = meta.get("documentType") if isinstance(meta, Mapping) else None
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        code, label = value.get("code"), text(value.get("name"))
        return " ".join(str(p) for p in (code, label) if p)
    return ""
