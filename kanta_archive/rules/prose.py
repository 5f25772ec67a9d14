"""Sosmeta's prose rules: ``conditionalRequired`` fields and their ``implementationNote``.

THL's exports mark 605 fields ``conditionalRequired`` and state the condition only in
Finnish prose. :func:`read_rules` turns every note that follows one of the recognised
patterns into a :class:`ProseRule` the validator enforces; every other note becomes an
:class:`UnreadRule`, listed in the docs as not machine-readable (``schemas docs``,
``docs/prose-rules.md``). Fields named in a note are found by their Sosmeta Finnish name
among the field's siblings, then among the siblings of its ancestors (nearest first).

Recognised patterns (``A``, ``B`` are field names; quotes optional):

* **one of** — "A- ja B -kentistä toinen on pakollinen", "Toinen kentistä A ja B on
  pakollinen", "Joko A-kenttä tai B -kenttä on pakollinen", "Joko A tai B on pakollinen",
  "A, B ja C -kentistä yksi on pakollinen", "Joko tämä kenttä tai "B" -kenttä on
  pakollinen", "Yksi seuraavista kentistä on pakollinen: "A", "B" tai "C"" — at least one
  of the fields is present (``KA-CLIENT-ID`` when the group identifies a client by
  ``henkilotunnus``, else ``KA-ONE-OF-REQUIRED``); with "Toiseen/Yhteen kentistä on
  vastattava "kyllä"" (switches) at least one of them is true;
* **required if** — "Kenttä on pakollinen, jos A -kenttään on vastattu "ei"" (also
  "kyllä", "jos kenttään A on vastattu", "jos kytkin A on asennossa kyllä"), "… jos A
  -kenttä jätetään tyhjäksi / on jätetty tyhjäksi", "jos A-kentässä on valittu luokka
  "99 Muu"", "jos kentän A luokituksesta on valittu luokka 2", "Jos A-kentässä olevasta
  luokituksesta on valittu 31 = …, 32 = … tai 34 = …" — the field is present when the
  condition holds (``KA-REQUIRED-IF``).

A client's ``henkilotunnus`` and ``tilapainen_yksilointitunnus`` both marked
``conditionalRequired`` without any note (one export) are read as "one of them is
required", as that pair's note says in every other export that has it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from kanta_archive import sosmeta

CLIENT_BLOCK = "asiakas"
PERSON_ID = "henkilotunnus"

ONE_OF = "one-of"
REQUIRED_IF = "required-if"

# Condition operators of a required-if rule.
IS_TRUE, IS_FALSE, IS_ABSENT, CODE_IN = "true", "false", "absent", "code-in"


@dataclass(frozen=True)
class Condition:
    """What a required-if rule tests: a field ``up`` levels above the rule's object."""

    up: int  # 0: a sibling of the required field; 1: a sibling of its parent; ...
    key: str
    op: str
    codes: tuple[str, ...] = ()

    def describe(self) -> str:
        """The condition in English, for messages."""
        if self.op == CODE_IN:
            return f"{self.key} has code {' or '.join(self.codes)}"
        if self.op == IS_ABSENT:
            return f"{self.key} is empty"
        return f"{self.key} is {self.op}"


@dataclass(frozen=True)
class ProseRule:
    """One enforced prose rule, attached to the object (schema path ``parent``) it checks."""

    kind: str
    parent: tuple[str, ...]  # keys from the content root; "*" = array items
    members: tuple[str, ...]  # one-of: the alternatives; required-if: the required field
    text: str  # the Finnish note, as the export says it
    must_be_true: bool = False
    condition: Condition | None = None
    client: bool = False  # a one-of that identifies a client: KA-CLIENT-ID

    @property
    def code(self) -> str:
        """The finding code this rule reports with."""
        if self.kind == REQUIRED_IF:
            return "KA-REQUIRED-IF"
        return "KA-CLIENT-ID" if self.client else "KA-ONE-OF-REQUIRED"

    @property
    def path(self) -> str:
        """Where the rule sits, as a readable schema path."""
        return "/" + "/".join((*self.parent, self.members[0] if self.kind == REQUIRED_IF else ""))


@dataclass(frozen=True)
class UnreadRule:
    """A ``conditionalRequired`` note that follows no recognised pattern."""

    path: str
    text: str


