"""What a rule sees: the document, its typed metadata, code sets, and facts from one walk.

The content is walked once, beside the structure's compiled plan (``rules/fields.py``):
a value is a date, a HETU, a temporary identifier or a coded value because its *field* is
one, never because of its look. The prose rules of the structure (``rules/prose.py``) are
evaluated in the same walk, on every instance of the object they belong to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kanta_archive.catalogue import severity_of
from kanta_archive.codesets import CodeSet, CodeSets
from kanta_archive.findings import Finding, Location
from kanta_archive.formats import pointer as ptr
from kanta_archive.model import Document, Metadata
from kanta_archive.rules import fields as fk
from kanta_archive.rules.prose import CLIENT_BLOCK, CODE_IN, IS_ABSENT, IS_FALSE, IS_TRUE, ProseRule


@dataclass(frozen=True)
class ContentFacts:
    """Everything the content rules need, gathered in a single walk of the content."""

    coded: tuple[tuple[str, Mapping[str, Any]], ...]  # pointer, {system, code, display}
    hetus: tuple[tuple[str, str], ...]  # pointer of the value, HETU
    temporary_ids: tuple[tuple[str, Mapping[str, Any]], ...]  # pointer, {system, value}
    dates: tuple[tuple[str, str, str], ...]  # pointer, value, fields.DATE | DATETIME
    prose: tuple[Finding, ...] = ()  # findings of the structure's prose rules
    # pointer, client entry: every ``asiakas`` object (an item of the list, or the object)
    clients: tuple[tuple[str, Mapping[str, Any]], ...] = ()
    # Pointers of floats with a zero fraction (1.0, 1E0): an integer the schema may want
    # written as one (integer_form.py).
    integral_floats: tuple[str, ...] = ()


def _is_coded(value: Mapping[str, Any]) -> bool:
    return "system" in value and "code" in value and "display" in value


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _holds(
    rule: ProseRule, obj: Mapping[str, Any], ancestors: tuple[Mapping[str, Any], ...]
) -> bool:
    condition = rule.condition
    assert condition is not None
    if condition.up == 0:
        container: Mapping[str, Any] | None = obj
    elif condition.up <= len(ancestors):
        container = ancestors[-condition.up]
    else:
        container = None
    if container is None:
        return False
    value = container.get(condition.key)
    if condition.op == IS_TRUE:
        return value is True
    if condition.op == IS_FALSE:
        return value is False
    if condition.op == IS_ABSENT:
        return _empty(value)
    if condition.op == CODE_IN:
        values = value if isinstance(value, list) else [value]
        return any(isinstance(v, Mapping) and v.get("code") in condition.codes for v in values)
    return False


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _prose_findings(
    rules: list[ProseRule],
    obj: Mapping[str, Any],
    pointer: str,
    ancestors: tuple[Mapping[str, Any], ...],
) -> list[Finding]:
    found: list[Finding] = []
    for rule in rules:
        if rule.kind == "one-of":
            if rule.must_be_true:
                ok = any(obj.get(m) is True for m in rule.members)
            else:
                ok = any(not _empty(obj.get(m)) for m in rule.members)
            if not ok:
                what = " or ".join(rule.members)
                need = "one of them must be true" if rule.must_be_true else "one is required"
                found.append(
                    finding(
                        rule.code,
                        f"none of {what} is given ({need}: {_short(rule.text)})",
                        "/content" + pointer,
                    )
                )
        elif _empty(obj.get(rule.members[0])) and _holds(rule, obj, ancestors):
            assert rule.condition is not None
            found.append(
                finding(
                    rule.code,
                    f"{rule.members[0]} is required when {rule.condition.describe()} "
                    f"({_short(rule.text)})",
                    "/content" + pointer + "/" + ptr.escape(rule.members[0]),
                )
            )
    return found


def gather(content: Mapping[str, Any], plan: fk.StructurePlan | None = None) -> ContentFacts:
    """Walk the content once beside its structure plan and collect what the rules check.

    Without a plan (the structure is unknown) only what the shape itself proves is taken:
    coded values and the identifier keys; dates and prose rules need the schema.
    """
    coded: list[tuple[str, Mapping[str, Any]]] = []
    hetus: list[tuple[str, str]] = []
    temps: list[tuple[str, Mapping[str, Any]]] = []
    dates: list[tuple[str, str, str]] = []
    prose: list[Finding] = []
    clients: list[tuple[str, Mapping[str, Any]]] = []
    integral: list[str] = []
    root = plan.root if plan is not None else None
    # (pointer, key, value, field plan, enclosing objects)
    stack: list[tuple[str, str, Any, fk.FieldPlan | None, tuple[Mapping[str, Any], ...]]] = [
        ("", "", content, root, ())
    ]
    while stack:
        pointer, key, value, node, ancestors = stack.pop()
        kind = type(value)
        if kind is str:
            if node is not None and node.kind in (fk.DATE, fk.DATETIME):
                dates.append((pointer, value, node.kind))
            continue
        if kind is list:
            items = node.items if node is not None else None
            for i, item in enumerate(value):
                stack.append((f"{pointer}/{i}", key, item, items, ancestors))
            continue
        if kind is float:
            if value.is_integer():
                integral.append(pointer)
            continue
        if not (kind is dict or isinstance(value, Mapping)):
            continue
        field_kind = node.kind if node is not None else None
        if key == CLIENT_BLOCK:
            clients.append((pointer, value))
        if field_kind == fk.CODED or (node is None and "system" in value and _is_coded(value)):
            coded.append((pointer, value))
            continue
        ident = value.get("value")
        if isinstance(ident, str):
            if field_kind == fk.HETU or (node is None and key in fk.HETU_KEYS):
                hetus.append((pointer + "/value", ident))
            elif field_kind == fk.TEMPORARY_ID or (node is None and key in fk.TEMPORARY_ID_KEYS):
                temps.append((pointer, value))
        if node is not None and node.rules:
            prose += _prose_findings(node.rules, value, pointer, ancestors)
        inner = (*ancestors, value)
        for k, v in value.items():
            child = node.child(k) if node is not None else None
            if type(v) is str and (child is None or child.kind is None):
                continue  # a plain text leaf: nothing to collect
            stack.append((pointer + "/" + ptr.escape(k), k, v, child, inner))
    return ContentFacts(
        tuple(coded),
        tuple(hetus),
        tuple(temps),
        tuple(dates),
        tuple(prose),
        tuple(clients),
        tuple(integral),
    )


@dataclass(frozen=True)
class RuleContext:
    """The input of every rule."""

    document: Document
    metadata: Metadata
    codesets: Mapping[str, CodeSet]
    facts: ContentFacts
    today: date
    # Whether the document must be signed, and why (validate.signature_requirement).
    signature_required: bool = False
    # PEM trust anchors for signer certificates (--trust); empty: trust is not checked.
    trust_anchors: tuple[bytes, ...] = ()
    signature_reason: str = ""
    # Code systems whose code set is not loaded: their codes went unchecked (filled by
    # the code rule, reported once per run by the caller).
    unchecked: set[str] = field(default_factory=set, compare=False)

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
        plan: fk.StructurePlan | None = None,
        signature_reason: str = "",
    ) -> RuleContext:
        """Build the context, walking the content once (beside ``plan``, the structure's
        compiled schema, when it is known). ``metadata`` is the document's typed metadata
        view when the caller has already built it."""
        return cls(
            document,
            metadata or document.metadata,
            codesets,
            gather(document.content, plan),
            today or date.today(),
            signature_required,
            trust_anchors,
            signature_reason,
        )

    def codeset(self, system: str) -> CodeSet | None:
        """The code set a ``system`` URI names (version-aware), or None when not loaded."""
        if isinstance(self.codesets, CodeSets):
            return self.codesets.resolve(system)
        return CodeSets(self.codesets).resolve(system)


def finding(code: str, message: str, pointer: str) -> Finding:
    """A finding of ``code`` with its catalogued severity. A message is one line: a line
    break inside a value the rule quotes is shown as ``\\n`` (or ``\\r``)."""
    if "\n" in message or "\r" in message:
        message = message.replace("\r", "\\r").replace("\n", "\\n")
    return Finding(code, severity_of(code), message, Location(pointer))
