"""The content of a generated document: a walk of the structure schema beside its plan.

Every required field is filled, and every ``conditionalRequired`` one (so that each prose
rule holds whatever its condition); other fields are filled by chance, less often the
deeper they sit. The client block (``asiakas``, an array or an object) holds the set's
clients with their real key names: ``henkilotunnus`` (a test HETU) or
``tilapainen_yksilointitunnus`` (``{"system": "<organisation OID>.22.<year>", "value":
"<HETU-shaped 900-999>"}``), ``syntymaaika`` matching the identifier, ``turvakielto``.
Dates fill date fields only (by the plan), codes come from ``codes.CodePicker``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kanta_archive import sosmeta
from kanta_archive.codesets import base_oid
from kanta_archive.generate import patterns, values
from kanta_archive.generate.codes import CodePicker
from kanta_archive.generate.errors import GeneratorError
from kanta_archive.generate.state import Client, DocState
from kanta_archive.rules import fields as fk
from kanta_archive.rules.prose import ONE_OF

CLIENT_BLOCK = "asiakas"
ORGANISATION_REGISTER = "1.2.246.537.6.202"  # SOTE organisation register: codes are OIDs
SERVICE_TASKS = "1.2.246.537.6.1221"
PROFESSIONAL_REGISTER = "urn:oid:1.2.246.537.26"
_ID_KEYS = frozenset({"henkilotunnus", "tilapainen_yksilointitunnus"})
_EMPTY_PLAN = fk.FieldPlan()


@dataclass(frozen=True)
class _Where:
    """Where the walk is: inside which client's entry, how deep."""

    client: Client | None = None
    person: bool = False
    depth: int = 0
    entry: bool = False  # this object is the client's own entry


def _fixed_value(node: Any) -> str | None:
    """The one value a string node allows (``const`` or a one-value ``enum``), else None."""
    if not isinstance(node, Mapping):
        return None
    if isinstance(node.get("const"), str):
        return str(node["const"])
    enum = node.get("enum")
    if isinstance(enum, list) and len(enum) == 1 and isinstance(enum[0], str):
        return enum[0]
    return None