_PREFIX = re.compile(
    r"^.*?(?:Ehdollisesti pakollinen|Ehdollinen pakollisuus|Villkorligt obligatorisk)\s*:\s*",
    re.S,
)
_NAME = r"(?:\"[^\"]+\"|”[^”]+”|[^\"”,.;:]+?)"
_ONE_OF = [
    re.compile(rf"^(?P<a>{_NAME})\s*-? ja (?P<b>{_NAME})\s*-(?:kentistä|tietokokonaisuuksista)"
               r" (?:toinen|yksi) on pakollinen"),
    re.compile(rf"^(?P<list>{_NAME}(?:, {_NAME})+ ja {_NAME})\s*-kentistä yksi on pakollinen"),
    re.compile(rf"^Toinen kentistä (?P<a>{_NAME}) (?:ja|tai) (?P<b>{_NAME}) on pakollinen"),
    re.compile(rf"^Toinen seuraavista kentistä on pakollinen: (?P<a>{_NAME}),? (?:ja|tai)"
               rf" (?P<b>{_NAME})(?:$|[ .])"),
    re.compile(rf"^Joko (?P<a>{_NAME})\s*-?\s*kenttä tai (?P<b>{_NAME})\s*-\s*kenttä"
               r" on pakollinen"),
    re.compile(rf"^Joko (?P<a>tämä kenttä) tai (?P<b>{_NAME})\s*-kenttä on pakollinen"),
    re.compile(rf"^Joko (?P<a>{_NAME}) tai (?P<b>{_NAME}) on pakollinen"),
    re.compile(rf"^(?P<a>{_NAME}) tai (?P<b>{_NAME})\s*-kentistä toinen on pakollinen"),
    re.compile(rf"^Yksi seuraavista kentistä on pakollinen: (?P<list>{_NAME}(?:, {_NAME})*,? tai"
               rf" {_NAME})"),
]  # fmt: skip
_SWITCH = re.compile(r"(?:Toiseen|Yhteen) kentistä on vastattava [\"”]?kyllä", re.I)
_ANSWER = (
    rf"(?:(?:jos|Jos) (?P<f>{_NAME})\s*-kenttään on vastattu|(?:jos|Jos) kenttään (?P<g>{_NAME})"
    rf" on vastattu|jos kytkin(?: kentässä)? (?P<h>{_NAME}) on asennossa)\s*[\"”]?(?P<v>kyllä|ei)"
)
_REQUIRED_IF = [
    (re.compile(_ANSWER, re.I), "answer"),
    (re.compile(rf"jos (?P<f>{_NAME})\s*-\s*kenttä (?:jätetään|on jätetty) tyhjäksi", re.I),
     "absent"),
    (re.compile(rf"Mikäli tietokenttä (?P<f>{_NAME}) jätetään tyhjäksi", re.I), "absent"),
    (re.compile(rf"Jos (?P<f>{_NAME})\s*-kentässä on valittu luokka [\"”](?P<c>[0-9]+)\b", re.I),
     "code"),
    (re.compile(rf"jos kentän (?P<f>{_NAME}) luokituksesta on valittu luokka (?P<c>[0-9]+)\b",
                re.I), "code"),
    (re.compile(rf"jos kentässä (?P<f>{_NAME}) käytetystä luokituksesta on valittu luokka"
                r" (?P<c>[0-9]+)\b", re.I), "code"),
    (re.compile(rf"Jos (?P<f>{_NAME})\s*-kentässä olevasta luokituksesta on valittu"
                r" (?P<list>[0-9]+ = [^.]*?)(?:, kenttä on pakollinen|\.)", re.I), "codes"),
]  # fmt: skip


def _clean(name: str) -> str:
    name = name.strip().strip('"”').strip()
    name = re.sub(r"\s*\(Otsikkoa ei näytetä\)\s*", "", name)
    name = re.sub(r"\s*-?\s*(kenttä|tietokenttä|tietokokonaisuus)$", "", name)
    return " ".join(name.casefold().split())


def _split_list(text: str) -> list[str]:
    parts = re.split(r",\s*(?:tai\s+|ja\s+)?|\s+(?:tai|ja)\s+", text)
    return [p for p in parts if p.strip()]


def _object_props(node: Any) -> Mapping[str, Any]:
    if isinstance(node, Mapping) and node.get("type") == "array":
        node = node.get("items")
    props = node.get("properties") if isinstance(node, Mapping) else None
    return props if isinstance(props, Mapping) else {}


class _Scope:
    """The objects around a field, innermost first: where its note's names are looked up."""

    def __init__(self, chain: list[Mapping[str, Any]]) -> None:
        self.chain = chain  # property maps, the field's own parent first

    def find(self, name: str) -> tuple[int, str] | None:
        wanted = _clean(name)
        for up, props in enumerate(self.chain):
            hits = [
                key
                for key, child in props.items()
                if _clean(sosmeta.name(child, "fi")) == wanted or key == wanted.replace(" ", "_")
            ]
            if len(hits) == 1:
                return up, hits[0]
            if len(hits) > 1:
                return None  # ambiguous: the note is not machine-readable
        return None


