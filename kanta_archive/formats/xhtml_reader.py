"""Read the XHTML form of a document, safely.

XML is hostile input until proven otherwise: DTD internal subsets and entity
declarations are refused before parsing, and the parser never resolves
entities, loads DTDs or touches the network.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from lxml import etree

from kanta_archive.findings import error
from kanta_archive.formats import pointer as ptr
from kanta_archive.formats.outcome import ReadOutcome
from kanta_archive.formats.xhtml_common import (
    CONTENT_PART,
    KA,
    XHTML,
    XHTML_NS,
    metadata_schema_node,
    schema_type,
)
from kanta_archive.formats.xml_limits import element_limit_problem, tree_limit_problem
from kanta_archive.limits import DEFAULT_LIMITS, InputLimits
from kanta_archive.model import NOWHERE, Document, SourcePosition, XmlSource

# A DOCTYPE is tolerated only in its plain HTML5 form; anything with an internal
# subset can declare entities (billion laughs, external entities). The bytes are
# searched before parsing, so the markup is refused even inside a comment, CDATA
# section or PI, where it would be harmless: one simple rule (docs/metadata.md),
# and no parser state to get right before the parser has run.
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_PLAIN_DOCTYPE = re.compile(rb"<!DOCTYPE\s+html\s*>", re.IGNORECASE)
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)


class _ShapeError(Exception):
    def __init__(self, message: str, element: Any) -> None:
        super().__init__(message)
        self.element = element


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


def _forbidden(data: bytes) -> str | None:
    if b"!" not in data:
        # Both start '<!'. A one-byte search runs at memchr speed; '<!' (and the two
        # caseless searches) test every '<' of the markup.
        return None
    if _ENTITY.search(data):
        return (
            "entity declarations are not allowed: '<!ENTITY' is refused anywhere in the file, "
            "also in a comment, CDATA section or PI (write '&lt;!ENTITY' in text)"
        )
    for match in _DOCTYPE.finditer(data):
        if not _PLAIN_DOCTYPE.match(data, match.start()):
            return (
                "only a plain '<!DOCTYPE html>' is allowed (no external or internal DTD); "
                "other '<!DOCTYPE' is refused anywhere in the file, also in a comment, "
                "CDATA section or PI (write '&lt;!DOCTYPE' in text)"
            )
    return None


# The XML declaration's opening: first in the file, after a UTF-8 byte order mark if any.
_XML_DECLARATION = re.compile(rb"\A(?:\xef\xbb\xbf)?(<\?xml[ \t\r\n])")
# A UTF-8 byte order mark may precede the declaration; it must not hide a declared encoding.
_XML_DECLARED_ENCODING = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']"
)


def _encoding_problem(data: bytes) -> ReadOutcome | None:
    declared = _XML_DECLARED_ENCODING.match(data)
    if declared and declared.group(1).decode("ascii").upper().replace("_", "-") not in (
        "UTF-8",
        "UTF8",
    ):
        message = f"the XML declares encoding {declared.group(1).decode('ascii')}; must be UTF-8"
        return ReadOutcome(None, (error("KA-INPUT-ENCODING", message, line=1),), "xhtml")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        message = f"not valid UTF-8 at byte {exc.start}"
        return ReadOutcome(None, (error("KA-INPUT-ENCODING", message, line=line),), "xhtml")
    return None


def _one_line(message: str, most: int = 300) -> str:
    # libxml2 quotes the document in some messages ("Comment not terminated \n<!--..."):
    # a finding's message is one line, whatever the input holds.
    message = " ".join(message.split())
    return message if len(message) <= most else message[: most - 1] + "…"


def parse_secure(
    data: bytes, fmt: str, limits: InputLimits = DEFAULT_LIMITS
) -> tuple[Any, ReadOutcome | None]:
    """Parse XML bytes as hostile input: ``(root, None)``, or ``(None, the refusal)``.

    UTF-8 only; DTDs other than the plain HTML5 one and entity declarations are refused
    on the bytes before parsing; entity references are refused after it. ``limits``
    bound the elements (before parsing), the attributes on one element and the namespace
    declarations (after it): kanta_archive/limits.py.
    """
    encoding = _encoding_problem(data)
    if encoding is not None:
        return None, ReadOutcome(None, encoding.findings, fmt)
    forbidden = _forbidden(data)
    if forbidden is not None:
        line = data.count(b"\n", 0, (_ENTITY.search(data) or _DOCTYPE.search(data) or _m0).start())
        return None, ReadOutcome(None, (error("KA-XML-FORBIDDEN", forbidden, line=line + 1),), fmt)
    too_many = element_limit_problem(data, limits)
    if too_many is not None:
        return None, ReadOutcome(None, (too_many,), fmt)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (None, None)
        return None, ReadOutcome(
            None, (error("KA-XML-SYNTAX", _one_line(str(exc.msg)), line=line, column=column),), fmt
        )
    too_many = tree_limit_problem(data, root, limits)
    if too_many is not None:
        return None, ReadOutcome(None, (too_many,), fmt)
    # An entity reference is written '&name;': without a '&' in the bytes there is none,
    # and the walk over every node (a tenth of the parse) is skipped.
    if b"&" in data and next(root.iter(etree.Entity), None) is not None:  # found in C
        return None, ReadOutcome(
            None, (error("KA-XML-FORBIDDEN", "entity references are not allowed"),), fmt
        )
    return root, None


def may_hold_comments_or_pis(data: bytes) -> bool:
    """Whether the XML bytes ``data`` can hold a comment or a processing instruction:
    ``False`` only when there is no ``<!--`` and no ``<?`` but the XML declaration's, so
    that a caller can skip looking for them in the tree (the declaration is not a node)."""
    # One-byte searches first ('!', '?'): they run at memchr speed, a search for '<!--' or
    # '<?' tests every '<' of the markup.
    if b"!" in data and b"<!--" in data:
        return True
    first = data.find(b"<?")
    if first == -1:
        return False
    declaration = _XML_DECLARATION.match(data)
    if declaration is None or declaration.start(1) != first:
        return True
    end = data.find(b"?>", first)
    if end == -1:
        return True  # not a declaration the parser would have taken: let the tree tell
    if data.find(b"?", end + 2) == -1:
        return False  # no '?' after the declaration: no other '<?' either
    return data.find(b"<?", end + 2) != -1


def read_xhtml(data: bytes, source: str, limits: InputLimits = DEFAULT_LIMITS) -> ReadOutcome:
    """Parse ``data`` as the XHTML form; findings explain any failure."""
    root, refused = parse_secure(data, "xhtml", limits)
    if refused is not None:
        return refused
    elements: dict[str, Any] = {}
    try:
        view = _data_view(root) if may_hold_comments_or_pis(data) else root
        metadata_el, content_el = _parts(view, data)
        metadata = _metadata_object(metadata_el, metadata_schema_node(), "/metadata", elements)
        content = _content_node(content_el, elements)
    except _ShapeError as exc:
        el = exc.element
        finding = error(
            "KA-DOCUMENT-SHAPE",
            str(exc),
            xpath=xpath_of(el),
            line=el.sourceline,
        )
        return ReadOutcome(None, (finding,), "xhtml")
    document = Document(
        source=source,
        format="xhtml",
        raw=data,
        metadata_raw=metadata,
        content=content,
        locate=_locator(elements),
        xml=XmlSource(root, metadata_el, elements),
    )
    return ReadOutcome(document, (), "xhtml")


class _Zero:
    def start(self) -> int:
        return 0


_m0 = _Zero()


def _data_view(root: Any) -> Any:
    """``root``, or a copy of it without comments and processing instructions.

    They carry no data, but xmlschema counts them as children of a simple-typed
    element (and reads only the text before them), so ``<ka:version>1<!-- x --></ka:version>``
    would fail the head XSD. Values and XSD errors are read from this view; the
    signature is verified on ``root`` itself, because its canonical form keeps
    processing instructions. The copy keeps source lines, so findings stay located.
    """
    if next(root.iter(etree.Comment, etree.ProcessingInstruction), None) is None:
        return root
    view = copy.deepcopy(root)
    etree.strip_tags(view, etree.Comment, etree.ProcessingInstruction)
    return view


def _parts(root: Any, data: bytes) -> tuple[Any, Any]:
    if root.tag != XHTML + "html":
        qname = etree.QName(root)
        found = f"<{qname.localname}>" + (
            f" in namespace {qname.namespace}" if qname.namespace else " in no namespace"
        )
        raise _ShapeError(
            f"the root element must be <html> in the XHTML namespace {XHTML_NS} "
            f'(xmlns="{XHTML_NS}"), not {found}',
            root,
        )
    head = root.find(XHTML + "head")
    body = root.find(XHTML + "body")
    if head is None or body is None:
        raise _ShapeError("<html> must have <head> and <body>", root)
    metas = head.findall(KA + "metadata")
    if len(metas) != 1:
        raise _ShapeError("<head> must hold exactly one ka:metadata element", head)
    contents = _content_parts(body, data)
    if len(contents) != 1:
        raise _ShapeError("<body> must hold exactly one element with data-ka-part='content'", body)
    if contents[0].get("data-ka") != "object":
        raise _ShapeError("the content element must have data-ka='object'", contents[0])
    return metas[0], contents[0]


def _content_parts(body: Any, data: bytes) -> list[Any]:
    """The XHTML elements in ``body`` marked as the content part, in document order.

    The writer puts the part right under <body>. An attribute's name is written out in
    the bytes (no entity or DTD can supply one: both are refused), so when the name
    ``data-ka-part`` occurs once in ``data`` and a child of <body> has it, no other
    element can: the walk over every element of the body is then not needed."""
    children = [el for el in body.iterchildren(XHTML + "*") if el.get("data-ka-part") is not None]
    if len(children) == 1 and data.count(b"data-ka-part") == 1:
        return children if children[0].get("data-ka-part") == CONTENT_PART else []
    return [el for el in body.iter(XHTML + "*") if el.get("data-ka-part") == CONTENT_PART]


def _text(el: Any) -> str:
    # Most elements hold one text node and nothing else: their text, without the iterator.
    return "".join(el.itertext()) if len(el) else el.text or ""


def _ka_children(el: Any) -> Iterator[Any]:
    children: Iterator[Any] = el.iterchildren(etree.Element)  # elements only, in C
    return children


# The white space XML Schema collapses around an integer or a boolean. str.strip would also
# take U+00A0, U+2028 and the like, which make the XSD types invalid.
_XML_SPACE = " \t\r\n"
# ASCII digits only: \d and int() also take other scripts' digits ('١' is 1 to Python).
_INTEGER = re.compile(r"[ \t\r\n]*-?[0-9]+[ \t\r\n]*")


def _metadata_value(
    el: Any, node: Mapping[str, Any] | None, pointer: str, elements: dict[str, Any]
) -> Any:
    elements[pointer] = el
    kind = schema_type(node)
    if kind == "object":
        return _metadata_object(el, node or {}, pointer, elements)
    if kind == "array":
        items = (node or {}).get("items")
        return [
            _metadata_value(child, items, f"{pointer}/{i}", elements)
            for i, child in enumerate(_ka_children(el))
        ]
    text = _text(el)
    if kind == "integer" and _INTEGER.fullmatch(text):
        try:
            return int(text)
        except ValueError:  # more digits than Python converts: stays text, as JSON cannot say it
            pass
    if kind == "boolean" and text.strip(_XML_SPACE) in ("true", "false"):
        return text.strip(_XML_SPACE) == "true"
    if kind is None and len(el):
        # Unknown element with children: keep its shape so schema validation can name it.
        return _metadata_object(el, {}, pointer, elements)
    return text


def _metadata_object(
    el: Any, node: Mapping[str, Any], pointer: str, elements: dict[str, Any]
) -> dict[str, Any]:
    elements[pointer] = el
    properties: Mapping[str, Any] = node.get("properties", {})
    result: dict[str, Any] = {}
    for child in _ka_children(el):
        name = child.tag.rpartition("}")[2]  # the local name (etree.QName costs more)
        if name in result:
            raise _ShapeError(f"metadata element '{name}' appears more than once", child)
        # An XML name holds no '~' or '/': the pointer token is the name itself.
        result[name] = _metadata_value(child, properties.get(name), f"{pointer}/{name}", elements)
    return result


# JSON's numbers (RFC 8259). int() and float() also read 'NaN', 'Infinity', '1_000', '007'
# and other scripts' digits: values the JSON form cannot hold.
_JSON_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)")
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


def _json_integer(text: str) -> int:
    if not _JSON_INTEGER.fullmatch(text):
        raise ValueError(text)
    return int(text)


def _json_number(text: str) -> int | float:
    if not _JSON_NUMBER.fullmatch(text):
        raise ValueError(text)
    return int(text) if _JSON_INTEGER.fullmatch(text) else float(text)


def _json_null(text: str) -> None:
    # The writer leaves a null empty; text there would be read by people but not by us.
    if text:
        raise ValueError(text)


_SCALARS: dict[str, Callable[[str], Any]] = {
    "string": lambda text: text,
    "integer": _json_integer,
    "number": _json_number,
    "boolean": lambda text: {"true": True, "false": False}[text],
    "null": _json_null,
}


def _content_node(root: Any, elements: dict[str, Any]) -> dict[str, Any]:
    """The content read from the content part ``root`` (``data-ka='object'``), each data
    element's pointer recorded in ``elements``.

    One pass over the descendants in document order, the order in which a walk down the
    nearest ``data-ka`` descendants would meet them (and fail on the same element first):
    each data element joins the container of its nearest data ancestor, whose path up
    the display markup is remembered (:func:`_owner`). A scalar's descendants are text.
    A third cheaper than the recursive walk, which called a function per element."""
    top: dict[str, Any] = {}
    elements["/content"] = root
    containers: dict[Any, tuple[Any, str]] = {root: (top, "/content")}
    owners: dict[Any, Any] = {}
    descendants = root.iterdescendants(etree.Element)
    for el in descendants:
        kind = el.get("data-ka")
        if kind is None:
            continue
        container, at = containers[_owner(el, containers, owners)]
        in_object = type(container) is dict
        if in_object:
            key = el.get("data-ka-key")
            if key is None:
                raise _ShapeError("a member of a data-ka='object' needs data-ka-key", el)
            if key in container:
                raise _ShapeError(f"data-ka-key '{key}' appears twice in one object", el)
            pointer = f"{at}/{ptr.escape(key)}"
        else:
            pointer = f"{at}/{len(container)}"
        elements[pointer] = el
        value: Any
        if kind == "object" or kind == "array":
            value = {} if kind == "object" else []
            containers[el] = (value, pointer)
        else:
            value = _scalar(el, kind)
            if len(el):
                for _ in el.iterdescendants(etree.Element):
                    next(descendants)  # inside a scalar: text only, as for the walk down
        if in_object:
            container[key] = value
        else:
            container.append(value)
    return top


def _owner(el: Any, containers: Mapping[Any, Any], owners: dict[Any, Any]) -> Any:
    """The nearest data ancestor of ``el``. Each markup element passed on the way up is
    remembered with it in ``owners``, so that no element is walked past twice (50,000
    siblings under one deep chain of <div>s cost one walk up the chain, not 50,000)."""
    walked = []
    parent = el.getparent()
    while parent not in containers:
        owner = owners.get(parent)
        if owner is not None:
            break
        walked.append(parent)
        parent = parent.getparent()
    else:
        owner = parent
    for markup in walked:
        owners[markup] = owner
    return owner


def _scalar(el: Any, kind: str) -> Any:
    convert = _SCALARS.get(kind)
    if convert is None:
        raise _ShapeError(f"unknown data-ka type '{kind}'", el)
    text = _text(el)
    try:
        return convert(text.strip(_XML_SPACE) if kind != "string" else text)
    except (ValueError, KeyError) as exc:
        raise _ShapeError(f"'{text}' is not a valid {kind}", el) from exc


_PREFIXES = {XHTML: "h:", KA: "ka:"}


def xpath_with(el: Any, prefixes: Mapping[str, str]) -> str:
    """A readable XPath for ``el``, each namespace written with its prefix in ``prefixes``
    (namespace URI -> ``"p:"``), a position only where siblings share the name."""
    return XPathNamer(prefixes)(el)


# Elements a namer names with libxml2's own path before it numbers children itself.
_DIRECT_NAMES = 16
_NAMESPACE = re.compile(r"\{([^}]*)\}")


class XPathNamer:
    """:func:`xpath_with` for many elements of one tree: each parent's children are numbered
    once, so naming every one of 50,000 siblings costs one pass over them, not 50,000.

    The first few elements are named from lxml's ``getelementpath`` (the same steps,
    counted in C): a document with a finding or two is spared numbering in Python every
    sibling of every ancestor. It counts the siblings anew for each element, so past a
    few the numbering kept here is cheaper (tests/unit hold the two to the same names)."""

    def __init__(self, prefixes: Mapping[str, str]) -> None:
        self._prefixes = prefixes
        self._steps: dict[Any, str] = {}
        self._direct = 0

    def __call__(self, el: Any) -> str:
        if self._direct < _DIRECT_NAMES:
            self._direct += 1
            return self.direct(el)
        return self.numbered(el)

    def direct(self, el: Any) -> str:
        """The name of ``el`` from ``getelementpath``, without the numbering kept here."""
        tree = el.getroottree()
        root = "/" + self._tag_name(tree.getroot().tag)
        path = tree.getelementpath(el)
        if path == ".":
            return root
        return root + "/" + _NAMESPACE.sub(lambda m: self._prefixes.get(m.group(1), ""), path)

    def numbered(self, el: Any) -> str:
        """The name of ``el`` from the children numbering kept here."""
        steps: list[str] = []
        while el is not None:
            parent = el.getparent()
            step = self._steps.get(el)
            if step is None:
                if parent is None:
                    step = self._name(el)
                else:
                    self._number_children(parent)
                    step = self._steps[el]
            steps.append(step)
            el = parent
        return "/" + "/".join(reversed(steps))

    def _name(self, el: Any) -> str:
        return self._tag_name(el.tag)

    def _tag_name(self, tag: str) -> str:
        # The tag's own text, not etree.QName: a finding's path names every sibling of
        # each of its ancestors, and QName costs more than the rest of the naming.
        namespace, brace, local = tag[1:].partition("}") if tag[:1] == "{" else ("", "", tag)
        return self._prefixes.get(namespace, "") + (local if brace else tag)

    def _number_children(self, parent: Any) -> None:
        children = list(parent.iterchildren(etree.Element))  # elements only, in C
        total: dict[str, int] = {}
        for child in children:
            total[child.tag] = total.get(child.tag, 0) + 1
        seen: dict[str, int] = {}
        names: dict[str, str] = {}
        for child in children:
            tag = child.tag
            name = names.get(tag)
            if name is None:
                name = names[tag] = self._tag_name(tag)
            if total[tag] > 1:
                seen[tag] = seen.get(tag, 0) + 1
                name += f"[{seen[tag]}]"
            self._steps[child] = name


_URI_PREFIXES = {ns[1:-1]: prefix for ns, prefix in _PREFIXES.items()}


def xpath_of(el: Any) -> str:
    """A readable XPath for ``el``: ``/h:html/h:head/ka:metadata/ka:version``.

    Prefixes: ``h`` for XHTML, ``ka`` for the kanta-archive metadata namespace.
    """
    return xpath_with(el, _URI_PREFIXES)


def _locator(elements: Mapping[str, Any]) -> Callable[[str], SourcePosition]:
    name = XPathNamer(_URI_PREFIXES)  # one per document: many findings share its numbering

    def locate(pointer: str) -> SourcePosition:
        for candidate in ptr.parents(pointer):
            el = elements.get(candidate)
            if el is not None:
                return SourcePosition(line=el.sourceline, xpath=name(el))
        return NOWHERE

    return locate