class ContentBuilder:
    """Fills one structure schema for one document of a set."""

    def __init__(self, state: DocState, codes: CodePicker) -> None:
        self.s = state
        self.rng = state.rng
        self.codes = codes

    def build(self, schema: Mapping[str, Any], plan: fk.StructurePlan) -> dict[str, Any]:
        """The whole content ``{"<root>": {...}}``."""
        content = self.value(schema, plan.root, "", _Where())
        if not isinstance(content, dict):
            raise GeneratorError("the structure schema's root is not an object")
        return content

    # -- dispatch ------------------------------------------------------------------------
    def value(self, node: Any, plan: fk.FieldPlan, key: str, where: _Where) -> Any:
        if not isinstance(node, Mapping):
            return values.text(self.rng, self.s.lang, 1, 80)
        if "const" in node:
            return node["const"]
        enum = node.get("enum")
        if isinstance(enum, list) and enum:
            return self.rng.choice(enum)
        kind = sosmeta.schema_type(node)
        if kind == "array":
            return self.array(node, plan, key, where)
        if kind == "object":
            if plan.kind == fk.CODED:
                return self.coded(node, plan)
            if plan.kind in (fk.HETU, fk.TEMPORARY_ID) or self._is_identifier(node):
                return self.identifier(node, plan, key, where)
            return self.obj(node, plan, key, where)
        if kind == "boolean":
            if key == "turvakielto" and where.client is not None:
                return where.client.non_disclosure
            return self.rng.random() < 0.5
        if kind == "integer":
            low = int(node.get("minimum", node.get("exclusiveMinimum", -1) + 1))
            high = int(node.get("maximum", node.get("exclusiveMaximum", low + 101) - 1))
            return self.rng.randint(low, max(low, high))
        if kind == "number":
            low_f = float(node.get("minimum", 0.0))
            high_f = float(node.get("maximum", low_f + 100.0))
            return round(self.rng.uniform(low_f, high_f), 2)
        if kind == "null":
            return None
        return self.string(node, plan, key, where)

    # -- objects -------------------------------------------------------------------------
    @staticmethod
    def _is_identifier(node: Mapping[str, Any]) -> bool:
        props = node.get("properties")
        return isinstance(props, Mapping) and "value" in props and set(props) <= {"system", "value"}

    def _include(self, key: str, child: Any, required: bool, where: _Where) -> bool:
        client = where.client
        if client is not None and where.entry and key in _ID_KEYS:
            wanted = (key == "henkilotunnus") != client.temporary
            return wanted or required
        if required or sosmeta.flag(child, "conditionalRequired"):
            return True
        if key == "turvakielto" and client is not None and client.non_disclosure:
            return True
        return self.rng.random() < (0.5 if where.depth < 4 else 0.25)

    def obj(
        self, node: Mapping[str, Any], plan: fk.FieldPlan, key: str, where: _Where
    ) -> dict[str, Any]:
        props = node.get("properties")
        if not isinstance(props, Mapping):
            return {}
        required = set(node.get("required") or [])
        named = {"sukunimi", "etunimet"} <= set(props)
        client = where.client if where.entry or not named else None  # another person
        inner = _Where(client, named or client is not None, where.depth + 1)
        here = _Where(client, inner.person, where.depth, where.entry)
        result: dict[str, Any] = {}
        for child_key, child in props.items():
            if self._include(child_key, child, child_key in required, here):
                child_plan = plan.child(child_key) or _EMPTY_PLAN
                if child_key == CLIENT_BLOCK and sosmeta.schema_type(child) == "object":
                    first = _Where(self.s.clients[0], True, where.depth + 1, entry=True)
                    result[child_key] = self.value(child, child_plan, child_key, first)
                    continue
                result[child_key] = self.value(child, child_plan, child_key, inner)
        self._keep_switch_rules(plan, props, result)
        return result

    @staticmethod
    def _keep_switch_rules(
        plan: fk.FieldPlan, props: Mapping[str, Any], result: dict[str, Any]
    ) -> None:
        """A prose rule "one of these switches must be true": make the first one true."""
        for rule in plan.rules:
            if rule.kind != ONE_OF or not rule.must_be_true:
                continue
            if not any(result.get(m) is True for m in rule.members):
                first = next((m for m in rule.members if m in props), None)
                if first is not None:
                    result[first] = True

    def array(
        self, node: Mapping[str, Any], plan: fk.FieldPlan, key: str, where: _Where
    ) -> list[Any]:
        items = node.get("items")
        item_plan = plan.items or _EMPTY_PLAN
        if key == CLIENT_BLOCK and isinstance(items, Mapping):
            return [
                self.value(items, item_plan, key, _Where(c, True, where.depth, entry=True))
                for c in self.s.clients
            ]
        low = int(node.get("minItems", 0))
        high = int(node.get("maxItems", max(2, low)))
        count = self.rng.randint(max(1, low), max(1, low, min(high, 2)))
        out: list[Any] = []
        for _ in range(count * 3):
            if len(out) == count:
                break
            item = self.value(items, item_plan, key, where)
            if node.get("uniqueItems") and item in out:
                continue
            out.append(item)
        return out

    # -- coded values and identifiers -----------------------------------------------------
    def coded(self, node: Mapping[str, Any], plan: fk.FieldPlan) -> dict[str, Any]:
        oid = plan.codeset or sosmeta.classification_oid(node)
        props: Mapping[str, Any] = node.get("properties") or {}
        unit = self.s.parties.unit
        if oid and base_oid(oid) == ORGANISATION_REGISTER:
            code, display = unit.oid, unit.name  # the register's codes are OIDs
        else:
            prefer = self.s.service_task if oid and base_oid(oid) == SERVICE_TASKS else None
            choice = self.codes.choose(self.rng, oid, node, self.s.lang, prefer)
            code, display = choice.code, choice.display
        system = f"urn:oid:{oid}" if oid else ""
        codeset = self.codes.codesets.resolve(system) if oid else None
        if codeset is not None and codeset.version and codeset.oid == base_oid(oid or ""):
            system = f"urn:oid:{codeset.oid}.{codeset.version}"  # as real documents write it
        system_node = props.get("system")
        fixed = _fixed_value(system_node)
        if fixed is not None:  # an internal classification names its own system (an enum)
            system = fixed
        pattern = system_node.get("pattern") if isinstance(system_node, Mapping) else None
        if isinstance(pattern, str) and not patterns.matches(pattern, system):
            system = f"urn:oid:{oid}" if oid else ""
            if not patterns.matches(pattern, system):
                raise GeneratorError(f"cannot write a code system URI matching {pattern!r}")
        return {"system": system, "code": code, "display": display}

    def identifier(
        self, node: Mapping[str, Any], plan: fk.FieldPlan, key: str, where: _Where
    ) -> dict[str, Any]:
        props: Mapping[str, Any] = node.get("properties") or {}
        client = where.client
        if plan.kind == fk.HETU or key == "henkilotunnus":
            hetu = client.hetu if client is not None and client.hetu else None
            system, value = "urn:oid:1.2.246.21", hetu or values.test_hetu(self.rng)
        elif plan.kind == fk.TEMPORARY_ID or key == "tilapainen_yksilointitunnus":
            if client is not None and client.temporary_system and client.temporary_value:
                system, value = client.temporary_system, client.temporary_value
            else:
                system = f"{self.s.parties.controller.oid}.22.{self.s.day.year}"
                value = values.test_hetu(self.rng)
        elif key == "asiatunnus":
            system, value = f"urn:oid:{self.s.parties.controller.oid}.31", self.s.ensure_case_oid()
        elif key == "rekisterointitunnus":
            system = PROFESSIONAL_REGISTER
            value = self.s.professional_id or f"{self.rng.randrange(10**10):010d}"
        else:
            uri = sosmeta.system_uri(node)
            arc = 90 + self.rng.randint(0, 9)
            system = uri or f"urn:oid:{self.s.parties.controller.oid}.{arc}"
            value = self.s.oid_under(arc)
        result: dict[str, Any] = {}
        if "system" in props:
            result["system"] = system
        result["value"] = value
        return result

    # -- strings -------------------------------------------------------------------------
    def string(self, node: Mapping[str, Any], plan: fk.FieldPlan, key: str, where: _Where) -> str:
        low = int(node.get("minLength", 0))
        high = int(node.get("maxLength", max(low, 400)))
        value = self._semantic(plan, key, where)
        pattern = node.get("pattern")
        if isinstance(pattern, str) and (value is None or not patterns.matches(pattern, value)):
            value = self._patterned(node, pattern, key)
        if value is None:
            value = values.text(self.rng, self.s.lang, max(low, 1), high)
        if len(value) < low:
            value = value.ljust(low, "x")
        return value[:high] if len(value) > high and not pattern else value

    def _semantic(self, plan: fk.FieldPlan, key: str, where: _Where) -> str | None:
        client = where.client
        if plan.kind in (fk.DATE, fk.DATETIME):
            if key == "syntymaaika" and client is not None:
                return client.birth.isoformat()
            if plan.kind == fk.DATETIME:
                return self.s.created.isoformat(timespec="seconds")
            return values.day_for(self.rng, key, self.s.day).isoformat()
        if where.person:
            if client is not None and key in ("sukunimi", "etunimet", "kutsumanimi"):
                return client.last if key == "sukunimi" else client.first
            first, last = values.person_name(self.rng)
            if key == "sukunimi":
                return last
            if key in ("etunimet", "kutsumanimi"):
                return first
            if key == "tehtavanimike":
                return self.rng.choice(values.TITLES)
        return values.contact(self.rng, key)

    def _patterned(self, node: Mapping[str, Any], pattern: str, key: str) -> str:
        value = patterns.sample(self.rng, pattern, values.day_for(self.rng, key, self.s.day),
                                self.s.created)  # fmt: skip
        if value is not None and patterns.matches(pattern, value):
            return value
        p = self.s.parties
        for candidate in (self.s.oid_under(90), p.controller.oid, p.unit.oid, p.producer.oid):
            if patterns.matches(pattern, candidate):  # OID-shaped patterns of users' schemas
                return candidate
        example = sosmeta.text(sosmeta.node_sosmeta(node).get("example"), self.s.lang)
        if example and patterns.matches(pattern, example):
            return example
        raise GeneratorError(
            f"cannot generate a value for {key!r} matching pattern {pattern!r} "
            "(not a pattern of the Sosmeta exports, and the field has no matching example)"
        )