def _one_of(note: str, key: str, scope: _Scope) -> tuple[tuple[str, ...], bool] | None:
    for pattern in _ONE_OF:
        match = pattern.search(note)
        if match is None:
            continue
        groups = match.groupdict()
        names = _split_list(groups["list"]) if groups.get("list") else [groups["a"], groups["b"]]
        keys: list[str] = []
        for raw in names:
            if _clean(raw) in ("tämä kenttä", "tämä"):
                keys.append(key)
                continue
            found = scope.find(raw)
            if found is None or found[0] != 0:
                return None
            keys.append(found[1])
        if len(set(keys)) < 2:
            return None
        return tuple(dict.fromkeys(keys)), bool(_SWITCH.search(note))
    return None


def _required_if(note: str, scope: _Scope) -> Condition | None:
    for pattern, kind in _REQUIRED_IF:
        match = pattern.search(note)
        if match is None:
            continue
        groups = match.groupdict()
        name = groups.get("f") or groups.get("g") or groups.get("h") or ""
        found = scope.find(name)
        if found is None:
            return None
        up, target = found
        if kind == "answer":
            op = IS_TRUE if groups["v"].casefold() == "kyllä" else IS_FALSE
            return Condition(up, target, op)
        if kind == "absent":
            return Condition(up, target, IS_ABSENT)
        if kind == "code":
            return Condition(up, target, CODE_IN, (groups["c"],))
        codes = tuple(re.findall(r"\b([0-9]+) =", groups["list"]))
        return Condition(up, target, CODE_IN, codes) if codes else None
    return None


def _walk(
    node: Any, path: tuple[str, ...], chain: list[Mapping[str, Any]]
) -> Iterator[tuple[tuple[str, ...], str, Any, list[Mapping[str, Any]]]]:
    """(parent path, key, child node, scope chain) for every field below ``node``."""
    if isinstance(node, Mapping) and node.get("type") == "array":
        yield from _walk(node.get("items"), (*path, "*"), chain)
        return
    props = _object_props(node)
    inner = [props, *chain]
    for key, child in props.items():
        yield path, key, child, inner
        yield from _walk(child, (*path, key), inner)


def read_rules(schema: Mapping[str, Any]) -> tuple[list[ProseRule], list[UnreadRule]]:
    """The enforced and the unread prose rules of one structure schema (content paths)."""
    rules: dict[tuple[Any, ...], ProseRule] = {}
    unread: list[UnreadRule] = []
    silent: dict[tuple[str, ...], list[str]] = {}
    for parent, key, child, chain in _walk(schema, (), []):
        meta = sosmeta.node_sosmeta(child)
        if meta.get("conditionalRequired") is not True:
            continue
        full = sosmeta.text(meta.get("implementationNote"), "fi", fallback=False)
        note = _PREFIX.sub("", " ".join(full.split()))
        scope = _Scope(chain)
        one_of = _one_of(note, key, scope)
        if one_of is not None:
            members, switch = one_of
            client = (
                bool(parent)
                and parent[-1] in (CLIENT_BLOCK, "*")
                and (CLIENT_BLOCK in parent[-2:])
                and PERSON_ID in members
            )
            rule = ProseRule(ONE_OF, parent, members, full, must_be_true=switch, client=client)
            rules.setdefault((ONE_OF, parent, frozenset(members)), rule)
            continue
        condition = _required_if(note, scope)
        if condition is not None:
            rules[(REQUIRED_IF, parent, key)] = ProseRule(
                REQUIRED_IF, parent, (key,), full, condition=condition
            )
            continue
        if not note and _is_client_block(parent) and key in _CLIENT_ID_KEYS:
            silent.setdefault(parent, []).append(key)
            continue
        unread.append(UnreadRule("/" + "/".join((*parent, key)), full))
    for parent, keys in silent.items():
        # A client's identifiers marked conditionalRequired with no note at all (one export,
        # 1506.16010): read as the same pair is everywhere its note is given, "one of them".
        if len(keys) > 1 and not any(r.client and r.parent == parent for r in rules.values()):
            rules[(ONE_OF, parent, frozenset(keys))] = ProseRule(
                ONE_OF, parent, tuple(keys), NO_NOTE_CLIENT_RULE, client=True
            )
        else:
            unread += [UnreadRule("/" + "/".join((*parent, k)), "") for k in keys]
    return list(rules.values()), unread


_CLIENT_ID_KEYS = ("henkilotunnus", "tilapainen_yksilointitunnus")
NO_NOTE_CLIENT_RULE = (
    "(no implementationNote: the client's conditionally required identifiers, read as "
    "'one of them is required' as in every export whose note states it)"
)


def _is_client_block(parent: tuple[str, ...]) -> bool:
    return bool(parent) and parent[-1] in (CLIENT_BLOCK, "*") and CLIENT_BLOCK in parent[-2:]
