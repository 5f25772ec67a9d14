"""Reading Sosmeta's prose rules (``conditionalRequired`` + ``implementationNote``).

Small schemas hold each recognised pattern in the words of the real exports; a count over
the 202 exports pins what is read and what is listed as not machine-readable.
"""

from __future__ import annotations

from typing import Any

import pytest
from sosmeta_exports import exports_dir

from kanta_archive.rules.prose import (
    CODE_IN,
    IS_ABSENT,
    IS_FALSE,
    IS_TRUE,
    NO_NOTE_CLIENT_RULE,
    ONE_OF,
    REQUIRED_IF,
    read_rules,
)
from kanta_archive.schemas import SchemaRegistry


def _field(name: str, kind: str = "string", note: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": [{"lang": "fi", "value": name}],
        "conditionalRequired": note is not None,
    }
    if note:
        meta["implementationNote"] = [{"lang": "fi", "value": f"Ehdollisesti pakollinen: {note}"}]
    return {"type": kind, "sosmeta": meta}


def _schema(props: dict[str, Any], client: dict[str, Any] | None = None) -> dict[str, Any]:
    root: dict[str, Any] = {"type": "object", "properties": dict(props)}
    if client is not None:
        root["properties"]["asiakas"] = {
            "type": "array",
            "items": {"type": "object", "properties": client},
        }
    return {"type": "object", "properties": {"juuri": root}}


@pytest.mark.parametrize(
    "note",
    [
        "Henkilötunnus- ja Syntymäaika -kentistä toinen on pakollinen.",
        "Toinen kentistä Henkilötunnus ja Syntymäaika on pakollinen.",
        "Joko Henkilötunnus-kenttä tai Syntymäaika -kenttä on pakollinen.",
        "Joko Henkilötunnus tai Syntymäaika on pakollinen.",
    ],
)
def test_one_of_patterns_on_a_client_are_client_identifier_rules(note: str) -> None:
    client = {
        "henkilotunnus": _field("Henkilötunnus", "object", note),
        "syntymaaika": _field("Syntymäaika", "string", note),
    }
    rules, unread = read_rules(_schema({}, client))
    assert unread == []
    assert len(rules) == 1
    rule = rules[0]
    assert (rule.kind, rule.parent, rule.members) == (
        ONE_OF,
        ("juuri", "asiakas", "*"),
        ("henkilotunnus", "syntymaaika"),
    )
    assert rule.client and rule.code == "KA-CLIENT-ID"


def test_a_one_of_elsewhere_is_one_of_required_and_switches_must_be_true() -> None:
    note = (
        "Toinen kentistä Kotikäynti ja Puhelu on pakollinen. "
        'Toiseen kentistä on vastattava "kyllä".'
    )
    props = {
        "kotikaynti": _field("Kotikäynti", "boolean", note),
        "puhelu": _field("Puhelu", "boolean", note),
    }
    rules, _ = read_rules(_schema(props))
    assert [(r.members, r.must_be_true, r.code) for r in rules] == [
        (("kotikaynti", "puhelu"), True, "KA-ONE-OF-REQUIRED")
    ]


