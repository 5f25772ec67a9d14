"""A structure schema compiled for the rules: what each field *is*, found once per structure.

The rules must judge a value by its field, never by its look: a string is a date only where
the schema makes the field a date (its ``format``, its ``pattern`` or its Sosmeta
representation), an identifier only where the field is one. :func:`compile_plan` walks a
structure schema once into a tree of :class:`FieldPlan` nodes that the content walk
(``rules/context.py``) follows beside the document.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kanta_archive import sosmeta
from kanta_archive.rules.prose import ProseRule, UnreadRule, read_rules

DATE, DATETIME, CODED, HETU, TEMPORARY_ID = "date", "datetime", "coded", "hetu", "temporary-id"

HETU_SYSTEM = "urn:oid:1.2.246.21"
HETU_KEYS = frozenset({"henkilotunnus"})
TEMPORARY_ID_KEYS = frozenset({"tilapainen_yksilointitunnus"})
_DATE_PROBE, _DATETIME_PROBE = "2024-05-02", "2024-05-02T10:15:00+03:00"
_DATE_REPRESENTATIONS = {"pvm": DATE, "päivämäärä": DATE, "hetki": DATETIME, "aika": DATETIME}


@dataclass
class FieldPlan:
    """One schema node: its kind, names, code system, children and the prose rules it holds."""

    kind: str | None = None  # DATE, DATETIME, CODED, HETU, TEMPORARY_ID or None
    names: Mapping[str, str] = field(default_factory=dict)
    codeset: str | None = None
    children: dict[str, FieldPlan] = field(default_factory=dict)
    items: FieldPlan | None = None
    rules: list[ProseRule] = field(default_factory=list)

    def child(self, key: str) -> FieldPlan | None:
        """The plan of property ``key`` (None when the schema has no such property)."""
        return self.children.get(key)

    def name(self, lang: str) -> str:
        """The field's Sosmeta name in ``lang`` (Sosmeta publishes fi and sv; fi fallback)."""
        return self.names.get(lang) or self.names.get("fi") or ""


@dataclass(frozen=True)
class StructurePlan:
    """The compiled structure: the plan of its content, and its prose rules (read or not)."""

    root: FieldPlan
    rules: tuple[ProseRule, ...]
    unread: tuple[UnreadRule, ...]

    def at(self, pointer: str, part: str = "content") -> FieldPlan | None:
        """The plan of the field a JSON Pointer (``/content/...``) points into."""
        parts = pointer.split("/")[1:]
        if not parts or parts[0] != part:
            return None
        node: FieldPlan | None = self.root if part == "content" else self.root.child(part)
        for raw in parts[1:]:
            if node is None:
                return None
            if node.items is not None and raw.isdigit():
                node = node.items
            else:
                node = node.child(raw.replace("~1", "/").replace("~0", "~"))
        return node


def _matches(pattern: str, value: str) -> bool:
    try:
        return re.search(pattern, value) is not None
    except re.error:
        return False


def date_kind(node: Mapping[str, Any]) -> str | None:
    """DATE or DATETIME when the schema makes a string field a calendar value, else None."""
    if sosmeta.schema_type(node) != "string":
        return None
    fmt = node.get("format")
    if fmt == "date":
        return DATE
    if fmt == "date-time":
        return DATETIME
    pattern = node.get("pattern")
    if isinstance(pattern, str):
        if _matches(pattern, "x") or not _matches(pattern, _DATE_PROBE):
            return None
        return DATETIME if _matches(pattern, _DATETIME_PROBE) else DATE
    representation = sosmeta.text(sosmeta.node_sosmeta(node).get("representation"), "fi")
    return _DATE_REPRESENTATIONS.get(representation.casefold())


def _identifier_kind(key: str, node: Mapping[str, Any]) -> str | None:
    props = node.get("properties")
    if not isinstance(props, Mapping) or "value" not in props:
        return None
    if key in HETU_KEYS or sosmeta.system_uri(node) == HETU_SYSTEM:
        return HETU
    if key in TEMPORARY_ID_KEYS:
        return TEMPORARY_ID
    return None


def _names(node: Any) -> dict[str, str]:
    return {lang: sosmeta.name(node, lang) for lang in ("fi", "sv") if sosmeta.name(node, lang)}


def _compile(node: Any, key: str) -> FieldPlan:
    if not isinstance(node, Mapping):
        return FieldPlan()
    plan = FieldPlan(names=_names(node))
    kind = sosmeta.schema_type(node)
    if kind == "array":
        items = node.get("items")
        plan.items = _compile(items, key)
        plan.items.names = plan.items.names or plan.names
        return plan
    if kind == "object":
        if sosmeta.is_coded(node):
            plan.kind, plan.codeset = CODED, sosmeta.classification_oid(node)
        else:
            plan.kind = _identifier_kind(key, node)
        props = node.get("properties")
        if isinstance(props, Mapping):
            plan.children = {str(k): _compile(v, str(k)) for k, v in props.items()}
        return plan
    plan.kind = date_kind(node)
    return plan


def _attach(root: FieldPlan, rule: ProseRule) -> bool:
    node: FieldPlan | None = root
    for key in rule.parent:
        if node is None:
            return False
        node = node.items if key == "*" else node.child(key)
    if node is None:
        return False
    node.rules.append(rule)
    return True


def compile_plan(schema: Mapping[str, Any]) -> StructurePlan:
    """Compile a structure schema (the whole ``{"<root>": ...}`` schema) for the rules."""
    root = _compile(schema, "")
    rules, unread = read_rules(schema)
    attached = tuple(r for r in rules if _attach(root, r))
    return StructurePlan(root, attached, tuple(unread))
