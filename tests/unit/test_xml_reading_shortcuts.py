"""The XML readers' shortcuts give what the long way gives.

Reading skips work the bytes show is not needed (a walk for entity references when there
is no '&', for comments and processing instructions when there is no '<!--' or '<?', over
the whole body for the content part when its marker occurs once) and names the
first elements of a finding from lxml's ``getelementpath``. Each shortcut is held here to
the long way on every XHTML and CDA sample and on the spellings that defeat it; and the
reader's map from the model's pointers to elements to the model itself.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from kanta_archive.formats.cda_reader import _PREFIXES as CDA_PREFIXES
from kanta_archive.formats.pointer import escape
from kanta_archive.formats.xhtml_reader import (
    _URI_PREFIXES as XHTML_PREFIXES,
)
from kanta_archive.formats.xhtml_reader import (
    XPathNamer,
    may_hold_comments_or_pis,
    read_xhtml,
)

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
XML_SAMPLES = sorted(
    [
        *SAMPLES.glob("valid/*.xhtml"),
        *SAMPLES.glob("invalid/*.xhtml"),
        *SAMPLES.glob("cda/valid/*.xml"),
        *SAMPLES.glob("cda/invalid/*.xml"),
    ]
)


def _tree(path: Path) -> etree._Element | None:
    try:
        return etree.fromstring(path.read_bytes(), etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError:
        return None


@pytest.mark.parametrize("path", XML_SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_direct_element_names_equal_the_numbered_ones_on_every_element(path: Path) -> None:
    root = _tree(path)
    if root is None:
        pytest.skip("not well-formed: no tree to name")
    prefixes = XHTML_PREFIXES if path.suffix == ".xhtml" else CDA_PREFIXES
    namer = XPathNamer(prefixes)
    for el in root.iter(etree.Element):
        assert namer.direct(el) == namer.numbered(el)


def test_direct_names_count_same_name_siblings_only_among_elements() -> None:
    root = etree.fromstring(
        b"<a xmlns='urn:hl7-org:v3' xmlns:o='urn:other'><!-- c --><b/><?pi x?><b/>"
        b"<o:b/><plain xmlns=''/><b><c/><c/></b></a>"
    )
    namer = XPathNamer(CDA_PREFIXES)
    names = [namer.direct(el) for el in root.iter(etree.Element)]
    assert names == [namer.numbered(el) for el in root.iter(etree.Element)]
    assert "/hl7:a/hl7:b[3]/hl7:c[2]" in names
    assert "/hl7:a/b" in names  # a namespace without a prefix: the local name alone


def test_a_namer_names_many_elements_alike_past_its_direct_ones() -> None:
    root = etree.fromstring(b"<a>" + b"<b/>" * 40 + b"</a>")
    namer = XPathNamer({})
    assert [namer(el) for el in root] == [f"/a/b[{i}]" for i in range(1, 41)]


@pytest.mark.parametrize(
    "data",
    [
        b"<a><!-- c --></a>",
        b"<a><?pi x?></a>",
        b"<?xml version='1.0'?><a><?pi x?></a>",
        b"<?xml-stylesheet href='s.css'?><a/>",
        b"\xef\xbb\xbf<?xml version='1.0'?><?pi?><a/>",
        b" <?xml version='1.0'?><a/>",
        b"<?xml version='1.0'?><a>why?</a><?pi?>",
        b"<?xml version='1.0'",
    ],
)
def test_bytes_that_can_hold_a_comment_or_pi_are_said_to(data: bytes) -> None:
    assert may_hold_comments_or_pis(data)


@pytest.mark.parametrize(
    "data",
    [
        b"<a/>",
        b"<?xml version='1.0'?><a/>",
        b"\xef\xbb\xbf<?xml version='1.0'?>\n<a>x</a>",
        b"<?xml version='1.0'?><a>why? <b>!</b></a>",
    ],
)
def test_bytes_without_comment_or_pi_markup_are_said_not_to_hold_any(data: bytes) -> None:
    assert not may_hold_comments_or_pis(data)


def _xhtml(body: str) -> bytes:
    sample = (SAMPLES / "valid" / "client-plan.xhtml").read_bytes()
    head, _, rest = sample.partition(b"<body>")
    _, _, tail = rest.partition(b"</body>")
    return head + b"<body>" + body.encode() + b"</body>" + tail


def test_a_second_content_part_deeper_in_the_body_is_still_refused() -> None:
    data = _xhtml(
        '<main data-ka="object" data-ka-part="content"></main>'
        '<div><div data-ka="object" data-ka-part="content"></div></div>'
    )
    outcome = read_xhtml(data, "x.xhtml")
    assert [f.code for f in outcome.findings] == ["KA-DOCUMENT-SHAPE"]
    assert "exactly one element with data-ka-part='content'" in outcome.findings[0].message


def test_a_content_part_only_deeper_in_the_body_is_found() -> None:
    data = _xhtml(
        '<main data-ka-part="other"></main>'
        '<div><div data-ka="object" data-ka-part="content"></div></div>'
    )
    outcome = read_xhtml(data, "x.xhtml")
    assert outcome.document is not None
    assert outcome.document.content == {}


def test_a_content_part_named_once_in_a_comment_and_once_on_the_element_is_found() -> None:
    data = _xhtml('<!-- data-ka-part --><main data-ka="object" data-ka-part="content"></main>')
    outcome = read_xhtml(data, "x.xhtml")
    assert outcome.document is not None


def _pointers(value: object, pointer: str) -> Iterator[str]:
    yield pointer
    if isinstance(value, dict):
        for key, member in value.items():
            yield from _pointers(member, f"{pointer}/{escape(key)}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _pointers(item, f"{pointer}/{i}")


XHTML_SAMPLES = [p for p in XML_SAMPLES if p.suffix == ".xhtml"]


@pytest.mark.parametrize("path", XHTML_SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_pointer_of_the_model_and_no_other_names_an_element(path: Path) -> None:
    document = read_xhtml(path.read_bytes(), path.name).document
    if document is None or document.xml is None:
        pytest.skip("refused by the reader")
    elements = document.xml.elements
    wanted = {
        *_pointers(document.metadata_raw, "/metadata"),
        *_pointers(document.content, "/content"),
    }
    assert set(elements) == wanted


@pytest.mark.parametrize(
    "pointer", ["", "/", "/metadata/", "/metadata/nosuch", "/content/0/x", "/other", "metadata"]
)
def test_a_pointer_the_model_does_not_have_names_no_element(pointer: str) -> None:
    data = (SAMPLES / "valid" / "client-plan.xhtml").read_bytes()
    document = read_xhtml(data, "x.xhtml").document
    assert document is not None and document.xml is not None
    assert document.xml.elements.get(pointer) is None


def test_a_content_value_is_located_at_its_own_element() -> None:
    data = (SAMPLES / "valid" / "client-plan.xhtml").read_bytes()
    document = read_xhtml(data, "x.xhtml").document
    assert document is not None and document.xml is not None
    for pointer in _pointers(document.content, "/content"):
        el = document.xml.elements[pointer]
        key = pointer.rsplit("/", 1)[1]
        if el.getparent() is not None and el.get("data-ka-key") is not None:
            assert escape(el.get("data-ka-key")) == key


def test_members_under_deep_display_markup_are_read_without_walking_up_it_for_each() -> None:
    # 50,000 strings at the bottom of 240 nested <div>s (libxml2 allows 256 levels):
    # walking up the chain for each would be 12 million steps; remembering the way up
    # makes it one walk.
    members = "".join(f'<span data-ka="string" data-ka-key="k{i}">v</span>' for i in range(50_000))
    chain = "<div>" * 240 + members + "</div>" * 240
    data = _xhtml(f'<main data-ka="object" data-ka-part="content">{chain}</main>')
    started = time.process_time()
    outcome = read_xhtml(data, "x.xhtml")
    took = time.process_time() - started
    assert outcome.document is not None
    assert len(outcome.document.content) == 50_000
    assert took < 1.5, f"{took:.1f} s: the walk up is repeated per member"