@pytest.mark.parametrize(
    ("note", "op", "codes"),
    [
        ('Kenttä on pakollinen, jos Tulkki -kenttään on vastattu "kyllä".', IS_TRUE, ()),
        ('Kenttä on pakollinen, jos Tulkki -kenttään on vastattu "ei".', IS_FALSE, ()),
        ("Kenttä on pakollinen, jos Tulkki -kenttä jätetään tyhjäksi.", IS_ABSENT, ()),
        ('Jos Luokka-kentässä on valittu luokka "99 Muu", kenttä on pakollinen.', CODE_IN, ("99",)),
        ("Kenttä on pakollinen, jos kentän Luokka luokituksesta on valittu luokka 2.", CODE_IN,
         ("2",)),
        ("Jos Luokka-kentässä olevasta luokituksesta on valittu 31 = Huoltaja, 32 = Edunvalvoja "
         "tai 34 = Muu, kenttä on pakollinen.", CODE_IN, ("31", "32", "34")),
    ],
)  # fmt: skip
def test_required_if_patterns(note: str, op: str, codes: tuple[str, ...]) -> None:
    props = {
        "tulkki": _field("Tulkki", "boolean"),
        "luokka": _field("Luokka", "object"),
        "lisatieto": _field("Lisätieto", "string", note),
    }
    rules, unread = read_rules(_schema(props))
    assert unread == []
    (rule,) = rules
    assert (rule.kind, rule.members, rule.code) == (REQUIRED_IF, ("lisatieto",), "KA-REQUIRED-IF")
    assert rule.condition is not None
    assert (rule.condition.key, rule.condition.op, rule.condition.codes) == (
        "luokka" if op == CODE_IN else "tulkki",
        op,
        codes,
    )


def test_a_note_in_other_words_is_listed_as_unread() -> None:
    note = "Tieto on pakollinen, mikäli asiakkaalla on tarve tulkkaukseen."
    rules, unread = read_rules(_schema({"tulkkaus": _field("Tulkkaus", "string", note)}))
    assert rules == []
    assert [(u.path, u.text) for u in unread] == [
        ("/juuri/tulkkaus", f"Ehdollisesti pakollinen: {note}")
    ]


def test_a_name_the_note_cannot_find_leaves_the_rule_unread() -> None:
    note = "Henkilötunnus- ja Syntymäpäivä -kentistä toinen on pakollinen."  # no such field
    client = {"henkilotunnus": _field("Henkilötunnus", "object", note)}
    rules, unread = read_rules(_schema({}, client))
    assert rules == [] and len(unread) == 1


def test_a_clients_identifier_pair_without_any_note_is_one_of_them() -> None:
    client = {
        "henkilotunnus": _field("Henkilötunnus", "object", ""),
        "tilapainen_yksilointitunnus": _field("Tilapäinen yksilöintitunnus", "object", ""),
    }
    rules, unread = read_rules(_schema({}, client))
    assert unread == []
    (rule,) = rules
    assert rule.members == ("henkilotunnus", "tilapainen_yksilointitunnus")
    assert rule.client and rule.text == NO_NOTE_CLIENT_RULE
    # one such field alone, or another field without a note: not machine-readable
    alone = {"henkilotunnus": _field("Henkilötunnus", "object", "")}
    assert read_rules(_schema({}, alone))[0] == []
    assert len(read_rules(_schema({"x": _field("X", "string", "")}))[1]) == 1


def test_over_the_202_exports() -> None:
    registry = SchemaRegistry([exports_dir()])
    structures = registry.structures()
    assert len(structures) == 202
    read = sum(len(registry.plan(s).rules) for s in structures)
    unread = sum(len(registry.plan(s).unread) for s in structures)
    # 605 fields are conditionalRequired; a one-of rule is read once for all its fields.
    assert (read, unread) == (239, 161)
    client_rules = sum(1 for s in structures for r in registry.plan(s).rules if r.client)
    assert client_rules == 114  # with 91 other one-of rules and 34 required-if rules


def test_the_prose_rules_page_is_fresh() -> None:
    from pathlib import Path

    from kanta_archive.schema_docs import render_prose_rules

    page = Path(__file__).resolve().parents[2] / "docs" / "prose-rules.md"
    fresh = render_prose_rules(SchemaRegistry([exports_dir()]))
    assert page.read_text(encoding="utf-8") == fresh, (
        "docs/prose-rules.md is stale: run 'kanta-archive --schemas-dir ../shared/sosmeta "
        "schemas docs --out /tmp/structures --prose-rules docs/prose-rules.md'"
    )
    assert "| notes not machine-readable | 159 |" in fresh
