"""Codes for generated coded values, from facts only as far as they go.

In this order: the field's ``enum``; a loaded code set (shipped, imported, ``--schemas-dir``);
the codes THL's exports themselves give as the field's ``example`` or ``valueSet``
("297 = Kuopio", "1 = Mies"), of this field or of any known structure's field on the same
code system. Only when none of these knows a code is a placeholder written: code ``1`` with
the display ``TEST-ONLY placeholder (code set <oid> not loaded)``, which says what it is
(such a code system is unchecked in validation, as every code system without a code set).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from random import Random
from typing import TYPE_CHECKING, Any

from kanta_archive import sosmeta
from kanta_archive.codesets import CodeSets, base_oid

if TYPE_CHECKING:
    from kanta_archive.schemas import SchemaRegistry

_CODE_NAME = re.compile(r"^\s*([0-9A-Za-z][0-9A-Za-z.\-]*)\s+=\s+(.+?)\s*[,.]?\s*$", re.S)
_SPLIT = re.compile(r"(?:,\s*|\s*\n\s*)(?=[0-9A-Za-z][0-9A-Za-z.\-]*\s+=\s)")
PLACEHOLDER = "TEST-ONLY placeholder (code set {oid} not loaded)"


def example_codes(node: Any) -> dict[str, dict[str, str]]:
    """``{code: {lang: name}}`` from a coded node's Sosmeta ``example`` and ``valueSet``."""
    meta = sosmeta.node_sosmeta(node)
    found: dict[str, dict[str, str]] = {}
    for key in ("valueSet", "example"):
        values = meta.get(key)
        for item in values if isinstance(values, list) else ():
            if not isinstance(item, Mapping) or not isinstance(item.get("value"), str):
                continue
            lang = str(item.get("lang") or "fi")
            for part in _SPLIT.split(item["value"].strip()):
                match = _CODE_NAME.match(part)
                if match:
                    names = found.setdefault(match.group(1), {})
                    names.setdefault(lang, " ".join(match.group(2).split()))
    return found


def _coded_nodes(node: Any) -> Iterable[Any]:
    stack = [node]
    while stack:
        current = stack.pop()
        if not isinstance(current, Mapping):
            continue
        if sosmeta.is_coded(current):
            yield current
            continue
        props = current.get("properties")
        if isinstance(props, Mapping):
            stack.extend(props.values())
        if "items" in current:
            stack.append(current["items"])


def examples_by_system(
    schemas: Iterable[Mapping[str, Any]],
) -> dict[str, dict[str, dict[str, str]]]:
    """Every code the given structure schemas give as an example, by code system OID."""
    out: dict[str, dict[str, dict[str, str]]] = {}
    for schema in schemas:
        for node in _coded_nodes(schema):
            oid = sosmeta.classification_oid(node)
            if oid:
                target = out.setdefault(base_oid(oid), {})
                for code, names in example_codes(node).items():
                    target.setdefault(code, names)
    return out


Examples = dict[str, dict[str, dict[str, str]]]


def registry_examples(registry: SchemaRegistry) -> Examples:
    """:func:`examples_by_system` of every structure the registry knows, once per registry
    (walking all 202 exports for their examples costs a quarter of a second)."""
    return registry.derived(
        "code-examples", lambda r: examples_by_system(s.schema for s in r.structures())
    )


@dataclass(frozen=True)
class Choice:
    """A chosen code and its display name."""

    code: str
    display: str


class CodePicker:
    """Chooses codes for coded values (see the module docstring for the order)."""

    def __init__(
        self, codesets: CodeSets, examples: Mapping[str, Mapping[str, Mapping[str, str]]]
    ) -> None:
        self.codesets = codesets
        self.examples = examples

    def choose(
        self,
        rng: Random,
        oid: str | None,
        node: Any,
        lang: str,
        prefer: str | None = None,
    ) -> Choice:
        """A code for the coded ``node`` (code system ``oid``), ``prefer`` if it is allowed."""
        props = node.get("properties") if isinstance(node, Mapping) else None
        code_node = props.get("code") if isinstance(props, Mapping) else None
        enum = code_node.get("enum") if isinstance(code_node, Mapping) else None
        allowed = [str(c) for c in enum] if isinstance(enum, list) and enum else None
        codeset = self.codesets.resolve(oid) if oid else None
        local = example_codes(node)
        shared = self.examples.get(base_oid(oid), {}) if oid else {}
        pools: Sequence[Mapping[str, Mapping[str, str]]] = (
            codeset.codes if codeset is not None else {},
            local,
            shared,
        )
        for pool in pools:
            codes = [c for c in pool if allowed is None or c in allowed]
            if prefer in codes:
                codes = [prefer]
            if codes:
                code = rng.choice(sorted(codes))
                return Choice(code, self._name(code, lang, pools) or code)
        if allowed:
            code = prefer if prefer in allowed else rng.choice(allowed)
            return Choice(code, self._name(code, lang, pools) or code)
        return Choice(prefer or "1", PLACEHOLDER.format(oid=oid or "?"))

    @staticmethod
    def _name(code: str, lang: str, pools: Sequence[Mapping[str, Mapping[str, str]]]) -> str:
        for pool in pools:
            names = pool.get(code)
            if names:
                return names.get(lang) or names.get("fi") or next(iter(names.values()), "")
        return ""
