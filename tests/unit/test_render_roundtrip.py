"""JSON -> XHTML -> JSON keeps a document: property tests with hypothesis."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kanta_archive.formats.read import read_bytes
from kanta_archive.formats.xhtml_reader import read_xhtml
from kanta_archive.formats.xhtml_writer import render_xhtml
from kanta_archive.generate import document_bytes, generate_documents, sign_xhtml_bytes
from kanta_archive.model import Document
from kanta_archive.render import render
from kanta_archive.schemas import SchemaRegistry, StructureSchema
from kanta_archive.validate import Validator

REGISTRY = SchemaRegistry()
STRUCTURES = REGISTRY.structures()
VALIDATOR = Validator(REGISTRY)
METADATA = {"language": "fi", "title": "roundtrip", "storage_format": "json"}


def _read(data: bytes, source: str) -> Document:
    outcome = read_bytes(data, source)
    assert outcome.document is not None, outcome.findings
    return outcome.document


def _keys(data: bytes, source: str) -> set[tuple[str, str, str]]:
    return {f.key() for f in VALIDATOR.validate_bytes(data, source).findings}


def _without_format(metadata: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in metadata.items() if k != "storage_format"}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**32), structure=st.sampled_from(STRUCTURES))
def test_generated_documents_round_trip(seed: int, structure: StructureSchema) -> None:
    _stem, doc = next(generate_documents(structure, 1, seed, REGISTRY))
    json_bytes = document_bytes(doc, "json", structure)
    original = _read(json_bytes, "doc.json")

    xhtml_bytes = render(original, "xhtml", REGISTRY)
    xhtml_doc = _read(xhtml_bytes, "doc.xhtml")
    back = json.loads(render(xhtml_doc, "json", REGISTRY))

    assert back["metadata"]["storage_format"] == "json"
    assert xhtml_doc.metadata_raw["storage_format"] == "xhtml"
    assert _without_format(back["metadata"]) == _without_format(doc["metadata"])
    assert _without_format(dict(xhtml_doc.metadata_raw)) == _without_format(doc["metadata"])
    assert back["content"] == doc["content"]
    assert xhtml_doc.content == doc["content"]

    if "signature" in doc:  # render drops the JWS; an XHTML form is signed anew
        xhtml_bytes = sign_xhtml_bytes(xhtml_bytes, doc["metadata"]["signature"]["signed_at"])
    assert _keys(xhtml_bytes, "doc.xhtml") == _keys(json_bytes, "doc.json")


# -- arbitrary content trees -----------------------------------------------------------------

# Every character XML 1.0 can carry (no other C0 controls, no surrogates, no U+FFFE/U+FFFF).
_XML_CHARS = st.characters(
    blacklist_categories=("Cs",),
    blacklist_characters=[chr(c) for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)]
    + ["\ufffe", "\uffff"],
)
_TEXT = st.text(_XML_CHARS, max_size=20) | st.sampled_from(
    [" leading", "trailing ", "  both  ", "line\nbreak", "\n", "\r\n", " ", "", "ä ö å € 😀"]
)
_SCALARS = (
    _TEXT
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.booleans()
    | st.none()
)
_TREES = st.recursive(
    _SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(_XML_CHARS, max_size=8), children, max_size=4)
    ),
    max_leaves=25,
)
_CONTENT = st.dictionaries(st.text(_XML_CHARS, max_size=8), _TREES, max_size=3)


def _round_trip(content: dict[str, Any]) -> Any:
    outcome = read_xhtml(render_xhtml(METADATA, content), "tree.xhtml")
    assert outcome.document is not None, outcome.findings
    return outcome.document.content


def _same(a: Any, b: Any) -> bool:
    """Equal, and of the same JSON types all the way down (True is not 1, 1.0 is not 1).

    Member order is not compared here (JSON objects are unordered); a separate test
    checks that the writer keeps it anyway.
    """
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return set(a) == set(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return a == b and str(a) == str(b)
    return bool(a == b)


@settings(max_examples=50, deadline=None)
@given(content=_CONTENT)
def test_arbitrary_content_round_trips_exactly(content: dict[str, Any]) -> None:
    assert _same(_round_trip(content), content)


def test_unicode_and_whitespace_examples() -> None:
    content = {"a": [" x\r\ny\r ", "\t", "", "\x85\u2028", {"": None, "k\n": [1.5e300, -0.0]}]}
    assert _same(_round_trip(content), content)


def test_coded_shape_with_non_string_members() -> None:
    content = {"a": {"system": "s", "code": 1, "display": None}}
    assert _same(_round_trip(content), content)


@pytest.mark.parametrize(
    "content",
    [
        {"a": {"nested": [], "scalar": "x"}},
        {"a": {"system": "urn:oid:1.2.3", "code": "1", "display": "x"}},
    ],
)
def test_member_order_is_kept(content: dict[str, Any]) -> None:
    back = _round_trip(content)
    assert json.dumps(back) == json.dumps(content)


def _content_with(kind: str, text: str) -> bytes:
    """An XHTML document whose content is one scalar ``{"a": <text as kind>}``."""
    page = render_xhtml(METADATA, {"a": "PLACEHOLDER"})
    return page.replace(b'data-ka="string"', f'data-ka="{kind}"'.encode()).replace(
        b"PLACEHOLDER", text.encode()
    )


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("number", "NaN"),
        ("number", "Infinity"),
        ("number", "-inf"),
        ("number", "1_000.5"),
        ("number", ".5"),
        ("number", "1."),
        ("number", "٣.5"),
        ("integer", "1_000"),
        ("integer", "007"),
        ("integer", "+7"),
        ("integer", "٣"),
        ("integer", "7\u00a0"),
        ("boolean", "\u00a0true"),
        # A reader of the page would see a value where the data says there is none.
        ("null", "unknown"),
        ("null", "0"),
    ],
)
def test_a_content_value_json_cannot_hold_is_refused_in_xhtml(kind: str, text: str) -> None:
    # int() and float() read these; JSON has no such number, so the forms could not agree.
    outcome = read_xhtml(_content_with(kind, text), "one.xhtml")
    assert outcome.document is None
    assert [f.code for f in outcome.findings] == ["KA-DOCUMENT-SHAPE"]


@pytest.mark.parametrize(
    ("kind", "text", "value"),
    [
        ("number", "1e+16", 1e16),
        ("number", "-0.0", -0.0),
        ("number", "2.5E-3", 0.0025),
        ("number", "12", 12),
        ("integer", "-0", 0),
        ("integer", " 12\n", 12),
        ("boolean", "\ttrue ", True),
        ("null", "", None),
        ("null", " \n", None),
    ],
)
def test_a_content_value_in_json_grammar_is_read_in_xhtml(kind: str, text: str, value: Any) -> None:
    outcome = read_xhtml(_content_with(kind, text), "one.xhtml")
    assert outcome.document is not None, outcome.findings
    assert _same(outcome.document.content["a"], value)


# -- labels from the real Sosmeta shapes -------------------------------------------------------


def _labels(data: bytes) -> list[str]:
    from lxml import etree

    root = etree.fromstring(data)
    ns = {"h": "http://www.w3.org/1999/xhtml"}
    return [
        str(e.text) for e in root.xpath("//h:body//h:h2 | //h:body//h:h3 | //h:dt", namespaces=ns)
    ]


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_labels_are_the_fields_sosmeta_names_arrays_by_their_items(lang: str) -> None:
    # 1505.1: palvelunjarjestajan_palveluyksikko is an array whose name sits on its items.
    structure = REGISTRY.find("1.2.246.537.6.1505.1")[-1]
    content = {
        "asiakkuusasiakirja": {
            "palvelunjarjestajan_palveluyksikko": [{}],
            "asiakas": {"sukunimi": "Malli", "etunimet": "Maija"},
        }
    }
    labels = _labels(render_xhtml({**METADATA, "language": lang}, content, structure.schema))
    expected = {
        "fi": ["Asiakkuusasiakirja", "Palvelunjärjestäjän palveluyksikkö", "Asiakas",
               "Sukunimi", "Etunimet"],
        "sv": ["Klientrelationshandling", "Tjänsteanordnarens serviceenhet", "Klient",
               "Efternamn", "Samtliga förnamn"],
    }[lang]  # fmt: skip
    assert labels == expected


def test_a_field_without_a_sosmeta_name_is_labelled_by_its_key() -> None:
    labels = _labels(render_xhtml(METADATA, {"oma_rakenne": {"kentta": "x"}}))
    assert labels == ["oma_rakenne", "kentta"]
