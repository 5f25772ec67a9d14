"""XSD 1.1 open content for an XSD 1.0 validator: prune what only the wildcard admits.

A complex type with ``<xs:openContent mode="interleave">`` admits, anywhere among the
children its content model declares, any number of elements its wildcard matches
(``schemas/cda/``: the CDA elements kanta-archive does not read). XSD 1.0 cannot say this
(a wildcard beside declarations of the same namespace breaks the unique particle
attribution rule), so libxml2 is given the schema without its open content and a copy of
the document without those elements: a child is pruned when its parent's type has open
content, its name is none of the element names the type's content model declares, and
the wildcard matches its namespace.

Soundness: what is pruned is exactly what XSD 1.1 attributes to the open-content wildcard
(with ``processContents="skip"``, its subtree is not validated either). If the pruned copy
is valid under XSD 1.0, the document is valid under XSD 1.1. A child that bears a declared
name is never pruned: a second ``id`` stays, and XSD 1.0 may call the copy invalid where
XSD 1.1 would have let the wildcard take it. The caller then runs the reference (xmlschema),
so the fast path only ever decides documents that are valid.

Only the constructs the bundled schemas use are supported (``xs:element`` by name or ref,
named and anonymous complex types, sequence/choice/all, ``xs:any``, simple content);
anything else (groups, complex-content derivation, default open content, suffix mode) is
a :class:`SchemaError` when the schema is loaded, not a silently wrong pruning.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from kanta_archive.errors import SchemaError

XS_NS = "http://www.w3.org/2001/XMLSchema"
XS = f"{{{XS_NS}}}"
_PARTICLES = frozenset({XS + "sequence", XS + "choice", XS + "all"})
_UNSUPPORTED = frozenset(
    {XS + "group", XS + "complexContent", XS + "defaultOpenContent", XS + "attributeGroup"}
)


@dataclass
class Plan:
    """One complex type, as pruning sees it: the plan of each child element its content
    model declares (``None``: nothing to prune below that child), and, when it has open
    content, the test of the wildcard's namespace constraint."""

    children: dict[str, Plan | None] = field(default_factory=dict)
    wildcard: Callable[[str], bool] | None = None


class _Schemas:
    """The global element declarations and named complex types of a set of schema
    documents, by expanded name."""

    def __init__(self, roots: Iterable[Any]) -> None:
        self.elements: dict[str, tuple[Any, str]] = {}
        self.types: dict[str, tuple[Any, str]] = {}
        for root in roots:
            namespace = root.get("targetNamespace") or ""
            if root.get("elementFormDefault") != "qualified":
                raise SchemaError(f"{root.base}: open content needs elementFormDefault='qualified'")
            for child in root:
                name = child.get("name")
                if child.tag == XS + "element" and name:
                    self.elements[f"{{{namespace}}}{name}"] = (child, namespace)
                elif child.tag == XS + "complexType" and name:
                    self.types[f"{{{namespace}}}{name}"] = (child, namespace)
                elif child.tag in _UNSUPPORTED:
                    raise SchemaError(
                        f"{root.base}: {child.tag} is not supported with open content"
                    )
        # By the type's element itself (it stays alive here): id() of a transient lxml
        # proxy is reused once the proxy is gone.
        self._plans: dict[Any, Plan | None] = {}

    def plan_of_element(self, declaration: Any, namespace: str) -> Plan | None:
        ref = declaration.get("ref")
        if ref is not None:
            target = self.elements.get(_expand(declaration, ref))
            if target is None:
                raise SchemaError(f"element ref {ref!r} not found")
            return self.plan_of_element(*target)
        kind = declaration.find(XS + "complexType")
        if kind is not None:
            return self.plan_of_type(kind, namespace)
        named = declaration.get("type")
        if named is not None and _expand(declaration, named) in self.types:
            return self.plan_of_type(*self.types[_expand(declaration, named)])
        return None  # a simple type or xs:anyType-like: nothing declared below

    def plan_of_type(self, kind: Any, namespace: str) -> Plan | None:
        key = kind
        if key in self._plans:
            return self._plans[key]
        plan = Plan()
        self._plans[key] = plan  # before the children: a recursive type ends here
        for child in kind.iter():
            if child.tag in _UNSUPPORTED:
                raise SchemaError(f"{child.tag} is not supported with open content")
        opened = kind.find(XS + "openContent")
        if opened is not None:
            if opened.get("mode", "interleave") != "interleave":
                raise SchemaError("only openContent mode='interleave' is supported")
            wildcard = opened.find(XS + "any")
            plan.wildcard = _namespace_test(wildcard, namespace) if wildcard is not None else None
        for declaration in _declared(kind):
            name = declaration.get("name") or _expand(declaration, declaration.get("ref") or "")
            qualified = name if name.startswith("{") else f"{{{namespace}}}{name}"
            plan.children[qualified] = self.plan_of_element(declaration, namespace)
        if plan.wildcard is None and not any(plan.children.values()):
            self._plans[key] = None
            return None
        return plan


