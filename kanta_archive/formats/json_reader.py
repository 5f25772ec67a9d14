"""Read the JSON form of a document: ``{"metadata": {...}, "content": {...}}``."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from typing import Any

from kanta_archive.findings import error
from kanta_archive.formats import pointer as ptr
from kanta_archive.formats.outcome import ReadOutcome
from kanta_archive.model import Document, SourcePosition

# Deeper than any real document; deep enough below the limits of what runs on the parsed
# value (jsonschema-rs reports errors in values up to ~255 levels, rfc8785 recurses in Python).
MAX_JSON_DEPTH = 200
_TOO_DEEP = f"JSON is nested more than {MAX_JSON_DEPTH} levels deep"

_WS = re.compile(r"[ \t\n\r]*")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")
# A JSON string as "unrolled loop" (runs of plain characters between escapes): far fewer
# steps for the regex engine than one alternation per character.
_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"'
_SCALAR = rf"(?:{_STRING}|[-+0-9.eE]+|true|false|null)"
# Unambiguous (no two ways to split the white space), so a failing match cannot
# backtrack quadratically over a long run of white space.
_SEP = r"[ \t\n\r]*(?:,[ \t\n\r]*)?"
# An object of scalars only, like a coded value {"system", "code", "display"}.
_FLAT_OBJECT = rf"\{{[ \t\n\r]*(?:{_STRING}[ \t\n\r]*:[ \t\n\r]*{_SCALAR}{_SEP})*\}}"


@functools.lru_cache(maxsize=256)
def _members_before(token: str) -> re.Pattern[str]:
    """A run of object members to skip while looking for the key ``token``: members whose
    key is written without escapes, is not ``token``, and whose value is a string, number,
    literal or an object of those. One C-speed match skips the whole run; the rest go one by
    one."""
    key = rf'"(?!{re.escape(token)}")[^"\\]*"'
    return re.compile(rf"(?:{key}[ \t\n\r]*:[ \t\n\r]*(?:{_SCALAR}|{_FLAT_OBJECT}){_SEP})*")


_KEY = re.compile(r'"([^"\\]*(?:\\.[^"\\]*)*)"[ \t\n\r]*:[ \t\n\r]*')
_SEPARATOR = re.compile(_SEP)


_DECODER = json.JSONDecoder()


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _key(written: str) -> str:
    return json.loads(f'"{written}"') if "\\" in written else written


def offset_of(text: str, pointer: str) -> tuple[int, bool]:
    """The offset of ``pointer`` in ``text``: of its key for an object member, else its value.

    Walks only the path to the pointer: a run of scalar sibling members is skipped by one
    regular expression, an object or array by the C JSON decoder. Returns the deepest
    offset reached and whether the whole pointer was found. Assumes ``text`` is valid JSON
    (it has been parsed).
    """
    i = _WS.match(text, 0).end()  # type: ignore[union-attr]  # matches the empty string
    here = i
    for raw_token in pointer.split("/")[1:] if pointer else ():
        token = _unescape(raw_token)
        char = text[i]
        if char == "{":
            i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
            skip_run = _members_before(token)
            while True:
                i = skip_run.match(text, i).end()  # type: ignore[union-attr]  # may be empty
                if text[i] == "}":
                    return here, False
                member = _KEY.match(text, i)
                assert member is not None  # valid JSON: a member starts with its key
                if _key(member.group(1)) == token:
                    here, i = i, member.end()
                    break
                _, after_value = _DECODER.raw_decode(text, member.end())
                i = _SEPARATOR.match(text, after_value).end()  # type: ignore[union-attr]
        elif char == "[" and token.isdigit():
            i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
            for _ in range(int(token)):
                if text[i] == "]":
                    return here, False
                _, after_value = _DECODER.raw_decode(text, i)
                i = _SEPARATOR.match(text, after_value).end()  # type: ignore[union-attr]
            if text[i] == "]":
                return here, False
            here = i
        else:
            return here, False
    return here, True


def _locator(text: str) -> Callable[[str], SourcePosition]:
    def locate(pointer: str) -> SourcePosition:
        offset, _found = offset_of(text, pointer)
        line_start = text.rfind("\n", 0, offset) + 1
        return SourcePosition(line=text.count("\n", 0, offset) + 1, column=offset - line_start + 1)

    return locate


def read_json(data: bytes, source: str) -> ReadOutcome:
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
    try:
        parsed: Any = _STRICT_DECODER.decode(text)
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
    locate = _locator(text)
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
_STRICT_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def _short(message: str) -> str:
    return message if len(message) <= 200 else message[:199] + "…"


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
