"""Read the JSON form of a document: ``{"metadata": {...}, "content": {...}}``."""

from __future__ import annotations

import json
import re
from typing import Any

from kanta_archive.findings import Finding, error
from kanta_archive.formats import pointer as ptr
from kanta_archive.formats.json_positions import JsonLocator, first_repeated_member
from kanta_archive.formats.outcome import ReadOutcome
from kanta_archive.limits import DEFAULT_LIMITS, InputLimits
from kanta_archive.model import Document

# Deeper than any real document; deep enough below the limits of what runs on the parsed
# value (jsonschema-rs reports errors in values up to ~255 levels, rfc8785 recurses in Python).
MAX_JSON_DEPTH = 200
_TOO_DEEP = f"JSON is nested more than {MAX_JSON_DEPTH} levels deep"

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")


_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_WS_RUN = re.compile(r"[ \t\n\r]+")


def members_over(text: str, limit: int) -> int | None:
    """How many object members and array items ``text`` holds, when that is over ``limit``
    (None when it is not). Counted before parsing, at C speed: parsing them is what costs."""
    if len(text) <= 2 * limit:
        return None  # a member takes a character and a comma: the usual document is done
    if text.count(",") + text.count("{") + text.count("[") <= limit:
        return None  # each member after the first follows a comma: too few to be over
    bare = _WS_RUN.sub("", _STRING.sub('""', text))  # strings hold no structure
    containers = bare.count("{") + bare.count("[") - bare.count("{}") - bare.count("[]")
    members = bare.count(",") + containers
    return members if members > limit else None


class _RepeatedMember(Exception):
    """An object of the text has a member name twice (raised by the parser's hook)."""


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # RFC 8259 leaves a repeated name to the parser: Python keeps the last, others the
    # first. A signed document could then show one reader what another never sees.
    members = dict(pairs)
    if len(members) != len(pairs):
        raise _RepeatedMember
    return members


def read_json(data: bytes, source: str, limits: InputLimits = DEFAULT_LIMITS) -> ReadOutcome:
    """Parse ``data`` as the JSON form; findings explain any failure."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return ReadOutcome(
            None,
            (error("KA-INPUT-ENCODING", f"not valid UTF-8 at byte {exc.start}", line=line),),
            "json",
        )
    text = text.removeprefix("\ufeff")
    members = members_over(text, limits.max_members)
    if members is not None:
        message = (
            f"the JSON holds {members} members and array items, over the limit of "
            f"{limits.max_members} (--max-members)"
        )
        return ReadOutcome(None, (error("KA-LIMIT-MEMBERS", message),), "json")
    try:
        parsed: Any = _STRICT_DECODER.decode(text)
    except _RepeatedMember:
        return ReadOutcome(None, (_repeated_member(text),), "json")
    except json.JSONDecodeError as exc:
        return ReadOutcome(
            None,
            (error("KA-JSON-SYNTAX", exc.msg, line=exc.lineno, column=exc.colno),),
            "json",
        )
    except RecursionError:
        return ReadOutcome(None, (error("KA-JSON-SYNTAX", _TOO_DEEP),), "json")
    except ValueError as exc:  # e.g. an integer literal over Python's digit limit
        return ReadOutcome(None, (error("KA-JSON-SYNTAX", _short(str(exc))),), "json")
    if _deeper_than(parsed, MAX_JSON_DEPTH, text):
        return ReadOutcome(None, (error("KA-JSON-SYNTAX", _TOO_DEEP),), "json")
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(parsed):
        return ReadOutcome(
            None,
            (error("KA-JSON-SYNTAX", "a string holds a lone UTF-16 surrogate escape"),),
            "json",
        )
    locate = JsonLocator(text)
    shape = _shape_problem(parsed)
    if shape is not None:
        message, pointer = shape
        where = locate(pointer)
        finding = error("KA-DOCUMENT-SHAPE", message, pointer, line=where.line, column=where.column)
        return ReadOutcome(None, (finding,), "json")
    document = Document(
        source=source,
        format="json",
        raw=data,
        metadata_raw=parsed["metadata"],
        content=parsed["content"],
        locate=locate,
        signature=parsed.get("signature"),
    )
    return ReadOutcome(document, (), "json")


def _refuse_constant(name: str) -> Any:
    # NaN and Infinity are not JSON (RFC 8259), though Python's parser accepts them.
    raise json.JSONDecodeError(f"{name} is not a JSON value", name, 0)


# Made once: json.loads with any keyword argument builds a new decoder on every call.
_STRICT_DECODER = json.JSONDecoder(
    parse_constant=_refuse_constant, object_pairs_hook=_unique_members
)


def _repeated_member(text: str) -> Finding:
    found = first_repeated_member(text)
    assert found is not None  # the parser saw the repeated name
    pointer, offset = found
    line, column = JsonLocator(text).line_column(offset)
    name = ptr.unescape(pointer[pointer.rindex("/") + 1 :])
    return error(
        "KA-JSON-DUPLICATE-MEMBER",
        f"member {_short(json.dumps(name, ensure_ascii=False))} is written twice in one "
        "object; names must be unique, or readers disagree on which value counts",
        pointer,
        line=line,
        column=column,
    )


def _short(message: str) -> str:
    return message if len(message) <= 200 else message[:199] + "…"


def too_deep(parsed: Any, text: str) -> bool:
    """Whether the JSON ``parsed`` from ``text`` nests more than MAX_JSON_DEPTH levels."""
    return _deeper_than(parsed, MAX_JSON_DEPTH, text)


def _deeper_than(parsed: Any, limit: int, text: str) -> bool:
    """Whether ``parsed`` has more than ``limit`` nested objects and arrays on one path."""
    if text.count("{") + text.count("[") <= limit:
        return False  # too few brackets to nest that deep: no walk on the usual document
    stack: list[tuple[Any, int]] = [(parsed, 1)] if type(parsed) in (dict, list) else []
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        children = value.values() if type(value) is dict else value
        stack += [(v, depth + 1) for v in children if type(v) is dict or type(v) is list]
    return False


def _has_lone_surrogate(parsed: Any) -> bool:
    try:
        json.dumps(parsed, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _shape_problem(parsed: Any) -> tuple[str, str] | None:
    if not isinstance(parsed, dict):
        return ("a document must be a JSON object with 'metadata' and 'content'", "")
    for key in ("metadata", "content"):
        if key not in parsed:
            return (f"the document has no '{key}' member", "")
        if not isinstance(parsed[key], dict):
            return (f"'{key}' must be a JSON object", "/" + key)
    if "signature" in parsed and not isinstance(parsed["signature"], dict):
        return ("'signature' must be a JSON object", "/signature")
    extra = sorted(set(parsed) - {"metadata", "content", "signature"})
    if extra:
        return (f"unexpected top-level member '{extra[0]}'", ptr.join("", extra[0]))
    return None