def _declared(kind: Any) -> Iterator[Any]:
    """The element declarations of a complex type's content model (not in nested types)."""
    for child in kind:
        if child.tag in _PARTICLES:
            yield from _particle_elements(child)


def _particle_elements(particle: Any) -> Iterator[Any]:
    for item in particle:
        if item.tag == XS + "element":
            yield item
        elif item.tag in _PARTICLES:
            yield from _particle_elements(item)


def _expand(context: Any, qname: str) -> str:
    prefix, _, local = qname.rpartition(":")
    namespace = context.nsmap.get(prefix or None, "" if not prefix else None)
    if namespace is None:
        raise SchemaError(f"prefix of {qname!r} is not declared")
    return f"{{{namespace}}}{local}"


def _namespace_test(wildcard: Any, target: str) -> Callable[[str], bool]:
    constraint = wildcard.get("namespace", "##any")
    if constraint == "##any":
        return lambda _ns: True
    allowed = set()
    for token in constraint.split():
        if token == "##targetNamespace":
            allowed.add(target)
        elif token == "##local":
            allowed.add("")
        elif token.startswith("##"):
            raise SchemaError(f"open content wildcard namespace {token!r} is not supported")
        else:
            allowed.add(token)
    frozen = frozenset(allowed)
    return lambda ns: ns in frozen


def build_plan(roots: Iterable[Any], element: str) -> Plan | None:
    """The pruning plan of the global element ``element`` (``{ns}name``) over the schema
    documents ``roots`` (the main one and those it imports)."""
    schemas = _Schemas(roots)
    if element not in schemas.elements:
        raise SchemaError(f"no global element {element}")
    return schemas.plan_of_element(*schemas.elements[element])


def _namespace(tag: str) -> str:
    return tag[1 : tag.index("}")] if tag.startswith("{") else ""


def _foreign(element: Any, plan: Plan) -> list[tuple[int, ...]]:
    """Where the elements under ``element`` that only its open content admits are, in
    document order, each as the child indexes leading to it from ``element`` (indexes
    that hold in a deep copy too). A list filled by plain recursion: generators nested as
    deep as the header cost more than the deep copy."""
    found: list[tuple[int, ...]] = []
    _collect(element, plan, (), found)
    return found


def _collect(element: Any, plan: Plan, path: tuple[int, ...], found: list[Any]) -> None:
    children = plan.children
    wildcard = plan.wildcard
    for index, child in enumerate(element):
        tag = child.tag
        if not isinstance(tag, str):
            continue
        if tag in children:
            below = children[tag]
            if below is not None:
                _collect(child, below, (*path, index), found)
        elif wildcard is not None and wildcard(_namespace(tag)):
            found.append((*path, index))


def pruned(element: Any, plan: Plan | None) -> Any:
    """``element`` itself when nothing in it is open content, else a copy without it."""
    found = _foreign(element, plan) if plan is not None else []
    if not found:
        return element
    twin = copy.deepcopy(element)
    for child in _at(twin, found):
        _remove_keeping_tail(child)
    return twin


def _at(element: Any, paths: list[tuple[int, ...]]) -> list[Any]:
    """The elements at ``paths`` (child indexes) under ``element``, all found before any
    is removed: a removal shifts the indexes."""
    targets = []
    for path in paths:
        target = element
        for index in path:
            target = target[index]
        targets.append(target)
    return targets


@contextmanager
def pruned_in_place(element: Any, plan: Plan | None) -> Iterator[Any]:
    """``element`` without what only its open content admits, for the ``with`` block: the
    parts are taken out of ``element`` itself and put back where they were when the block
    ends, also by an exception (no copy of the whole document, a third of the XSD
    stage's cost). The tree is the caller's: no other thread may read it meanwhile.

    Exact only where no part declares a namespace itself: lxml drops the declarations of
    an element put back that repeat one in scope there. :meth:`FastXsd.valid_findings`
    prunes a copy (:func:`pruned`) unless the bytes show no declaration below the root."""
    targets = _at(element, _foreign(element, plan) if plan is not None else [])
    undo: list[tuple[Any, int, Any, Any, str | None]] = []
    try:
        for child in targets:
            parent = child.getparent()
            before = child.getprevious()
            text = before.tail if before is not None else parent.text
            undo.append((parent, parent.index(child), child, before, text))
            _remove_keeping_tail(child)
        yield element
    finally:
        # In reverse: each index and neighbour is as it was when that part was taken out.
        for parent, index, child, before, text in reversed(undo):
            if before is not None:
                before.tail = text
            else:
                parent.text = text
            parent.insert(index, child)  # the part's own tail comes back with it


def _remove_keeping_tail(child: Any) -> None:
    """Remove ``child`` but not the text after it (lxml removes an element's tail with it):
    text between children is an error in element-only content, and must stay one."""
    parent = child.getparent()
    if child.tail:
        before = child.getprevious()
        if before is not None:
            before.tail = (before.tail or "") + child.tail
        else:
            parent.text = (parent.text or "") + child.tail
    parent.remove(child)
