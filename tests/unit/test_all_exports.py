"""Every real Sosmeta export: generated documents validate, and one defect is one finding.

The exports are THL's 202 structures of ``shared/sosmeta`` (``tests/sosmeta_exports.py``
says where they are found; without them these tests fail, they never skip).

* ``test_generated_documents_of_every_export_validate``: for each of the 202 exports,
  documents are generated and validated in both storage forms with zero error findings.
* ``test_one_defect_gives_exactly_its_finding``: a generated document gets one defect of a
  kind (wrong type, missing required field, unknown code, impossible date in a date field,
  bad HETU, bad temporary identifier, missing client identifier); both forms must get
  exactly one error, that defect's, at its place.

By default the first test runs every export with a few documents and the second a fixed
sample of about sixty exports (the bundled seven, every fourth export and two chosen ones;
a test checks that the sample holds every kind of client block).
``KANTA_ARCHIVE_ALL_EXPORTS=1`` runs the defect test on all 202 exports and the generation
test with more documents and seeds.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from typing import Any

import pytest
from sosmeta_exports import exports_dir

from kanta_archive import sosmeta
from kanta_archive.codesets import CodeSet, CodeSets, load_codesets
from kanta_archive.findings import Severity
from kanta_archive.generate import document_bytes, generate_documents
from kanta_archive.rules import fields as fk
from kanta_archive.schemas import SchemaRegistry, StructureSchema
from kanta_archive.validate import Validator

ALL = os.environ.get("KANTA_ARCHIVE_ALL_EXPORTS") == "1"
EXPORTS = sorted(p.stem for p in exports_dir().glob("*.json"))
BUNDLED = {s.dated_oid for s in SchemaRegistry().structures()}  # copies of seven exports
# Beside every fourth export, in the default defect sample: a structure whose client needs
# no identifier, and the one whose identifier pair has no note (rules/prose.py).
EXTRA = {"1.2.246.537.6.1506.11061.2022.9.28", "1.2.246.537.6.1506.16010.2024.11.1"}
SEEDS = (0, 1, 2) if ALL else (0,)
COUNT = 10 if ALL else 2

Key = tuple[str, str, str]


@cache
def registry() -> SchemaRegistry:
    return SchemaRegistry([exports_dir()])


@cache
def validator() -> Validator:
    return Validator(registry())


def structure(dated_oid: str) -> StructureSchema:
    found = registry().find(dated_oid)
    assert found, f"{dated_oid}: not loaded"
    return found[-1]


def _errors(data: bytes, source: str, checker: Validator | None = None) -> list[Key]:
    result = (checker or validator()).validate_bytes(data, source)
    return [f.key() for f in result.findings if f.severity is Severity.ERROR]


def test_the_folder_holds_the_202_exports_and_each_loads() -> None:
    assert len(EXPORTS) == 202
    assert {s.dated_oid for s in registry().structures()} == set(EXPORTS)


@pytest.mark.parametrize("dated_oid", EXPORTS)
def test_generated_documents_of_every_export_validate(dated_oid: str) -> None:
    chosen = structure(dated_oid)
    for seed in SEEDS:
        for stem, doc in generate_documents(chosen, COUNT, seed, registry()):
            for form in ("json", "xhtml"):
                data = document_bytes(doc, form, chosen)
                assert _errors(data, f"{stem}.{form}") == [], f"{dated_oid} {stem}.{form}"


# -- one defect per kind ------------------------------------------------------------------


def _schema_at(schema: Mapping[str, Any], pointer: str) -> Mapping[str, Any] | None:
    """The schema node of a content pointer (``/content/<root>/...``)."""
    node: Any = schema
    for part in pointer.split("/")[2:]:
        if not isinstance(node, Mapping):
            return None
        if sosmeta.schema_type(node) == "array":
            node = node.get("items")
            continue
        node = (node.get("properties") or {}).get(part)
    return node if isinstance(node, Mapping) else None


def _leaves(value: Any, pointer: str) -> Iterator[tuple[str, Any]]:
    """Every (pointer, value) in the content, containers and scalars alike."""
    yield pointer, value
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _leaves(item, f"{pointer}/{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _leaves(item, f"{pointer}/{i}")


def _get(doc: Any, pointer: str) -> Any:
    for part in pointer.strip("/").split("/"):
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def _set(doc: Any, pointer: str, value: Any) -> None:
    *parents, last = pointer.strip("/").split("/")
    holder = _get(doc, "/".join(parents))
    holder[int(last) if isinstance(holder, list) else last] = value


def _delete(doc: Any, pointer: str) -> None:
    *parents, last = pointer.strip("/").split("/")
    del _get(doc, "/".join(parents))[last]


def _client_entries(doc: Mapping[str, Any], root: str) -> list[tuple[str, Mapping[str, Any]]]:
    block = doc["content"][root].get("asiakas")
    base = f"/content/{root}/asiakas"
    if isinstance(block, list):
        return [(f"{base}/{i}", c) for i, c in enumerate(block) if isinstance(c, Mapping)]
    return [(base, block)] if isinstance(block, Mapping) else []


def _in_identifier(pointer: str) -> bool:
    return "/henkilotunnus" in pointer or "/tilapainen_yksilointitunnus" in pointer


def _prose_keys(chosen: StructureSchema) -> set[str]:
    """Every field a prose rule names (a defect there could break the rule too)."""
    plan = registry().plan(chosen)
    keys: set[str] = set()
    for rule in plan.rules:
        keys |= set(rule.members) | set(rule.parent)
        if rule.condition is not None:
            keys.add(rule.condition.key)
    return keys


Defect = Callable[[StructureSchema, dict[str, Any]], "tuple[str, Key] | None"]


def _wrong_type(chosen: StructureSchema, doc: dict[str, Any]) -> tuple[str, Key] | None:
    plan = registry().plan(chosen)
    prose = _prose_keys(chosen)
    for pointer, value in _leaves(doc["content"], "/content"):
        node = _schema_at(chosen.schema, pointer)
        field_plan = plan.at(pointer)
        if (
            isinstance(value, str)
            and node is not None
            and node.get("type") == "string"
            and "enum" not in node
            and "const" not in node
            and field_plan is not None
            and field_plan.kind is None
            and not _in_identifier(pointer)
            and pointer.rsplit("/", 1)[-1] not in prose | {"system", "code", "display"}
        ):
            _set(doc, pointer, 12345)
            return f"wrong type at {pointer}", ("KA-CONTENT-SCHEMA", "error", pointer)
    return None


def _missing_required(chosen: StructureSchema, doc: dict[str, Any]) -> tuple[str, Key] | None:
    prose = _prose_keys(chosen)
    for pointer, value in _leaves(doc["content"], "/content"):
        node = _schema_at(chosen.schema, pointer) if pointer.count("/") > 1 else None
        if not isinstance(value, Mapping) or node is None or sosmeta.is_coded(node):
            continue
        for key in node.get("required") or []:
            if (
                key in value
                and key not in prose
                and key not in ("asiakas", "henkilotunnus", "tilapainen_yksilointitunnus")
                and not _in_identifier(pointer)
                and not (sosmeta.is_coded(_schema_at(chosen.schema, f"{pointer}/{key}") or {}))
            ):
                _delete(doc, f"{pointer}/{key}")
                return f"missing {pointer}/{key}", ("KA-CONTENT-SCHEMA", "error", pointer)
    return None


def _impossible_date(chosen: StructureSchema, doc: dict[str, Any]) -> tuple[str, Key] | None:
    plan = registry().plan(chosen)
    for pointer, value in _leaves(doc["content"], "/content"):
        field_plan = plan.at(pointer)
        if not isinstance(value, str) or field_plan is None:
            continue
        if field_plan.kind == fk.DATE and len(value) == 10:
            _set(doc, pointer, "2023-02-30")
        elif field_plan.kind == fk.DATETIME and "T" in value:
            _set(doc, pointer, "2023-02-30T10:00:00+02:00")
        else:
            continue
        return f"30 February at {pointer}", ("KA-DATE-INVALID", "error", pointer)
    return None


def _first_client_value(doc: Mapping[str, Any], root: str, key: str) -> tuple[str, str] | None:
    """(pointer, value) of ``<key>/value`` of the first client that has it."""
    for base, entry in _client_entries(doc, root):
        identifier = entry.get(key)
        if isinstance(identifier, Mapping) and isinstance(identifier.get("value"), str):
            return f"{base}/{key}/value", identifier["value"]
    return None


def _bad_hetu(chosen: StructureSchema, doc: dict[str, Any]) -> tuple[str, Key] | None:
    found = _first_client_value(doc, chosen.root, "henkilotunnus")
    if found is None:
        return None
    pointer, value = found
    _set(doc, pointer, value[:-1] + ("Y" if value[-1] != "Y" else "X"))
    return f"check character at {pointer}", ("KA-HETU-INVALID", "error", pointer)


def _bad_temporary_id(chosen: StructureSchema, doc: dict[str, Any]) -> tuple[str, Key] | None:
    found = _first_client_value(doc, chosen.root, "tilapainen_yksilointitunnus")
    if found is None:
        return None
    pointer, value = found
    _set(doc, pointer, value[:7] + "123" + value[10:])  # not in 900-999
    return f"individual number 123 at {pointer}", ("KA-TEMPID-INVALID", "error", pointer)


_ID_KEYS = ("henkilotunnus", "tilapainen_yksilointitunnus", "syntymaaika")


def _identifier_alternatives(chosen: StructureSchema) -> tuple[list[str], list[str]]:
    """The client's identifier fields read straight from the schema: those it requires
    (``required``) and those it requires one of (``conditionalRequired``; the birth date
    counts where the structure lets it identify a client)."""
    item = _client_item(chosen)
    props = item.get("properties") or {}
    required = [k for k in _ID_KEYS if k in props and k in (item.get("required") or [])]
    one_of = [
        k
        for k in _ID_KEYS
        if k in props and k not in required and sosmeta.flag(props[k], "conditionalRequired")
    ]
    return required, one_of


def _identifier_required(chosen: StructureSchema) -> bool:
    required, one_of = _identifier_alternatives(chosen)
    return bool(required or [k for k in one_of if k != "syntymaaika"])


def _missing_client_id(chosen: StructureSchema, doc: dict[str, Any]) -> tuple[str, Key] | None:
    entries = _client_entries(doc, chosen.root)
    required, one_of = _identifier_alternatives(chosen)
    if not entries or required or not _identifier_required(chosen):
        return None  # a schema-required identifier is a schema matter (wrong-type etc.)
    base, entry = entries[0]
    present = [k for k in one_of if k in entry]
    if not present:
        return None
    for key in present:
        _delete(doc, f"{base}/{key}")
    return f"no identifier at {base} (removed {', '.join(present)})", (
        "KA-CLIENT-ID",
        "error",
        base,
    )


def _codesets_for(doc: Mapping[str, Any]) -> CodeSets:
    """The loaded code sets plus, for each other code system the document uses (content and
    metadata), a complete test code set of exactly its codes (so the document stays valid)."""
    sets = dict(load_codesets(registry().extra_dirs))
    used: dict[str, dict[str, dict[str, str]]] = {}
    leaves = [*_leaves(doc["content"], "/content"), *_leaves(doc["metadata"], "/metadata")]
    for _, value in leaves:
        if isinstance(value, Mapping) and {"system", "code", "display"} <= set(value):
            oid = str(value["system"]).removeprefix("urn:oid:")
            used.setdefault(oid, {})[str(value["code"])] = {"fi": str(value["display"])}
    for oid, codes in used.items():
        if oid and oid not in sets:
            sets[oid] = CodeSet(oid, {}, codes, source="test: the codes this document uses")
    return CodeSets(sets)


def _bad_code(chosen: StructureSchema, doc: dict[str, Any]) -> tuple[str, Key] | None:
    for pointer, value in _leaves(doc["content"], "/content"):
        node = _schema_at(chosen.schema, pointer)
        code_node = ((node or {}).get("properties") or {}).get("code") or {}
        if (
            isinstance(value, Mapping)
            and {"system", "code", "display"} <= set(value)
            and str(value["system"]).startswith("urn:oid:")
            and "enum" not in code_node
            and "const" not in code_node
            and "pattern" not in code_node
        ):
            _set(doc, f"{pointer}/code", "ZZ-not-a-code")
            return f"unknown code at {pointer}", ("KA-CODE-UNKNOWN", "error", f"{pointer}/code")
    return None


DEFECTS: dict[str, Defect] = {
    "wrong-type": _wrong_type,
    "missing-required": _missing_required,
    "bad-code": _bad_code,
    "impossible-date": _impossible_date,
    "bad-hetu": _bad_hetu,
    "bad-temporary-id": _bad_temporary_id,
    "missing-client-id": _missing_client_id,
}


def _allows_temporary(dated_oid: str) -> bool:
    text = (exports_dir() / f"{dated_oid}.json").read_text(encoding="utf-8")
    return '"tilapainen_yksilointitunnus"' in text


def _sample() -> list[str]:
    if ALL:
        return EXPORTS
    return sorted(set(BUNDLED) | set(EXPORTS[::4]) | EXTRA)


@pytest.mark.parametrize("kind", list(DEFECTS))
@pytest.mark.parametrize("dated_oid", _sample())
def test_one_defect_gives_exactly_its_finding(dated_oid: str, kind: str) -> None:
    chosen = structure(dated_oid)
    inject = DEFECTS[kind]
    for _stem, generated in generate_documents(chosen, 30, 7, registry()):
        doc = copy.deepcopy(generated)
        doc.pop("signature", None)  # an edit would break it: a second finding
        doc["metadata"].pop("signature", None)
        made = inject(chosen, doc)
        if made is None:
            continue
        what, expected = made
        checker = Validator(registry(), _codesets_for(generated)) if kind == "bad-code" else None
        for form in ("json", "xhtml"):
            data = document_bytes(doc, form, chosen)
            assert _errors(data, f"doc.{form}", checker) == [expected], f"{what} ({form})"
        return
    # No document to put this defect in: only where the structure has no such field.
    if kind == "bad-temporary-id":
        assert not _allows_temporary(dated_oid) or not _clients_may_be_temporary(chosen)
    elif kind == "missing-client-id":
        required, _one_of = _identifier_alternatives(chosen)
        assert required or not _identifier_required(chosen) or not _has_client_block(chosen)
    elif kind == "bad-hetu":
        assert not _has_hetu(chosen)
    elif kind == "bad-code":
        assert not _free_coded_fields(chosen.schema), "coded fields never generated"
    else:
        pytest.fail(f"{dated_oid}: no generated document has a field for a {kind} defect")


def _free_coded_fields(node: Any) -> list[Any]:
    """The coded fields of a schema whose code is not fixed by an enum, const or pattern."""
    found: list[Any] = []
    if isinstance(node, Mapping):
        if sosmeta.is_coded(node):
            code = (node.get("properties") or {}).get("code") or {}
            if not {"enum", "const", "pattern"} & set(code):
                found.append(node)
        for value in node.values():
            found += _free_coded_fields(value)
    elif isinstance(node, list):
        for value in node:
            found += _free_coded_fields(value)
    return found


def _has_client_block(chosen: StructureSchema) -> bool:
    return "asiakas" in (chosen.schema["properties"][chosen.root].get("properties") or {})


def _client_item(chosen: StructureSchema) -> Mapping[str, Any]:
    block = (chosen.schema["properties"][chosen.root].get("properties") or {}).get("asiakas")
    item = block.get("items", block) if isinstance(block, Mapping) else {}
    return item if isinstance(item, Mapping) else {}


def _has_hetu(chosen: StructureSchema) -> bool:
    return "henkilotunnus" in (_client_item(chosen).get("properties") or {})


def _clients_may_be_temporary(chosen: StructureSchema) -> bool:
    item = _client_item(chosen)
    props = item.get("properties") or {}
    return "tilapainen_yksilointitunnus" in props and "henkilotunnus" not in (
        item.get("required") or []
    )


def test_the_defect_sample_covers_every_kind_of_client_block() -> None:
    sample = [structure(e) for e in _sample()]
    assert {s.dated_oid for s in sample} >= BUNDLED
    blocks = [
        (s, (s.schema["properties"][s.root].get("properties") or {}).get("asiakas")) for s in sample
    ]
    assert any(isinstance(b, Mapping) and b.get("type") == "array" for _, b in blocks)
    assert any(isinstance(b, Mapping) and b.get("type") == "object" for _, b in blocks)
    assert any(_clients_may_be_temporary(s) for s in sample)
    assert any("syntymaaika" in _identifier_alternatives(s)[1] for s in sample)
    assert any(b is not None and not _identifier_required(s) for s, b in blocks)
    assert len(sample) >= 40 or ALL
