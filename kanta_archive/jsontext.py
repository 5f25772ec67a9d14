"""Indented JSON text, byte for byte what ``json.dumps`` writes, without its slow path.

``json.dumps`` uses its C encoder only when it does not indent; with ``indent`` it falls back
to the pure-Python encoder, 2-3 times slower here. The store writes every inventory (indent 1,
sorted keys) and the archive every ``metadata.json`` (indent 2) indented, once per stored
document, so :func:`indented` builds the same text from C-encoded strings instead.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring
from typing import Any


class _Unsupported(Exception):
    """A value the fast path does not handle: let ``json.dumps`` do it (or refuse it)."""


def indented(value: Any, indent: int, *, sort_keys: bool = False) -> str:
    """``json.dumps(value, indent=indent, sort_keys=sort_keys, ensure_ascii=False)``: the
    same text (and the same errors), built faster for objects, arrays and strings."""
    try:
        return _encode(value, "\n", " " * indent, sort_keys)
    except (_Unsupported, TypeError, RecursionError):
        return json.dumps(value, indent=indent, sort_keys=sort_keys, ensure_ascii=False)


def _encode(value: Any, newline: str, step: str, sort_keys: bool) -> str:
    if isinstance(value, str):
        return str(encode_basestring(value))
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = newline + step
        parts = []
        for key in sorted(value) if sort_keys else value:
            if not isinstance(key, str):
                raise _Unsupported  # json.dumps turns numbers etc. into strings
            item = value[key]
            text = (
                encode_basestring(item)
                if type(item) is str
                else _encode(item, inner, step, sort_keys)
            )
            parts.append(f"{encode_basestring(key)}: {text}")
        return "{" + inner + f",{inner}".join(parts) + newline + "}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        inner = newline + step
        items = [
            encode_basestring(item) if type(item) is str else _encode(item, inner, step, sort_keys)
            for item in value
        ]
        return "[" + inner + f",{inner}".join(items) + newline + "]"
    if value is None or isinstance(value, bool | int | float):
        return json.dumps(value)
    raise _Unsupported
