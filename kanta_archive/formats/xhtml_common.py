"""Names and the metadata mapping shared by the XHTML reader and writer.

The XHTML form keeps the metadata in ``<head>`` as ``ka:metadata``, one child
element per metadata field with the same names as the JSON form. Objects are
nested elements; an array is a wrapper element holding one item element per
entry (``ka:clients/ka:client``). Scalar types come from the metadata JSON
Schema, so the XML carries no type annotations.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from kanta_archive.paths import bundled_schemas_dir

XHTML_NS = "http://www.w3.org/1999/xhtml"
KA_NS = "urn:kanta-archive:metadata:1"
XHTML = f"{{{XHTML_NS}}}"
KA = f"{{{KA_NS}}}"

# The item element name of each metadata array; "item" for any other.
ARRAY_ITEMS = {"clients": "client"}

CONTENT_PART = "content"


def item_name(array_name: str) -> str:
    """The element name for entries of the array ``array_name``."""
    return ARRAY_ITEMS.get(array_name, "item")


@lru_cache(maxsize=1)
def metadata_schema_node() -> Mapping[str, Any]:
    """The JSON Schema node describing the ``metadata`` object (bundled schema)."""
    path = bundled_schemas_dir() / "metadata.schema.json"
    schema: Mapping[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    node: Mapping[str, Any] = schema["properties"]["metadata"]
    return node


def schema_type(node: Mapping[str, Any] | None) -> str | None:
    """The JSON type a schema node declares, if exactly one."""
    if not node:
        return None
    declared = node.get("type")
    return declared if isinstance(declared, str) else None
