"""Write the XHTML form of a document: metadata in <head>, readable content in <body>.

The body is for people (headings, definition lists, fi/sv labels from the
structure schema) and for machines at once: every data node carries
``data-ka`` (its JSON type) and, inside an object, ``data-ka-key``, so the
reader gets the exact JSON content back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lxml import etree

from kanta_archive import sosmeta
from kanta_archive.formats.xhtml_common import (
    CONTENT_PART,
    KA,
    KA_NS,
    XHTML,
    XHTML_NS,
    item_name,
    metadata_schema_node,
    schema_type,
)

_CSS = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #1b1b1b; line-height: 1.45; }
h1 { border-bottom: 2px solid #2b5d8a; padding-bottom: .3rem; }
section { border-left: 3px solid #d5e2ee; margin: .6rem 0; padding: .2rem .8rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: .3rem 0; }
dt { font-weight: 600; color: #2b5d8a; }
dd { margin: 0; }
ol.ka-list { margin: .2rem 0; padding-left: 1.4rem; }
.ka-coded { display: inline-flex; gap: .4em; align-items: baseline; }
.ka-coded-display { order: -1; }
.ka-coded-system { color: #777; font-size: .8em; }
"""


def _label(node: Mapping[str, Any] | None, key: str, language: str) -> str:
    """The node's Sosmeta name in ``language`` (fi, then sv fallback), else the key itself.

    Real exports put an array's ``sosmeta`` on its ``items``; that name is used then."""
    return sosmeta.name(node, language) or key


def _sub(parent: Any, tag: str, text: str | None = None, **attrs: str) -> Any:
    el = etree.SubElement(parent, XHTML + tag, {k.replace("_", "-"): v for k, v in attrs.items()})
    if text is not None:
        el.text = text
    return el


def _scalar_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string"


def _scalar_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if not isinstance(value, float) else repr(value)


def _is_coded(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and set(value) == {"system", "code", "display"}
        and all(isinstance(v, str) for v in value.values())
    )


def _render_value(
    parent: Any, value: Any, node: Mapping[str, Any] | None, language: str, depth: int, **key: str
) -> None:
    if _is_coded(value):
        # Members stay in their JSON order (so a round trip keeps the bytes);
        # CSS shows the display name first.
        span = _sub(parent, "span", data_ka="object", **{"class": "ka-coded"}, **key)
        for member, text in value.items():
            css = "ka-coded-display" if member == "display" else "ka-coded-system"
            _sub(span, "span", text, data_ka="string", data_ka_key=member, **{"class": css})
        return
    if isinstance(value, Mapping):
        section = _sub(parent, "section", data_ka="object", **key)
        props: Mapping[str, Any] = (node or {}).get("properties", {})
        # Members are written in their JSON order; runs of scalars share one <dl>.
        dl = None
        for k, v in value.items():
            if _is_nested(v):
                dl = None
                _sub(section, f"h{min(depth + 2, 6)}", _label(props.get(k), k, language))
                _render_value(section, v, props.get(k), language, depth + 1, data_ka_key=k)
            else:
                if dl is None:
                    dl = _sub(section, "dl")
                _sub(dl, "dt", _label(props.get(k), k, language))
                _render_value(_sub(dl, "dd"), v, props.get(k), language, depth + 1, data_ka_key=k)
        return
    if isinstance(value, list):
        ol = _sub(parent, "ol", data_ka="array", **{"class": "ka-list"}, **key)
        items = (node or {}).get("items")
        for item in value:
            _render_value(_sub(ol, "li"), item, items, language, depth + 1)
        return
    _sub(parent, "span", _scalar_text(value), data_ka=_scalar_kind(value), **key)


def _is_nested(value: Any) -> bool:
    return (isinstance(value, Mapping) and not _is_coded(value)) or isinstance(value, list)


def _render_content(
    main: Any,
    content: Mapping[str, Any],
    structure_schema: Mapping[str, Any] | None,
    language: str,
) -> None:
    """The content part: ``main`` becomes the data-ka object holding every root member."""
    main.set("data-ka", "object")
    main.set("data-ka-part", CONTENT_PART)
    root_props: Mapping[str, Any] = (structure_schema or {}).get("properties", {})
    for key, value in content.items():
        _sub(main, "h2", _label(root_props.get(key), key, language))
        _render_value(main, value, root_props.get(key), language, 1, data_ka_key=key)


def _metadata_element(parent: Any, name: str, value: Any, node: Mapping[str, Any] | None) -> None:
    el = etree.SubElement(parent, KA + name)
    kind = schema_type(node)
    if isinstance(value, Mapping):
        props: Mapping[str, Any] = (node or {}).get("properties", {})
        for k, v in value.items():
            _metadata_element(el, k, v, props.get(k))
    elif isinstance(value, list):
        items = (node or {}).get("items")
        for v in value:
            _metadata_element(el, item_name(name), v, items)
    elif isinstance(value, bool):
        el.text = "true" if value else "false"
    elif value is not None or kind == "string":
        el.text = "" if value is None else str(value)


def render_xhtml(
    metadata: Mapping[str, Any],
    content: Mapping[str, Any],
    structure_schema: Mapping[str, Any] | None = None,
    *,
    keep_storage_format: bool = False,
) -> bytes:
    """Render a document model as XHTML bytes (UTF-8, with XML declaration).

    ``metadata['storage_format']`` is set to ``xhtml``: the form written is XHTML
    (``keep_storage_format`` writes it as it is: the upgrade keeps a sample's defect).
    ``structure_schema`` supplies human labels; without it the keys are shown.
    """
    metadata = {**metadata}
    if "storage_format" in metadata and not keep_storage_format:
        metadata["storage_format"] = "xhtml"
    language = str(metadata.get("language") or "fi")
    title = str(metadata.get("title") or "")
    html = etree.Element(XHTML + "html", nsmap={None: XHTML_NS, "ka": KA_NS})  # type: ignore[dict-item]
    html.set("lang", language)
    html.set("{http://www.w3.org/XML/1998/namespace}lang", language)
    head = _sub(html, "head")
    _sub(head, "meta", charset="UTF-8")
    _sub(head, "title", title)
    _sub(head, "style", _CSS)
    meta_el = etree.SubElement(head, KA + "metadata")
    meta_props: Mapping[str, Any] = metadata_schema_node().get("properties", {})
    for key, value in metadata.items():
        _metadata_element(meta_el, key, value, meta_props.get(key))
    body = _sub(html, "body")
    _sub(body, "h1", title)
    _render_content(_sub(body, "main"), content, structure_schema, language)
    tree = etree.ElementTree(html)
    body_bytes: bytes = etree.tostring(
        tree, encoding="UTF-8", xml_declaration=True, pretty_print=True
    )
    return body_bytes


def render_display(
    content: Mapping[str, Any],
    structure_schema: Mapping[str, Any] | None,
    language: str,
    title: str,
) -> bytes:
    """The display form of a CDA document: a ``<div>`` in the XHTML namespace with the
    title and the content under the structure's Sosmeta labels (the body of the XHTML
    form, without its page around it). UTF-8, no XML declaration."""
    div = etree.Element(XHTML + "div", nsmap={None: XHTML_NS})  # type: ignore[dict-item]
    div.set("lang", language)
    _sub(div, "h1", title)
    _render_content(_sub(div, "div"), content, structure_schema, language)
    data: bytes = etree.tostring(div, encoding="UTF-8", xml_declaration=False, pretty_print=True)
    return data
