"""Both storage forms of a *mutated* document get the same findings: differential tests.

A generated (valid) document of a random structure gets one or two random defects, in its
metadata or its content; then its JSON form and its XHTML form are written and validated,
and the finding keys (code, severity, JSON Pointer) must be the same. The XHTML form must
also read back to the same model as the JSON form: the defect is one both forms can carry.
Below the property test are the discrepancies it found, one defect at a time.

What the mutations leave out, and why (docs/metadata.md, "The two storage forms"):

* A wrong JSON type in the metadata, other than a string. ``ka:metadata`` carries no type
  annotations: the reader types a field's text by the metadata schema. A number, ``true``
  or ``null`` where a string belongs, or any scalar where an object or array belongs, is
  written as text that reads back as something else (``5`` as ``"5"``, ``null`` as ``""``,
  ``"x"`` as ``{}``); those documents have no XHTML twin. A string in an integer or
  boolean field is a mutation unless it reads as an integer or boolean there (``"2"``,
  ``" true"``); ``"+2"``, ``"٢"`` or ``"\u00a02"`` must stay strings in both forms.
* An array, an empty object or a non-string scalar in a metadata member the schema does not
  know: with no type to go by, the reader reads text as a string and elements as an object.
* Metadata member names that are not XML names, and characters XML 1.0 cannot carry (most
  C0 controls, lone surrogates, U+FFFE, U+FFFF): the writer cannot write them.
* The metadata ``signature`` block of a signed document: signing writes it anew, and an
  edit after signing gives different codes in the two forms on purpose (docs/signatures.md).
  Integers beyond 2**53 in a signed document: RFC 8785 cannot canonicalise them.

The content is written with its JSON types (``data-ka``), so any JSON value goes there.

Set ``KANTA_PARITY_EXAMPLES`` (e.g. 2000) to hunt with more examples and fresh randomness;
by default the test is small and derandomized, so CI runs the same examples every time.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Callable, Mapping
from datetime import date
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from kanta_archive.formats.read import read_bytes
from kanta_archive.formats.xhtml_common import KA, XHTML, metadata_schema_node
from kanta_archive.formats.xhtml_writer import render_xhtml
from kanta_archive.generate import generate_documents, sign_json_document, sign_xhtml_bytes
from kanta_archive.identifiers import make_hetu, parse_datetime
from kanta_archive.schemas import SchemaRegistry, StructureSchema
from kanta_archive.validate import Validator

REGISTRY = SchemaRegistry()
STRUCTURES = REGISTRY.structures()
VALIDATOR = Validator(REGISTRY)
SEEDS = 8

_HUNT = os.environ.get("KANTA_PARITY_EXAMPLES")
PARITY = settings(
    max_examples=int(_HUNT) if _HUNT else 60,
    derandomize=not _HUNT,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

THIS_FORM = "\x00this-form"
OTHER_FORM = "\x00other-form"

Path = tuple[str | int, ...]
Key = tuple[str, str, str]


@cache
def _generated(index: int, seed: int) -> Mapping[str, Any]:
    # The third document of a run: version 1, 2 or 3 of a set, signed or not.
    _stem, document = list(generate_documents(STRUCTURES[index], 3, seed, REGISTRY))[-1]
    return document


# -- the two forms ---------------------------------------------------------------------------


def _with_format(metadata: Mapping[str, Any], form: str) -> dict[str, Any]:
    other = "xhtml" if form == "json" else "json"
    written = dict(metadata)
    if "storage_format" in written:
        declared = written["storage_format"]
        written["storage_format"] = {THIS_FORM: form, OTHER_FORM: other}.get(declared, declared)
    return written


def _declare_format(data: bytes, declared: str) -> bytes:
    root = etree.fromstring(data)
    root.find(f"{XHTML}head/{KA}metadata/{KA}storage_format").text = declared
    patched: bytes = etree.tostring(root.getroottree(), encoding="UTF-8", xml_declaration=True)
    return patched


def both_forms(
    metadata: Mapping[str, Any],
    content: Mapping[str, Any],
    structure: StructureSchema,
    signed_at: str | None = None,
) -> tuple[bytes, bytes]:
    """The JSON and the XHTML form of one document, signed at ``signed_at`` when given.

    Signing writes the metadata ``signature`` block in both forms alike.
    """
    whole: dict[str, Any] = {"metadata": _with_format(metadata, "json"), "content": content}
    if signed_at is not None:
        whole = sign_json_document(whole, parse_datetime(signed_at))
    as_json = (json.dumps(whole, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    as_xhtml = render_xhtml(_with_format(metadata, "xhtml"), content, structure.schema)
    if metadata.get("storage_format", THIS_FORM) != THIS_FORM:
        # The writer always declares the form it writes; a wrong declaration is patched in.
        as_xhtml = _declare_format(as_xhtml, _with_format(metadata, "xhtml")["storage_format"])
    if signed_at is not None:
        as_xhtml = sign_xhtml_bytes(as_xhtml, whole["metadata"]["signature"]["signed_at"])
    return as_json, as_xhtml


def _model(data: bytes, source: str) -> dict[str, Any]:
    outcome = read_bytes(data, source)
    assert outcome.document is not None, outcome.findings
    metadata = {k: v for k, v in outcome.document.metadata_raw.items() if k != "storage_format"}
    return {"metadata": metadata, "content": outcome.document.content}


def keys(data: bytes, source: str) -> set[Key]:
    """The finding keys of one document."""
    return {f.key() for f in VALIDATOR.validate_bytes(data, source).findings}


def assert_same_findings(
    metadata: Mapping[str, Any],
    content: Mapping[str, Any],
    structure: StructureSchema,
    signed_at: str | None = None,
) -> set[Key]:
    """Write both forms, check they hold the same model and get the same finding keys."""
    as_json, as_xhtml = both_forms(metadata, content, structure, signed_at)
    assert _model(as_xhtml, "doc.xhtml") == _model(as_json, "doc.json"), "not the same model"
    found = keys(as_json, "doc.json")
    assert keys(as_xhtml, "doc.xhtml") == found
    return found


# -- values ------------------------------------------------------------------------------

# Every character XML 1.0 can carry.
_XML_CHARS = st.characters(
    blacklist_categories=("Cs",),
    blacklist_characters=[chr(c) for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)]
    + ["\ufffe", "\uffff"],
)
_HETUS = [
    make_hetu(date(1985, 3, 14), 123),
    make_hetu(date(2001, 1, 1), 950),  # a test HETU: a warning
    make_hetu(date(1899, 12, 31), 2),
    "010101-123X",  # wrong check character
    "300285-123K",  # 30 February
    "010101Q1234",  # no such century sign
    "010101-12",
]
_TIMES = [
    "2024-06-01T10:00:00+03:00",
    "2024-06-01T10:00+03:00",
    "2024-06-01T10:00:00.123456Z",
    "2024-06-01T10:00:00.1234567Z",
    "2024-06-01T07:00:00Z",
    "2024-06-01T10:00:00",
    "2024-06-01",
    "2024-02-30T10:00:00Z",
    "2024-06-01T24:00:00Z",
    "2024-06-01T23:59:60Z",
    "2024-06-01T10:00:00+14:30",
    "2030-01-01T00:00:00Z",
    "2030-01-01T00:00+02:00",
    " 2030-01-01T00:00:00Z",
    "2030-01-01T00:00:00",
    "2030-01-01T24:00:00Z",
    "1990-01-01T00:00:00Z",
    "10000-01-01T00:00:00Z",
    "0000-01-01T00:00:00Z",
]
_OIDS = [
    "1.2.3",
    "1.2.03",
    "3.1",
    "1..2",
    "1.2.246.10.24303010",
    "1.2.246.10.24303011",  # wrong business ID check digit
    "1.2.246.10.24303010.22.2020.1",
    "1.2.246.10.24303010.22.2999.1",
    "2.999",
]
_CODES = ["1", "2", "3", "0", "99", "01", "urn:oid:1.2.246.537.6.1503", "urn:oid:1.2.3"]
_WORDS = [
    "",
    " ",
    "\t",
    "\n",
    "x",
    "ä ö å € 😀",
    "x" * 3000,
    "a\r\nb",
    "permanent",
    "2099-12-31",
    "2024-02-30",
    "2024",
    "fi",
    "sv",
    "xx",
    "json",
    "xhtml",
    "active",
    "invalidated",
    "own_production",
    "service_voucher",
    "purchased_service",
    "payment_commitment",
    "private_contract",
    "true",
    "+2",
    "2.0",
    "1e2",
    "١",
    "\u00a02",
    "\u00a0true",
    "0" * 64,
]
_POOL = st.sampled_from(_HETUS + _TIMES + _OIDS + _CODES + _WORDS)
_TEXT = st.text(_XML_CHARS, max_size=12)
# Around a value that is there: white space (XML's and others), and other scripts' digits.
_AFFIXES = st.sampled_from([" ", "\t", "\n", "\r\n", "\u00a0", "\u2028", "x", "0", ".0"])
_ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def _near(value: str) -> st.SearchStrategy[str]:
    return st.one_of(
        _AFFIXES.map(lambda a: value + a),
        _AFFIXES.map(lambda a: a + value),
        st.just(value.translate(_ARABIC_INDIC)),
        st.just(value.upper()),
        st.just(value[:-1]),
    )


def _strings(current: Any, node: Mapping[str, Any] | None = None) -> st.SearchStrategy[str]:
    """Strings for a field: its own kind of value (by the schema ``node``) more often."""
    choices = [_POOL, _TEXT]
    if isinstance(current, str) and current:
        choices.append(_near(current))
    pattern, enum = (node or {}).get("pattern", ""), (node or {}).get("enum")
    if enum:
        choices.append(st.sampled_from(enum))
    if "T" in pattern:
        choices.append(st.sampled_from(_TIMES))
    elif "(0|[1-9]" in pattern:
        choices.append(st.sampled_from(_OIDS))
    elif "[-+ABCDEFYXWVU]" in pattern:
        choices.append(st.sampled_from(_HETUS))
    return st.one_of(*choices)


def _reads_as(kind: str | None, text: str) -> bool:
    """Whether the XHTML reader types ``text`` in a field of schema type ``kind`` (see above)."""
    stripped = text.strip(" \t\r\n")
    if kind == "integer":
        return re.fullmatch("-?[0-9]+", stripped) is not None
    if kind == "boolean":
        return stripped in ("true", "false")
    return False


def _integers(signed: bool) -> st.SearchStrategy[int]:
    # Small numbers keep the version chain interesting; big ones test the reader's range.
    limit = 2**53 - 1 if signed else None
    return st.one_of(
        st.integers(-1, 4), st.integers(min_value=-limit if limit else None, max_value=limit)
    )


def _json_values(signed: bool) -> st.SearchStrategy[Any]:
    limit = 2**53 - 1
    scalars = st.one_of(
        _strings(None),
        st.integers(-limit, limit) if signed else st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.booleans(),
        st.none(),
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
        max_leaves=6,
    )


# -- the metadata schema, for the type of each field ---------------------------------------


def _node(path: Path) -> Mapping[str, Any] | None:
    node: Mapping[str, Any] | None = metadata_schema_node()
    for step in path:
        if node is None:
            return None
        node = node.get("items") if isinstance(step, int) else node.get("properties", {}).get(step)
    return node


def _kind(path: Path) -> str | None:
    node = _node(path)
    declared = node.get("type") if node else None
    return declared if isinstance(declared, str) else None


def _typed(path: Path) -> bool:
    node = _node(path) or {}
    return _kind(path) in ("integer", "boolean") or "T" in node.get("pattern", "")


def _paths(value: Any, prefix: Path = ()) -> list[Path]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _paths(item, (*prefix, i))
    return found


def _absent(metadata: Mapping[str, Any]) -> list[Path]:
    """Optional metadata fields (top level and in the objects there) that are not there."""
    found: list[Path] = []
    for path in [(), *_paths(metadata)]:
        value = _get(metadata, path)
        node = _node(path)
        if isinstance(value, dict) and node:
            found += [(*path, name) for name in node.get("properties", {}) if name not in value]
    return found


def _get(root: Any, path: Path) -> Any:
    for step in path:
        root = root[step]
    return root


def _set(root: Any, path: Path, value: Any) -> None:
    parent = _get(root, path[:-1])
    if isinstance(parent, list) and path[-1] == len(parent):
        parent.append(value)
    else:
        parent[path[-1]] = value


def _delete(root: Any, path: Path) -> None:
    del _get(root, path[:-1])[path[-1]]


_CANNED: dict[str, Any] = {
    "invalidation": {"reason": "Kirjattu väärälle asiakkaalle", "time": "2024-06-02T10:00:00Z"},
    "signature": {"signer": "Testi Allekirjoittaja", "signed_at": "2024-06-02T10:00:00Z"},
    "clients": {"hetu": _HETUS[0]},
}


def _value_for(path: Path, current: Any, signed: bool) -> st.SearchStrategy[Any]:
    """A new value for the metadata field at ``path`` that both forms can carry."""
    kind, node = _kind(path), _node(path)
    if kind == "integer":
        return _integers(signed) | _strings(current, node).filter(lambda s: not _reads_as(kind, s))
    if kind == "boolean":
        return st.booleans() | _strings(current, node).filter(lambda s: not _reads_as(kind, s))
    if kind == "object":
        # An object the schema describes: empty, or a copy of a well-formed one.
        name = next((str(step) for step in reversed(path) if isinstance(step, str)), "")
        canned = _CANNED.get(name)
        return st.just({}) | (st.just(copy.deepcopy(canned)) if canned else st.nothing())
    if kind == "array":
        return st.just([]) | st.just([{}])
    if kind is None and node is None:
        # A member the schema does not know: a string, or an object of strings.
        return _strings(None) | st.dictionaries(
            st.sampled_from(["a", "b", "x"]), _strings(None), min_size=1, max_size=2
        )
    return _strings(current, node)


# -- mutations -----------------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def _metadata_mutation(
    data: st.DataObject, metadata: dict[str, Any], signed: bool
) -> tuple[str, Mutation]:
    def editable(path: Path) -> bool:
        return path[0] != "storage_format" and not (signed and path[0] == "signature")

    there = [p for p in _paths(metadata) if editable(p)]
    operation = data.draw(
        st.sampled_from(
            ["set", "set", "set", "typed", "delete", "add", "unknown", "copy", "format"]
        ),
        label="metadata operation",
    )
    if operation == "delete":
        path = data.draw(st.sampled_from(there), label="path")
        return f"delete {path}", lambda m: _delete(m, path)
    if operation == "format":
        values = [OTHER_FORM, "", "JSON", "html", " xhtml"]
        if "storage_format" in metadata:
            values.append(None)
        value = data.draw(st.sampled_from(values), label="format")
        if value is None:
            return "delete storage_format", lambda m: _delete(m, ("storage_format",))
        return f"storage_format = {value!r}", lambda m: _set(m, ("storage_format",), value)
    if operation == "unknown":
        objects = [()] + [p for p in there if isinstance(_get(metadata, p), dict)]
        parent = data.draw(st.sampled_from(objects), label="object")
        name = data.draw(st.sampled_from(["unknown", "extra_field", "note"]), label="name")
        path = (*parent, name)
    elif operation == "copy":
        strings = [p for p in there if isinstance(_get(metadata, p), str)]
        source = data.draw(st.sampled_from(strings), label="from")
        path = data.draw(st.sampled_from([p for p in there if _kind(p) == "string"]), label="to")
        value = _get(metadata, source)
        return f"copy {source} to {path}", lambda m: _set(m, path, value)
    elif operation == "add":
        absent = [p for p in _absent(metadata) if editable(p)]
        clients = metadata.get("clients")
        if isinstance(clients, list):
            absent.append(("clients", len(clients)))
        path = data.draw(st.sampled_from(absent or there), label="path")
    elif operation == "typed":
        # The few fields whose text is read as more than a string: integers and booleans
        # (by the XHTML reader), date-times (by rules and XSD assertions alike).
        typed = [p for p in there + _absent(metadata) if _typed(p)]
        path = data.draw(st.sampled_from(typed), label="path")
    else:
        path = data.draw(st.sampled_from(there), label="path")
    current = _get(metadata, path) if path in there else None
    if path[0] == "clients" and len(path) == 2:  # a whole client: a copy of one, or a new one
        existing = [c for c in metadata["clients"] if isinstance(c, dict)]
        value = data.draw(
            st.sampled_from([copy.deepcopy(c) for c in existing] + [{}, _CANNED["clients"]]),
            label="client",
        )
    else:
        value = data.draw(_value_for(path, current, signed), label="value")
    return f"set {path} = {value!r:.80}", lambda m: _set(m, path, value)


def _content_mutation(
    data: st.DataObject, content: dict[str, Any], signed: bool
) -> tuple[str, Mutation]:
    paths = _paths(content)
    operations = ["set", "set", "delete", "copy", "add"] if paths else ["add"]
    operation = data.draw(st.sampled_from(operations), label="operation")
    if operation == "add":
        objects = [()] + [p for p in paths if isinstance(_get(content, p), dict)]
        parent = data.draw(st.sampled_from(objects), label="content object")
        path = (*parent, data.draw(_TEXT, label="key"))
    else:
        path = data.draw(st.sampled_from(paths), label="content path")
    if operation == "delete":
        return f"delete content {path}", lambda c: _delete(c, path)
    if operation == "copy":
        source = data.draw(st.sampled_from(paths), label="from")
        value = copy.deepcopy(_get(content, source))
    else:
        current = _get(content, path) if path in paths else None
        strings = _strings(current) if isinstance(current, str) else st.nothing()
        value = data.draw(strings | _json_values(signed), label="content value")
    return f"set content {path} = {value!r:.80}", lambda c: _set(c, path, value)


def draw_mutated(data: st.DataObject) -> tuple[StructureSchema, dict[str, Any], str | None]:
    """A generated document of a random structure with one or two random defects.

    Returns the structure, the mutated ``{"metadata", "content"}`` and the signing time
    (``None``: unsigned). Two defects reach the cross-field rules (created and effective
    time, controller and producer, version and previous version).
    """
    index = data.draw(st.integers(0, len(STRUCTURES) - 1), label="structure")
    seed = data.draw(st.integers(0, SEEDS - 1), label="seed")
    structure = STRUCTURES[index]
    document = copy.deepcopy(dict(_generated(index, seed)))
    document.pop("signature", None)  # both forms are signed anew after the mutation
    metadata, content = document["metadata"], document["content"]
    metadata["storage_format"] = THIS_FORM
    signed = "signature" in _generated(index, seed) and data.draw(
        st.sampled_from([True, True, True, False]), label="signed"
    )
    for _ in range(data.draw(st.integers(1, 2), label="defects")):
        if data.draw(st.integers(0, 3), label="part") == 0:
            what, mutate = _content_mutation(data, content, signed)
            mutate(content)
        else:
            what, mutate = _metadata_mutation(data, metadata, signed)
            mutate(metadata)
        data.draw(st.just(what), label="mutation")
    created: str = _generated(index, seed)["metadata"]["created"]
    return structure, document, created if signed else None


@PARITY
@given(data=st.data())
def test_a_mutated_document_gets_the_same_findings_in_both_forms(data: st.DataObject) -> None:
    structure, document, signed_at = draw_mutated(data)
    assert_same_findings(document["metadata"], document["content"], structure, signed_at)


# -- one defect at a time: the discrepancies the mutation test above found -------------------

UNSIGNED = 0  # STRUCTURES[0], the customership document; its unsigned documents are used


def _document(where: Callable[[Mapping[str, Any]], bool]) -> dict[str, Any]:
    """A copy of the first unsigned generated document whose metadata satisfies ``where``."""
    for seed in range(50):
        generated = _generated(UNSIGNED, seed)
        if "signature" not in generated and where(generated["metadata"]):
            document = copy.deepcopy(dict(generated))
            document["metadata"]["storage_format"] = THIS_FORM
            return document
    raise AssertionError("no generated document fits")


def _same_findings(document: Mapping[str, Any]) -> set[Key]:
    return assert_same_findings(document["metadata"], document["content"], STRUCTURES[UNSIGNED])


def test_a_malformed_previous_version_oid_gets_one_finding_in_both_forms() -> None:
    # An XSD assertion is a rule: it does not report a value that fails its schema again.
    document = _document(lambda m: m["version"] == 1)
    document["metadata"]["previous_version_oid"] = "1.2.03"
    found = _same_findings(document)
    assert ("KA-META-SCHEMA", "error", "/metadata/previous_version_oid") in found
    assert ("KA-VERSION-CHAIN", "error", "/metadata/previous_version_oid") not in found


def test_the_controller_rules_skip_a_document_without_controller_or_producer_in_both_forms() -> (
    None
):
    for where in (lambda m: "organiser" in m, lambda m: "organiser" not in m):
        for remove in (("controller",), ("author", "organisation_oid")):
            document = _document(where)
            parent = document["metadata"]
            for key in remove[:-1]:
                parent = parent[key]
            del parent[remove[-1]]
            found = _same_findings(document)
            assert any(code == "KA-META-SCHEMA" for code, _, _ in found)
            assert not {"KA-CONTROLLER-PUBLIC", "KA-CONTROLLER-PRIVATE"} & {c for c, _, _ in found}


def test_the_controller_rules_read_an_organiser_without_oid_as_none_in_both_forms() -> None:
    # An organiser block without its OID: no organiser for the rule (and a schema error),
    # so the producer must be the controller, in both forms.
    document = _document(lambda m: "organiser" in m)
    del document["metadata"]["organiser"]["oid"]
    found = _same_findings(document)
    assert ("KA-META-SCHEMA", "error", "/metadata/organiser") in found
    assert ("KA-CONTROLLER-PRIVATE", "error", "/metadata/controller/oid") in found
    document["metadata"]["controller"]["oid"] = document["metadata"]["author"]["organisation_oid"]
    assert ("KA-CONTROLLER-PRIVATE", "error", "/metadata/controller/oid") not in _same_findings(
        document
    )


def test_a_version_of_any_size_gets_the_same_findings_in_both_forms() -> None:
    # The reader took at most 18 digits: a bigger integer became text, and a schema error.
    document = _document(lambda m: m["version"] > 1)
    for version in (10**18, 2**64, 10**40):
        document["metadata"]["version"] = version
        found = _same_findings(document)
        assert not any(pointer == "/metadata/version" for _, _, pointer in found)


@pytest.mark.parametrize("version", ["١", "\u00a01", "1\u2028"])
def test_a_version_in_other_digits_or_white_space_gets_the_same_findings_in_both_forms(
    version: str,
) -> None:
    # Python's int() reads them, XML Schema's integer does not: a string in both forms.
    document = _document(lambda m: m["version"] == 1 and "previous_version_oid" not in m)
    document["metadata"]["version"] = version
    found = _same_findings(document)
    assert ("KA-META-SCHEMA", "error", "/metadata/version") in found


@pytest.mark.parametrize("flag", ["\u00a0true", "false\u2028"])
def test_patient_data_in_other_white_space_gets_the_same_findings_in_both_forms(flag: str) -> None:
    document = _document(lambda m: True)
    document["metadata"]["patient_data"] = flag
    assert ("KA-META-SCHEMA", "error", "/metadata/patient_data") in _same_findings(document)


@pytest.mark.parametrize("version", [0, -1, "+2", "٢", "\u00a02"])
def test_the_version_chain_skips_a_version_the_rule_cannot_read_in_both_forms(
    version: int | str,
) -> None:
    # The XSD assertion took '+2', '٢' and ' 2' as version 2, and checked version 0 too.
    document = _document(lambda m: m["version"] == 1 and "previous_version_oid" not in m)
    document["metadata"]["version"] = version
    found = _same_findings(document)
    assert ("KA-META-SCHEMA", "error", "/metadata/version") in found
    assert ("KA-VERSION-CHAIN", "error", "/metadata/previous_version_oid") not in found


@pytest.mark.parametrize(
    "created",
    [
        " 2024-01-01T10:00:00Z",
        "2024-01-01T10:00:00Z\n",
        "2024-01-01T10:00:00",
        "2024-01-01T24:00:00Z",
        "0000-01-01T10:00:00Z",
    ],
)
def test_the_time_order_skips_a_creation_time_the_rule_cannot_read_in_both_forms(
    created: str,
) -> None:
    # The XSD assertion compared every pair castable as xs:dateTime; the rule does not.
    document = _document(lambda m: True)
    document["metadata"]["created"] = created
    document["metadata"]["effective_time"] = "2024-06-01T10:00:00Z"
    found = _same_findings(document)
    assert ("KA-TIME-ORDER", "error", "/metadata/effective_time") not in found


def test_the_time_order_compares_readable_times_in_both_forms() -> None:
    document = _document(lambda m: True)
    document["metadata"]["created"] = "2024-06-01T10:00:00.000001+03:00"
    for effective, late in (
        ("2024-06-01T07:00:00.000002Z", True),
        ("2024-06-01T07:00Z", False),
        ("2024-06-01T07:01+00:00", True),
    ):
        document["metadata"]["effective_time"] = effective
        found = _same_findings(document)
        assert (("KA-TIME-ORDER", "error", "/metadata/effective_time") in found) is late
