"""The fast XSD path (lxml XSD 1.0, XPath 1.0 assertions, open content pruned) gives the
same findings as xmlschema's XSD 1.1, the reference, for the XHTML head and for the CDA:
on every sample and on generated documents with random defects (the mutations of
test_parity_mutations.py, and for the CDA also defects in the XML itself). The two forms
of each assertion, XPath 2.0 and XPath 1.0, hold alike wherever the fast path uses the
XPath 1.0 one."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from elementpath import XPathContext
from hypothesis import assume, given
from hypothesis import strategies as st
from lxml import etree
from test_parity_mutations import PARITY, both_forms, draw_mutated

from kanta_archive.findings import Finding
from kanta_archive.formats.cda_common import EP2, HL7
from kanta_archive.formats.cda_schema import cda_fast_xsd, cda_xsd_findings
from kanta_archive.formats.cda_writer import render_cda
from kanta_archive.formats.fast_xsd import FastXsd, fast_xsd
from kanta_archive.formats.open_content import pruned, pruned_in_place
from kanta_archive.formats.read import read_bytes
from kanta_archive.formats.xhtml_common import KA
from kanta_archive.paths import bundled_schemas_dir
from kanta_archive.schemas import StructureSchema
from kanta_archive.validate import Validator, signature_required

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
XHTML_SAMPLES = sorted(SAMPLES.glob("*/*.xhtml"))
CDA_SAMPLES = sorted((SAMPLES / "cda").glob("*/*.xml"))
FAST = Validator()
SLOW = Validator(slow_xsd=True)
HEAD_XSD = bundled_schemas_dir() / "xhtml" / "metadata.xsd"
Key = tuple[str, str, str]


def _keys(validator: Validator, data: bytes, name: str) -> set[Key]:
    return {f.key() for f in validator.validate_bytes(data, name).findings}


def _findings(validator: Validator, data: bytes, name: str) -> tuple[Finding, ...]:
    return validator.validate_bytes(data, name).findings


def _head(data: bytes) -> Any:
    document = read_bytes(data, "x.xhtml").document
    assert document is not None and document.xml is not None
    return document.xml.metadata


def _clinical_document(data: bytes) -> Any | None:
    document = read_bytes(data, "x.xml").document
    return document.xml.metadata if document is not None and document.xml is not None else None


def _assertion_forms_agree(fast: FastXsd, element: Any) -> None:
    """On an element the XSD 1.0 part finds valid, each XPath 1.0 form holds where its
    XPath 2.0 test holds (both evaluated; elementpath untyped, as the fallback runs it)."""
    if not fast.schema.validate(pruned(element, fast.plan)):
        return
    context = XPathContext(element)
    for assertion in fast.assertions:
        assert assertion.holds_fast(element) == assertion.holds_slow(context), assertion.code
    # The one expression of all the forms says "all hold" exactly when each one holds.
    assert fast.all_hold_fast(element) == all(a.holds_fast(element) for a in fast.assertions)


# -- the XHTML head ---------------------------------------------------------------------


@pytest.mark.parametrize("path", XHTML_SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_fast_and_the_slow_head_xsd_agree_on_every_sample(path: Path) -> None:
    data = path.read_bytes()
    assert _keys(FAST, data, path.name) == _keys(SLOW, data, path.name)


@PARITY
@given(data=st.data())
def test_the_fast_and_the_slow_head_xsd_agree_on_a_mutated_document(data: st.DataObject) -> None:
    structure, document, signed_at = draw_mutated(data)
    _, as_xhtml = both_forms(document["metadata"], document["content"], structure, signed_at)
    assert _keys(FAST, as_xhtml, "doc.xhtml") == _keys(SLOW, as_xhtml, "doc.xhtml")


@pytest.mark.parametrize("path", XHTML_SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_both_forms_of_each_head_assertion_agree_on_every_sample(path: Path) -> None:
    document = read_bytes(path.read_bytes(), path.name).document
    if document is not None and document.xml is not None:
        _assertion_forms_agree(fast_xsd(HEAD_XSD), document.xml.metadata)


@PARITY
@given(data=st.data())
def test_both_forms_of_each_head_assertion_agree_on_a_mutated_document(
    data: st.DataObject,
) -> None:
    structure, document, signed_at = draw_mutated(data)
    _, as_xhtml = both_forms(document["metadata"], document["content"], structure, signed_at)
    outcome = read_bytes(as_xhtml, "doc.xhtml")
    assume(outcome.document is not None)
    _assertion_forms_agree(fast_xsd(HEAD_XSD), _head(as_xhtml))


# Times around what KA-TIME-ORDER compares: with and without seconds, fractions, zones
# (also out of range), impossible dates, hour 24, year 0000, other scripts' digits.
_TIME_PARTS = st.tuples(
    st.sampled_from(["2024", "2023", "0000", "9999", "1999", "٢٠٢٤", "20245"]),
    st.sampled_from(["-01", "-02", "-12", "-13", "-00"]),
    st.sampled_from(["-01", "-28", "-29", "-30", "-31", "-00"]),
    st.sampled_from(["T00", "T10", "T23", "T24", "T25", " T10"]),
    st.sampled_from([":00", ":59", ":60"]),
    st.sampled_from([":00", ":59", ":60", ""]),
    st.sampled_from(["", ".1", ".123456", ".1234567", "."]),
    st.sampled_from(["Z", "+02:00", "-14:00", "+14:00", "+14:01", "+15:00", "+02:60", "", "z"]),
    st.sampled_from(["", " ", "\n", "x"]),
)


@PARITY
@given(effective=_TIME_PARTS.map("".join), created=_TIME_PARTS.map("".join))
def test_both_forms_of_the_time_order_assertion_agree_on_any_two_times(
    effective: str, created: str
) -> None:
    head = copy.deepcopy(_head((SAMPLES / "valid" / "client-record-entry.xhtml").read_bytes()))
    head.find(KA + "effective_time").text = effective
    head.find(KA + "created").text = created
    fast = fast_xsd(HEAD_XSD)
    (time_order,) = [a for a in fast.assertions if a.code == "KA-TIME-ORDER"]
    if fast.schema.validate(head):
        assert time_order.holds_fast(head) == time_order.holds_slow(XPathContext(head))


def test_the_fast_xsd_keeps_every_assertion_of_the_schema() -> None:
    fast = FastXsd(HEAD_XSD)
    codes = sorted(a.code for a in fast.assertions)
    assert codes == sorted(
        [
            "KA-VERSION-CHAIN",
            "KA-TIME-ORDER",
            "KA-CLIENTS-COMMON-MATTER",
            "KA-INVALIDATION",
            "KA-CONTROLLER-PUBLIC",
            "KA-CONTROLLER-PRIVATE",
        ]
    )


@pytest.mark.parametrize("fast", [fast_xsd(HEAD_XSD), cda_fast_xsd()], ids=["xhtml", "cda"])
def test_every_assertion_has_an_xpath_1_form(fast: FastXsd) -> None:
    assert all(a.fast is not None for a in fast.assertions)


def test_a_failed_assertion_is_a_finding_of_the_fast_path() -> None:
    data = (SAMPLES / "invalid" / "version-2-without-previous.xhtml").read_bytes()
    document = read_bytes(data, "x.xhtml").document
    assert document is not None and document.xml is not None
    fast = FastXsd(HEAD_XSD)
    found = {f.key() for f in fast.findings(document.xml.metadata, document.xml.elements)}
    assert found == {("KA-VERSION-CHAIN", "error", "/metadata/previous_version_oid")}


# -- the CDA ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", CDA_SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_fast_and_the_slow_cda_xsd_agree_on_every_sample(path: Path) -> None:
    data = path.read_bytes()
    assert _findings(FAST, data, path.name) == _findings(SLOW, data, path.name)


@pytest.mark.parametrize("path", CDA_SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_both_forms_of_each_cda_assertion_agree_on_every_sample(path: Path) -> None:
    element = _clinical_document(path.read_bytes())
    if element is not None:
        _assertion_forms_agree(cda_fast_xsd(), element)


def test_every_valid_cda_sample_is_decided_by_the_fast_path() -> None:
    decided = [
        _clinical_document(p.read_bytes())
        for p in sorted((SAMPLES / "cda" / "valid").glob("*.xml"))
    ]
    assert all(cda_fast_xsd().valid_findings(el) == [] for el in decided)


@cache
def _signing_material() -> Any:
    from kanta_archive.signatures.testpki import make_ca, make_signer
    from kanta_archive.signatures.verify import load_signing_material

    signer = make_signer(make_ca(), "Testi Allekirjoittaja")
    return load_signing_material(signer.key_pem, signer.cert_pem)


def _as_cda(
    metadata: dict[str, Any], content: dict[str, Any], structure: StructureSchema, signed: bool
) -> bytes | None:
    """The CDA form of a (mutated) model, signed when its structure needs it; ``None`` when
    the writer cannot write it."""
    from kanta_archive.signatures.cda_sign import sign_cda

    # The CDA has no storage_format (the reader says cda) and is signed anew.
    metadata = {k: v for k, v in metadata.items() if k not in ("signature", "storage_format")}
    try:
        data = render_cda(metadata, content, structure.schema)
    except Exception:
        return None
    if not signed:
        return data
    document = read_bytes(data, "doc.xml").document
    if document is None:
        return data
    try:
        return sign_cda(document, _signing_material(), datetime(2024, 6, 2, 10, tzinfo=UTC))
    except Exception:
        return data


_NAMES = st.sampled_from(
    [
        f"{HL7}foo",
        f"{HL7}id",
        f"{HL7}code",
        f"{HL7}title",
        f"{HL7}relatedDocument",
        f"{HL7}author",
        f"{EP2}foo",
        f"{EP2}localSocialHeader",
        f"{EP2}contentSpecificationId",
        f"{EP2}signature",
        "{urn:x}foo",
        "foo",
    ]
)
_VALUES = st.sampled_from(
    ["", " ", "1", " 1", "2", "02", "0", "+2", "1.2.3", "1.2.246.10.1", "OID1.2.3", "RPLC", "x y"]
)
_ATTRIBUTES = st.sampled_from(["root", "value", "code", "ID", "typeCode", "extension", "foo"])


def _xml_defect(data: st.DataObject, root: Any) -> None:
    """One defect in the XML: an element added (foreign or of a declared name), copied,
    moved, removed or emptied, an attribute set or removed, text between elements, or a
    comment."""
    elements = [
        el
        for el in root.iter()
        if isinstance(el.tag, str)
        and el.getparent() is not None
        and el.tag != f"{HL7}text"
        and el.tag != f"{EP2}json"
    ]
    target = data.draw(st.sampled_from(elements), label="element")
    parent = target.getparent()
    operation = data.draw(
        st.sampled_from(
            [
                "add",
                "add",
                "copy",
                "move",
                "remove",
                "empty",
                "attribute",
                "unset",
                "text",
                "comment",
            ]
        ),
        label="xml operation",
    )
    if operation == "add":
        new = etree.Element(data.draw(_NAMES, label="name"))
        if data.draw(st.booleans(), label="with text"):
            new.text = data.draw(_VALUES, label="text")
        target.insert(data.draw(st.integers(0, len(target)), label="position"), new)
    elif operation == "copy":
        target.addnext(copy.deepcopy(target))
    elif operation == "move":
        parent.remove(target)
        parent.insert(data.draw(st.integers(0, len(parent)), label="position"), target)
    elif operation == "remove":
        parent.remove(target)
    elif operation == "empty":
        for child in list(target):
            target.remove(child)
    elif operation == "attribute":
        target.set(data.draw(_ATTRIBUTES, label="attribute"), data.draw(_VALUES, label="value"))
    elif operation == "unset":
        names = list(target.attrib)
        assume(names)
        del target.attrib[data.draw(st.sampled_from(names), label="attribute")]
    elif operation == "text":
        target.tail = (target.tail or "") + data.draw(_VALUES, label="text")
    else:
        target.addnext(etree.Comment(" a comment "))


@PARITY
@given(data=st.data())
def test_the_fast_and_the_slow_cda_xsd_agree_on_a_mutated_document(data: st.DataObject) -> None:
    structure, document, signed_at = draw_mutated(data)
    assume("common_matter_oid" not in document["metadata"])  # CDA cannot carry it
    signed = signed_at is not None or signature_required(structure)
    cda = _as_cda(document["metadata"], document["content"], structure, signed)
    assume(cda is not None)
    assert cda is not None
    if data.draw(st.booleans(), label="xml defect"):
        root = etree.fromstring(cda)
        for _ in range(data.draw(st.integers(1, 2), label="xml defects")):
            _xml_defect(data, root)
        cda = etree.tostring(root.getroottree(), encoding="UTF-8", xml_declaration=True)
    assert _findings(FAST, cda, "doc.xml") == _findings(SLOW, cda, "doc.xml")
    element = _clinical_document(cda)
    if element is not None:
        _assertion_forms_agree(cda_fast_xsd(), element)


def _valid_cda_root() -> Any:
    return etree.fromstring((SAMPLES / "cda" / "valid" / "client-record-entry-v2.xml").read_bytes())


def test_an_unknown_cda_element_is_pruned_before_lxml_validates() -> None:
    root = _valid_cda_root()
    root.find(f"{HL7}title").addnext(etree.Element(f"{HL7}unknownElement"))
    fast = cda_fast_xsd()
    assert pruned(root, fast.plan).find(f"{HL7}unknownElement") is None
    assert root.find(f"{HL7}unknownElement") is not None  # the document itself is untouched
    assert fast.valid_findings(root) == []


def _with_open_content_and_tails() -> Any:
    root = _valid_cda_root()
    title = root.find(f"{HL7}title")
    unknown = etree.Element(f"{HL7}unknownElement")
    unknown.text, unknown.tail = "inside", "\n  after "
    title.addnext(unknown)
    first = etree.Element(f"{HL7}firstUnknown")
    first.tail = " tail of the first "
    root.insert(0, first)
    return root


@pytest.mark.parametrize("path", CDA_SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_validating_a_cda_sample_leaves_its_tree_as_it_was(path: Path) -> None:
    document = read_bytes(path.read_bytes(), path.name).document
    if document is None or document.xml is None:
        pytest.skip("refused by the reader: no tree")
    before = etree.tostring(document.xml.root)
    cda_xsd_findings(document)
    assert etree.tostring(document.xml.root) == before


def test_validating_a_cda_whose_open_content_redeclares_a_namespace_leaves_it_declared() -> None:
    # lxml drops a declaration that an element put back repeats from its ancestors: such
    # a document is pruned as a copy.
    data = (SAMPLES / "cda" / "valid" / "client-record-entry-v2.xml").read_bytes()
    title_end = data.index(b"</title>") + len(b"</title>")
    data = data[:title_end] + b'<unknownElement xmlns="urn:hl7-org:v3"/>' + data[title_end:]
    document = read_bytes(data, "x.xml").document
    assert document is not None and document.xml is not None
    before = etree.tostring(document.xml.root)
    assert cda_xsd_findings(document) == []
    assert etree.tostring(document.xml.root) == before


def test_pruning_in_place_puts_every_part_and_tail_back_after_the_block() -> None:
    root = _with_open_content_and_tails()
    before = etree.tostring(root)
    with pruned_in_place(root, cda_fast_xsd().plan) as view:
        assert view.find(f"{HL7}unknownElement") is None
        assert view.find(f"{HL7}firstUnknown") is None
    assert etree.tostring(root) == before


def test_pruning_in_place_puts_every_part_back_when_the_block_raises() -> None:
    root = _with_open_content_and_tails()
    before = etree.tostring(root)
    with pytest.raises(RuntimeError), pruned_in_place(root, cda_fast_xsd().plan):
        raise RuntimeError("validation failed midway")
    assert etree.tostring(root) == before


def test_the_in_place_and_the_copied_pruning_give_the_same_tree() -> None:
    root = _with_open_content_and_tails()
    copied = etree.tostring(pruned(root, cda_fast_xsd().plan))
    with pruned_in_place(root, cda_fast_xsd().plan) as view:
        assert etree.tostring(view) == copied


def test_an_element_of_another_namespace_where_only_hl7_is_open_is_left_to_the_reference() -> None:
    root = _valid_cda_root()
    root.find(f"{HL7}title").addnext(etree.Element("{urn:x}foreign"))
    assert cda_fast_xsd().valid_findings(root) is None


def test_a_second_element_of_a_declared_name_is_left_to_the_reference() -> None:
    root = _valid_cda_root()
    root.find(f"{HL7}title").addnext(etree.Element(f"{HL7}id", root="1.2.3"))
    assert cda_fast_xsd().valid_findings(root) is None


def test_text_after_a_pruned_element_still_makes_the_document_invalid() -> None:
    root = _valid_cda_root()
    related = root.find(f"{HL7}relatedDocument")
    related.tail = "junk"
    assert cda_fast_xsd().valid_findings(root) is None


def test_a_cda_with_a_comment_is_left_to_the_reference() -> None:
    root = _valid_cda_root()
    root.find(f"{HL7}title").append(etree.Comment("x"))
    assert cda_fast_xsd().valid_findings(root) is None


def _child_paths(root: Any, depth: int) -> set[str]:
    """Every ``h:a/e:b`` path of up to ``depth`` steps below ``root`` in the document, and
    each with a last step that names no element there."""
    prefix = {HL7[1:-1]: "h", EP2[1:-1]: "e"}
    paths: set[str] = set()
    level = [(root, "")]
    for _ in range(depth):
        below = []
        for el, path in level:
            for child in el.iterchildren("*"):
                q = etree.QName(child)
                if q.namespace in prefix:
                    step = f"{path}/{prefix[q.namespace]}:{q.localname}".lstrip("/")
                    paths.update((step, step + "-absent"))
                    below.append((child, step))
        level = below
    return paths


@pytest.mark.parametrize("path", CDA_SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_readers_child_walk_finds_what_element_path_finds(path: Path) -> None:
    from kanta_archive.formats.cda_reader import _NS, _Children, _find

    root = etree.fromstring(path.read_bytes(), etree.XMLParser(resolve_entities=False))
    tree = root.getroottree()
    children = _Children()  # the reader's listings, shared by all the queries as there
    for query in sorted(_child_paths(root, 4)):
        found = root.find(query, _NS)
        for walked in (_find(root, query), _find(root, query, children)):
            assert (walked is None) == (found is None), query
            assert walked is None or tree.getpath(walked) == tree.getpath(found), query


_EDGE_TIMES = [
    "2024-06-10T14:20:00+03:00",
    "2024-06-10T11:20:00Z",
    "2024-06-10T11:20:00.5Z",
    "2024-06-10T11:20:00.123456-00:00",
    "2024-02-29T23:59:59+14:00",
    "2023-02-29T10:00:00Z",
    "2024-06-10T10:00:00-14:00",
    "2024-06-10T10:00:00+14:01",
    "2024-06-10T10:00:00+13:59",
    "0001-01-01T00:00:00Z",
    "0000-01-01T00:00:00Z",
    "2024-06-10T24:00:00Z",
    "2024-06-10T10:00:60Z",
    "2024-06-10T10:00:00",
    "2024-06-10T10:00Z",
]


@pytest.mark.parametrize("text", _EDGE_TIMES)
def test_the_plain_time_shortcut_casts_as_elementpath_does(text: str) -> None:
    from kanta_archive.formats.xpath_functions import XPathFunctions

    functions = XPathFunctions()
    assert functions._castable_date_time(None, text) == (functions._cast(text) is not None)


@pytest.mark.parametrize("left", _EDGE_TIMES[:10])
def test_the_plain_time_shortcut_orders_times_as_elementpath_does(left: str) -> None:
    from kanta_archive.formats.xpath_functions import XPathFunctions

    functions = XPathFunctions()
    for right in _EDGE_TIMES[:10]:
        first, second = functions._cast(left), functions._cast(right)
        if first is None or second is None:
            continue
        assert functions._date_time_le(None, left, right) == (first <= second), (left, right)
