"""XML-equivalent spellings of the XHTML samples get exactly the findings of the samples.

Vendors write the XHTML form with their own software, so the reader must not depend on how
our writer happens to spell a document: namespace prefixes and where they are declared,
comments and processing instructions, CDATA and character references, attribute order and
quotes, empty-element syntax, the XML declaration, the HTML5 doctype, a byte order mark,
whitespace between elements and line endings. Each variant is built from a sample by a tree
or text transformation; its finding keys (code, severity, pointer) must equal the sample's.

Validating a document costs ~10 ms (the head XSD), so each rule is tested on a few
representative samples, and every sample gets one variant with all the spellings at once.

A signature covers the canonical form of the document (docs/signatures.md): prefixes,
namespace declarations, whitespace and processing instructions are in it, so a variant that
changes them is another signed document. Such a variant of a sample whose signature
verifies is signed again with the sample's TEST-ONLY key, as a vendor signs what it writes;
without that, the signature must be reported broken.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from kanta_archive.formats.xhtml_common import (
    KA,
    KA_NS,
    XHTML,
    XHTML_NS,
    metadata_schema_node,
    schema_type,
)
from kanta_archive.signatures.verify import load_signing_material, parse_time
from kanta_archive.signatures.xml_dsig import sign_xhtml
from kanta_archive.validate import Validator

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
KEYS = SAMPLES / "keys"
ALL_XHTML = sorted([*SAMPLES.glob("valid/*.xhtml"), *SAMPLES.glob("invalid/*.xhtml")])

Transform = Callable[[bytes], bytes]
Keys = list[tuple[str, str, str]]


def _refused_by_the_reader(path: Path) -> bool:
    expected = path.with_name(path.name + ".expected")
    if not expected.is_file():
        return False
    findings = json.loads(expected.read_text(encoding="utf-8"))["findings"]
    return any(f["code"] in ("KA-XML-SYNTAX", "KA-XML-FORBIDDEN") for f in findings)


# Tree transformations need a parsed sample; byte-level ones apply to the refused ones too.
PARSED = [p for p in ALL_XHTML if not _refused_by_the_reader(p)]
REFUSED = [p for p in ALL_XHTML if _refused_by_the_reader(p)]
REPRESENTATIVE = [
    SAMPLES / name
    for name in (
        "valid/client-record-entry-common-matter.xhtml",  # unsigned, two clients (an array)
        "valid/disclosure-consent.xhtml",  # signed: variants of the canonical form are re-signed
        "invalid/effective-after-created.xhtml",  # an XSD 1.1 assertion
        "invalid/xhtml-version-not-integer.xhtml",  # an XSD simple-type error
        "invalid/xhtml-unknown-metadata-element.xhtml",  # an element the schema does not know
        "invalid/content-extra-property.xhtml",  # the content schema, on a signed document
        "invalid/signature-content-changed-after-signing.xhtml",  # a broken signature
    )
]
IDS: dict[str, Any] = {"ids": lambda p: f"{p.parent.name}/{p.name}"}
# Single-sample tests edit text outside the metadata; on a signed sample that would also
# break the signature.
UNSIGNED = SAMPLES / "valid/client-record-entry-common-matter.xhtml"

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator()


@functools.cache
def _keys_of(validator: Validator, data: bytes, name: str) -> Keys:
    return sorted(f.key() for f in validator.validate_bytes(data, name).findings)


def _original_keys(validator: Validator, path: Path) -> Keys:
    return _keys_of(validator, path.read_bytes(), path.name)


# -- tree helpers -------------------------------------------------------------------------


def _parse(data: bytes) -> Any:
    return etree.fromstring(data, _PARSER)


def _serialize(root: Any) -> bytes:
    data: bytes = etree.tostring(root.getroottree(), encoding="UTF-8", xml_declaration=True)
    return data + b"\n"


def _tree(*edits: Callable[[Any], None]) -> Transform:
    def transform(data: bytes) -> bytes:
        root = _parse(data)
        for edit in edits:
            edit(root)
        return _serialize(root)

    return transform


def _metadata(root: Any) -> Any | None:
    return root.find(f"{XHTML}head/{KA}metadata")


def _content(root: Any) -> Any | None:
    body = root.find(XHTML + "body")
    if body is None:
        return None
    return next((el for el in body.iter(XHTML + "*") if el.get("data-ka-part") == "content"), None)


def _element_children(el: Any) -> list[Any]:
    return [child for child in el if isinstance(child.tag, str)]


def _is_scalar(el: Any) -> bool:
    return el.get("data-ka") not in (None, "object", "array")


def _containers(root: Any) -> Iterator[Any]:
    """Elements whose whitespace between child elements is not part of any value."""
    yield root
    yield from (
        el for el in (root.find(XHTML + "head"), root.find(XHTML + "body")) if el is not None
    )
    metadata = _metadata(root)
    if metadata is not None:
        yield from (el for el in metadata.iter(etree.Element) if _element_children(el))
    content = _content(root)
    if content is not None:
        yield from _content_containers(content)


def _content_containers(el: Any) -> Iterator[Any]:
    if _is_scalar(el) or not _element_children(el):
        return
    yield el
    for child in _element_children(el):
        yield from _content_containers(child)


def _values(root: Any) -> Iterator[Any]:
    """Elements whose text is a value: metadata leaves and content scalars."""
    metadata = _metadata(root)
    if metadata is not None:
        yield from (el for el in metadata.iter(etree.Element) if not _element_children(el))
    content = _content(root)
    if content is not None:
        yield from (el for el in content.iter(XHTML + "*") if _is_scalar(el))


# -- text helpers: lxml writes '<' and '>' escaped in text and attribute values, and the
# comments, processing instructions and CDATA sections added here hold neither, so every
# '<' starts markup and the next '>' ends it.

_MARKUP = re.compile(r"(<[^>]*>)")
_CHARACTER = re.compile(r"&[^;]+;|.", re.DOTALL)
_ATTRIBUTE = re.compile(r"""(\s[^\s=<>]+\s*=\s*)(["'])(.*?)\2""", re.DOTALL)
_XML_DECLARATION = re.compile(r"<\?xml\s")


def _text(edit_text: Callable[[str], str], edit_tag: Callable[[str], str] = str) -> Transform:
    def transform(data: bytes) -> bytes:
        parts = _MARKUP.split(data.decode("utf-8"))
        return "".join(
            edit_tag(part) if i % 2 else edit_text(part) for i, part in enumerate(parts)
        ).encode("utf-8")

    return transform


def _has_attributes(tag: str) -> bool:
    """Start tags and the XML declaration; not end tags, comments, CDATA or other PIs."""
    return not tag.startswith(("</", "<!")) and (
        not tag.startswith("<?") or bool(_XML_DECLARATION.match(tag))
    )


def _in_attribute_values(edit: Callable[[str], str]) -> Callable[[str], str]:
    def edit_tag(tag: str) -> str:
        if not _has_attributes(tag) or tag.startswith("<?"):
            return tag
        return _ATTRIBUTE.sub(
            lambda m: m.group(1) + m.group(2) + edit(m.group(3)) + m.group(2), tag
        )

    return edit_tag


def _character_references(text: str) -> str:
    """Every character but whitespace as a reference, hexadecimal and decimal by turns."""
    out: list[str] = []
    for i, match in enumerate(_CHARACTER.finditer(text)):
        char = match.group()
        if len(char) > 1 or char.isspace():
            out.append(char)
        else:
            out.append(f"&#x{ord(char):X};" if i % 2 else f"&#{ord(char)};")
    return "".join(out)


# -- signatures ---------------------------------------------------------------------------

_SIGNERS = {
    "Liisa Laine": ("TEST-ONLY-signing-key.pem", "TEST-ONLY-signing-cert.pem"),
    "Antti Niemi": (
        "TEST-ONLY-signing-key-antti-niemi.pem",
        "TEST-ONLY-signing-cert-antti-niemi.pem",
    ),
}


@functools.cache
def _material(signer: str) -> Any:
    key, cert = _SIGNERS[signer]
    return load_signing_material((KEYS / key).read_bytes(), (KEYS / cert).read_bytes())


def _signed_again(data: bytes) -> bytes:
    """``data`` signed as its author signed the sample: same key, signing time and metadata."""
    root = _parse(data)
    block = root.find(f"{XHTML}head/{KA}metadata/{KA}signature")
    signer, signed_at = (
        "".join(block.find(KA + name).itertext()) for name in ("signer", "signed_at")
    )
    now = parse_time(signed_at)
    assert now is not None
    return sign_xhtml(root, _material(signer), now, write_metadata=False, token_seed=1)


def _signature_verifies(validator: Validator, path: Path) -> bool:
    signed = b"<ds:Signature" in path.read_bytes()
    keys = _original_keys(validator, path)
    return signed and not any(code.startswith("KA-SIGNATURE-") for code, _, _ in keys)


def _assert_same_findings(
    validator: Validator,
    path: Path,
    transform: Transform,
    *,
    signed_form: bool = False,
    after_signing: Transform | None = None,
) -> None:
    """``signed_form``: the variant changes the canonical form that a signature covers;
    ``after_signing`` changes only what canonicalisation removes."""
    original = path.read_bytes()
    variant = transform(original)
    if signed_form and _signature_verifies(validator, path):
        variant = _signed_again(variant)
    if after_signing is not None:
        variant = after_signing(variant)
    assert variant != original, "the transformation changed nothing"
    assert _keys_of(validator, variant, path.name) == _original_keys(validator, path)


def test_parsing_and_writing_a_sample_again_keeps_its_bytes() -> None:
    """The tree transformations change only what they mean to change."""
    for path in PARSED:
        assert _serialize(_parse(path.read_bytes())) == path.read_bytes(), path.name


# -- namespaces ---------------------------------------------------------------------------

_KA_DECLARATION = f' xmlns:ka="{KA_NS}"'
_KA_TAG = re.compile(r"(</?)ka:")


def _metadata_prefix_renamed(data: bytes) -> bytes:
    text = _KA_TAG.sub(r"\1kanta-meta:", data.decode("utf-8"))
    return text.replace("xmlns:ka=", "xmlns:kanta-meta=").encode("utf-8")


def _metadata_namespace_as_default(data: bytes) -> bytes:
    text = data.decode("utf-8").replace(_KA_DECLARATION, "", 1)
    start, end = text.index("<ka:metadata"), text.index("</ka:metadata>") + len("</ka:metadata>")
    block = _KA_TAG.sub(r"\1", text[start:end]).replace("<metadata", f'<metadata xmlns="{KA_NS}"')
    return (text[:start] + block + text[end:]).encode("utf-8")


def _metadata_namespace_on_metadata(data: bytes) -> bytes:
    text = data.decode("utf-8").replace(_KA_DECLARATION, "", 1)
    return text.replace("<ka:metadata", "<ka:metadata" + _KA_DECLARATION, 1).encode("utf-8")


def _namespaces_redeclared(data: bytes) -> bytes:
    text = re.sub(r"<ka:([\w.-]+)", rf"<ka:\1{_KA_DECLARATION}", data.decode("utf-8"))
    text = re.sub(r"<(head|body|main|section|span)\b", rf'<\1 xmlns="{XHTML_NS}"', text)
    return text.encode("utf-8")


def _xhtml_prefixed(data: bytes) -> bytes:
    text = re.sub(r"<(/?)([A-Za-z][\w.-]*)(?=[\s/>])", r"<\1h:\2", data.decode("utf-8"))
    return text.replace(f'xmlns="{XHTML_NS}"', f'xmlns:h="{XHTML_NS}"', 1).encode("utf-8")


WITH_METADATA = [p for p in REPRESENTATIVE if b"<ka:metadata" in p.read_bytes()]


@pytest.mark.parametrize("path", REPRESENTATIVE, **IDS)
def test_metadata_namespace_prefix_does_not_change_findings(
    validator: Validator, path: Path
) -> None:
    _assert_same_findings(validator, path, _metadata_prefix_renamed, signed_form=True)


@pytest.mark.parametrize("path", WITH_METADATA, **IDS)
def test_metadata_namespace_as_default_namespace_does_not_change_findings(
    validator: Validator, path: Path
) -> None:
    _assert_same_findings(validator, path, _metadata_namespace_as_default, signed_form=True)


@pytest.mark.parametrize("path", WITH_METADATA, **IDS)
def test_metadata_namespace_declared_on_metadata_element_does_not_change_findings(
    validator: Validator, path: Path
) -> None:
    _assert_same_findings(validator, path, _metadata_namespace_on_metadata, signed_form=True)


@pytest.mark.parametrize("path", REPRESENTATIVE, **IDS)
def test_redundant_namespace_redeclarations_do_not_change_findings(
    validator: Validator, path: Path
) -> None:
    _assert_same_findings(validator, path, _namespaces_redeclared)


@pytest.mark.parametrize("path", REPRESENTATIVE, **IDS)
def test_xhtml_namespace_with_a_prefix_does_not_change_findings(
    validator: Validator, path: Path
) -> None:
    _assert_same_findings(validator, path, _xhtml_prefixed, signed_form=True)


# -- comments and processing instructions --------------------------------------------------


def _between_elements(make: Callable[[], Any]) -> Callable[[Any], None]:
    def edit(root: Any) -> None:
        root.addprevious(make())
        root.addnext(make())
        for container in list(_containers(root)):
            for child in _element_children(container):
                child.addprevious(make())
            container.append(make())

    return edit


def _inside_values(make: Callable[[], Any], which: slice = slice(None)) -> Callable[[Any], None]:
    def edit(root: Any) -> None:
        for value in list(_values(root))[which]:
            if len(value):
                continue
            text = value.text or ""
            node = make()
            value.text, node.tail = text[: len(text) // 2] or None, text[len(text) // 2 :] or None
            value.append(node)

    return edit


def _comment() -> Any:
    return etree.Comment(" written by the vendor's system ")


def _processing_instruction() -> Any:
    return etree.ProcessingInstruction("vendor-app", "mark='x'")


@pytest.mark.parametrize("path", REPRESENTATIVE, **IDS)
def test_comments_between_elements_do_not_change_findings(validator: Validator, path: Path) -> None:
    _assert_same_findings(validator, path, _tree(_between_elements(_comment)))


@pytest.mark.parametrize("path", REPRESENTATIVE, **IDS)
def test_comments_inside_values_do_not_change_findings(validator: Validator, path: Path) -> None:
    _assert_same_findings(validator, path, _tree(_inside_values(_comment)))


@pytest.mark.parametrize("path", REPRESENTATIVE, **IDS)
def test_processing_instructions_between_elements_do_not_change_findings(
    validator: Validator, path: Path
) -> None:
    transform = _tree(_between_elements(_processing_instruction))
    _assert_same_findings(validator, path, transform, signed_form=True)


@pytest.mark.parametrize("path", REPRESENTATIVE, **IDS)
def test_processing_instructions_inside_values_do_not_change_findings(
    validator: Validator, path: Path
) -> None:
    transform = _tree(_inside_values(_processing_instruction))
    _assert_same_findings(validator, path, transform, signed_form=True)


# -- how characters are written ------------------------------------------------------------


def _cdata(root: Any, which: slice = slice(None)) -> None:
    for value in list(_values(root))[which]:
        if value.text and not len(value):
            value.text = etree.CDATA(value.text)


_all_character_references = _text(
    _character_references, _in_attribute_values(_character_references)
)


@pytest.mark.parametrize("path", REPRESENTATIVE, **IDS)
def test_cdata_sections_do_not_change_findings(validator: Validator, path: Path) -> None:
    _assert_same_findings(validator, path, _tree(_cdata))


@pytest.mark.parametrize("path", REPRESENTATIVE, **IDS)
def test_character_references_in_text_and_attributes_do_not_change_findings(
    validator: Validator, path: Path
) -> None:
    _assert_same_findings(validator, path, _all_character_references)


# The samples' values and keys hold no '&', '<', '>' or quotes; this test appends them to
# every value and data-ka-key, and compares the spellings of that document with the one
# lxml writes ('&amp;', '&lt;', '&gt;'; quotes literal, or '&quot;' in attribute values).
_MARKUP_CHARACTERS = " R&D <tiimi> 'a' \"b\""


def _with_markup_characters(root: Any) -> None:
    for value in list(_values(root)):
        if not len(value):
            value.text = (value.text or "") + _MARKUP_CHARACTERS
    for el in root.iter(XHTML + "*"):
        key = el.get("data-ka-key")
        if key is not None:
            el.set("data-ka-key", key + _MARKUP_CHARACTERS)


def _quotes_as_entities(text: str) -> str:
    return text.replace("'", "&apos;").replace('"', "&quot;")


@pytest.mark.parametrize(
    "spelling",
    [
        _text(_quotes_as_entities, _in_attribute_values(_quotes_as_entities)),
        _text(_character_references, _in_attribute_values(_character_references)),
        _tree(_cdata),
    ],
    ids=["predefined-entities", "character-references", "cdata"],
)
@pytest.mark.parametrize("path", REPRESENTATIVE[:4], **IDS)
def test_markup_characters_in_values_get_the_same_findings_in_every_spelling(
    validator: Validator, path: Path, spelling: Transform
) -> None:
    original = _tree(_with_markup_characters)(path.read_bytes())
    variant = spelling(original)
    assert variant != original
    assert _keys_of(validator, variant, path.name) == _keys_of(validator, original, path.name)


# -- attributes and empty elements ---------------------------------------------------------


def _reverse_attributes(root: Any) -> None:
    for el in root.iter():
        if isinstance(el.tag, str) and len(el.attrib) > 1:
            items = list(el.attrib.items())
            el.attrib.clear()
            for name, value in reversed(items):
                el.set(name, value)


def _swap_quotes(tag: str) -> str:
    if not _has_attributes(tag):
        return tag

    def swap(match: re.Match[str]) -> str:
        quote = "'" if match.group(2) == '"' else '"'
        if quote in match.group(3):
            return match.group()
        return match.group(1) + quote + match.group(3) + quote

    return _ATTRIBUTE.sub(swap, tag)


def _empty_as_pairs(data: bytes) -> bytes:
    return re.sub(rb"<([^\s/>!?]+)([^>]*?)\s*/>", rb"<\1\2></\1>", data)


def _empty_self_closing(data: bytes) -> bytes:
    return re.sub(rb"<([^\s/>!?]+)([^>]*)></\1>", rb"<\1\2/>", data)


@pytest.mark.parametrize("path", REPRESENTATIVE, **IDS)
def test_attribute_order_does_not_change_findings(validator: Validator, path: Path) -> None:
    _assert_same_findings(validator, path, _tree(_reverse_attributes))


@pytest.mark.parametrize("path", REPRESENTATIVE, **IDS)
def test_attribute_quotes_do_not_change_findings(validator: Validator, path: Path) -> None:
    _assert_same_findings(validator, path, _text(str, _swap_quotes))


@pytest.mark.parametrize("path", REPRESENTATIVE, **IDS)
def test_empty_elements_as_start_end_pairs_do_not_change_findings(
    validator: Validator, path: Path
) -> None:
    _assert_same_findings(validator, path, _empty_as_pairs)


@pytest.mark.parametrize("path", REPRESENTATIVE, **IDS)
def test_empty_elements_self_closing_do_not_change_findings(
    validator: Validator, path: Path
) -> None:
    """Every empty element written as a start/end pair, then back as ``<x/>``."""
    original = _tree(_empty_values_as_pairs)(path.read_bytes())
    variant = _empty_self_closing(original)
    assert variant != original
    assert _keys_of(validator, variant, path.name) == _keys_of(validator, original, path.name)


def _empty_values_as_pairs(root: Any) -> None:
    # lxml writes an element whose text is "" as a start/end pair.
    for el in root.iter():
        if isinstance(el.tag, str) and not len(el) and el.text is None:
            el.text = ""


# -- prolog -------------------------------------------------------------------------------

_DECLARATION = re.compile(rb"\A<\?xml[^>]*\?>\s*")


def _declaration(replacement: bytes) -> Transform:
    def transform(data: bytes) -> bytes:
        assert _DECLARATION.match(data)
        return _DECLARATION.sub(replacement, data, count=1)

    return transform


def _doctype(data: bytes) -> bytes:
    declaration = _DECLARATION.match(data)
    at = declaration.end() if declaration else 0
    return data[:at] + b"<!DOCTYPE html>\n" + data[at:]


def _byte_order_mark(data: bytes) -> bytes:
    return b"\xef\xbb\xbf" + data


@pytest.mark.parametrize(
    "declaration",
    [
        b"",
        b'<?xml version="1.0"?>\n',
        b'<?xml version = "1.0"  encoding = "utf-8"  standalone = "yes" ?>\r\n',
    ],
    ids=["none", "without-encoding", "spaced-lowercase-standalone"],
)
@pytest.mark.parametrize("path", REPRESENTATIVE + REFUSED, **IDS)
def test_xml_declaration_spelling_or_absence_does_not_change_findings(
    validator: Validator, path: Path, declaration: bytes
) -> None:
    _assert_same_findings(validator, path, _declaration(declaration))


@pytest.mark.parametrize("path", REPRESENTATIVE, **IDS)
def test_html5_doctype_does_not_change_findings(validator: Validator, path: Path) -> None:
    _assert_same_findings(validator, path, _doctype)


@pytest.mark.parametrize("path", REPRESENTATIVE, **IDS)
def test_html5_doctype_without_xml_declaration_does_not_change_findings(
    validator: Validator, path: Path
) -> None:
    _assert_same_findings(validator, path, lambda data: _doctype(_declaration(b"")(data)))


@pytest.mark.parametrize("path", REPRESENTATIVE + REFUSED, **IDS)
def test_utf8_byte_order_mark_does_not_change_findings(validator: Validator, path: Path) -> None:
    _assert_same_findings(validator, path, _byte_order_mark)


@pytest.mark.parametrize("encoding", [b"ISO-8859-1", b"windows-1252"])
def test_utf8_byte_order_mark_does_not_hide_a_declared_encoding_other_than_utf8(
    validator: Validator, encoding: bytes
) -> None:
    path = UNSIGNED
    declared = _declaration(b"<?xml version='1.0' encoding='" + encoding + b"'?>\n")
    data = declared(path.read_bytes())
    assert _keys_of(validator, data, path.name) == [("KA-INPUT-ENCODING", "error", "")]
    assert _keys_of(validator, _byte_order_mark(data), path.name) == [
        ("KA-INPUT-ENCODING", "error", "")
    ]


# -- whitespace and line ends --------------------------------------------------------------


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


def _remove_whitespace(root: Any) -> None:
    for container in list(_containers(root)):
        if _blank(container.text):
            container.text = None
        for child in container:
            if _blank(child.tail):
                child.tail = None


def _add_whitespace(root: Any) -> None:
    for container in list(_containers(root)):
        if _blank(container.text):
            container.text = (container.text or "") + "\n\t  \n  "
        for child in container:
            if _blank(child.tail):
                child.tail = (child.tail or "") + " \n\t "


def _pad_xsd_integers_and_booleans(root: Any) -> None:
    """Whitespace around metadata values of XSD types that collapse it (version, booleans)."""

    def pad(el: Any, node: Mapping[str, Any] | None) -> None:
        kind = schema_type(node)
        children = _element_children(el)
        if kind in ("integer", "boolean") and not children:
            el.text = "\n  " + (el.text or "")
            last = el[-1] if len(el) else None  # a comment or PI inside the value
            if last is None:
                el.text += " \t"
            else:
                last.tail = (last.tail or "") + " \t"
        elif kind == "object":
            properties = (node or {}).get("properties", {})
            for child in children:
                pad(child, properties.get(etree.QName(child).localname))
        elif kind == "array":
            for child in children:
                pad(child, (node or {}).get("items"))

    metadata = _metadata(root)
    if metadata is not None:
        pad(metadata, metadata_schema_node())


@pytest.mark.parametrize("path", REPRESENTATIVE, **IDS)
def test_whitespace_between_elements_removed_does_not_change_findings(
    validator: Validator, path: Path
) -> None:
    _assert_same_findings(validator, path, _tree(_remove_whitespace), signed_form=True)


@pytest.mark.parametrize("path", REPRESENTATIVE, **IDS)
def test_whitespace_between_elements_added_does_not_change_findings(
    validator: Validator, path: Path
) -> None:
    _assert_same_findings(validator, path, _tree(_add_whitespace), signed_form=True)


@pytest.mark.parametrize("path", REPRESENTATIVE, **IDS)
def test_whitespace_around_xsd_integer_and_boolean_metadata_does_not_change_findings(
    validator: Validator, path: Path
) -> None:
    transform = _tree(_pad_xsd_integers_and_booleans)
    _assert_same_findings(validator, path, transform, signed_form=True)


@pytest.mark.parametrize("newline", [b"\r\n", b"\r"], ids=["crlf", "cr"])
@pytest.mark.parametrize("path", REPRESENTATIVE + REFUSED, **IDS)
def test_line_endings_do_not_change_findings(
    validator: Validator, path: Path, newline: bytes
) -> None:
    _assert_same_findings(validator, path, lambda data: data.replace(b"\n", newline))


# -- all at once, on every sample ----------------------------------------------------------


# Processing instructions go inside every other value, CDATA sections around the rest.
EVEN, ODD = slice(0, None, 2), slice(1, None, 2)


def _in_signed_form(data: bytes) -> bytes:
    """The spellings that canonicalisation keeps (a signature covers them)."""
    data = _metadata_namespace_as_default(_xhtml_prefixed(data))
    return _tree(
        _between_elements(_processing_instruction),
        _inside_values(_processing_instruction, EVEN),
        _add_whitespace,
        _pad_xsd_integers_and_booleans,
    )(data)


def _outside_signed_form(data: bytes) -> bytes:
    """The spellings that canonicalisation removes."""
    cdata = functools.partial(_cdata, which=ODD)
    data = _tree(_between_elements(_comment), cdata, _reverse_attributes)(data)
    data = _text(_character_references, _swap_quotes)(_empty_as_pairs(data))
    return _byte_order_mark(_doctype(_declaration(b"")(data))).replace(b"\n", b"\r\n")


@pytest.mark.parametrize("path", PARSED, **IDS)
def test_every_equivalent_spelling_at_once_does_not_change_findings(
    validator: Validator, path: Path
) -> None:
    _assert_same_findings(
        validator,
        path,
        _in_signed_form if b"<ka:metadata" in path.read_bytes() else _xhtml_prefixed,
        signed_form=True,
        after_signing=_outside_signed_form,
    )


# -- what a signature covers ----------------------------------------------------------------

SIGNED_FORM = {
    "metadata-prefix": _metadata_prefix_renamed,
    "metadata-default-namespace": _metadata_namespace_as_default,
    "metadata-namespace-declared-on-metadata": _metadata_namespace_on_metadata,
    "xhtml-prefix": _xhtml_prefixed,
    "processing-instruction": _tree(_between_elements(_processing_instruction)),
    "whitespace": _tree(_remove_whitespace),
}


@pytest.mark.parametrize("transform", SIGNED_FORM.values(), ids=SIGNED_FORM.keys())
def test_signature_no_longer_verifies_when_the_canonical_form_changes_after_signing(
    validator: Validator, transform: Transform
) -> None:
    path = SAMPLES / "valid/disclosure-consent.xhtml"
    assert _signature_verifies(validator, path)
    keys = _keys_of(validator, transform(path.read_bytes()), path.name)
    assert ("KA-SIGNATURE-INVALID", "error", "/signature") in keys


# -- refused on purpose ---------------------------------------------------------------------

_HIDING_PLACES = {
    "comment": (b"<!-- ", b" -->"),
    "cdata": (b"<![CDATA[", b"]]>"),
    "processing-instruction": (b"<?vendor-app ", b"?>"),
}


@pytest.mark.parametrize("markup", [b"<!ENTITY x 'y'>", b"<!DOCTYPE x SYSTEM 'y'>"])
@pytest.mark.parametrize("place", _HIDING_PLACES.values(), ids=_HIDING_PLACES.keys())
def test_entity_and_doctype_markup_is_refused_even_inside_comments_cdata_and_pis(
    validator: Validator, markup: bytes, place: tuple[bytes, bytes]
) -> None:
    """The bytes are checked before parsing (docs/metadata.md, "The XHTML form")."""
    path = UNSIGNED
    start, end = place
    data = path.read_bytes().replace(b"<title>", b"<title>" + start + markup + end, 1)
    result = validator.validate_bytes(data, path.name)
    assert [f.key() for f in result.findings] == [("KA-XML-FORBIDDEN", "error", "")]
    assert "also in a comment, CDATA section or PI" in result.findings[0].message


@pytest.mark.parametrize("markup", [b"&lt;!ENTITY x 'y'>", b"&lt;!DOCTYPE x SYSTEM 'y'>"])
def test_entity_and_doctype_markup_escaped_in_text_is_only_text(
    validator: Validator, markup: bytes
) -> None:
    path = UNSIGNED
    data = path.read_bytes().replace(b"<title>", b"<title>" + markup, 1)
    assert _keys_of(validator, data, path.name) == _original_keys(validator, path)
