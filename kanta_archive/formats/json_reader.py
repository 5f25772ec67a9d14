"""Read the JSON form of a document: ``{"metadata": {...}, "content": {...}}``."""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable
from typing import Any

from kanta_archive.findings import error
from kanta_archive.formats import pointer as ptr
from kanta_archive.formats.read import ReadOutcome
from kanta_archive.model import Document, SourcePosition

_WS = re.compile(r"[ \t\n\r]*")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")


_DECODER = json.JSONDecoder()


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def offset_of(text: str, pointer: str) -> tuple[int, bool]:
    """The offset of ``pointer`` in ``text``: of its key for an object member, else its value.

    Walks only the path to the pointer; sibling values are skipped with the C
    JSON decoder. Returns the deepest offset reached and whether the whole
    pointer was found. Assumes ``text`` is valid JSON (it has been parsed).
    """

    def skip(i: int) -> int:
        match = _WS.match(text, i)
        return match.end() if match else i

    i = skip(0)
    here = i
    for raw_token in pointer.split("/")[1:] if pointer else ():
        token = _unescape(raw_token)
        char = text[i]
        if char == "{":
            i = skip(i + 1)
            while text[i] != "}":
                key, after_key = _DECODER.raw_decode(text, i)
                value_at = skip(skip(after_key) + 1)
                if key == token:
                    here, i = i, value_at
                    break
                _, after_value = _DECODER.raw_decode(text, value_at)
                i = skip(after_value)
                if text[i] == ",":
                    i = skip(i + 1)
            else:
                return here, False
        elif char == "[" and token.isdigit():
            i = skip(i + 1)
            for _ in range(int(token)):
                if text[i] == "]":
                    return here, False
                _, after_value = _DECODER.raw_decode(text, i)
                i = skip(after_value)
                if text[i] == ",":
                    i = skip(i + 1)
            if text[i] == "]":
                return here, False
            here = i
        else:
            return here, False
    return here, True


def _locator(text: str) -> Callable[[str], SourcePosition]:
    line_starts: list[int] = []

    def locate(pointer: str) -> SourcePosition:
        if not line_starts:
            line_starts.append(0)
            line_starts.extend(m.end() for m in re.finditer("\n", text))
        offset, _found = offset_of(text, pointer)
        line = bisect.bisect_right(line_starts, offset)
        return SourcePosition(line=line, column=offset - line_starts[line - 1] + 1)

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
        parsed: Any = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        return ReadOutcome(
            None,
            (error("KA-JSON-SYNTAX", exc.msg, line=exc.lineno, column=exc.colno),),
            "json",
        )
    except RecursionError:
        return ReadOutcome(None, (error("KA-JSON-SYNTAX", "JSON is nested too deeply"),), "json")
    except ValueError as exc:  # e.g. an integer literal over Python's digit limit
        return ReadOutcome(None, (error("KA-JSON-SYNTAX", _short(str(exc))),), "json")
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


def _short(message: str) -> str:
    return message if len(message) <= 200 else message[:199] + "…"


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
