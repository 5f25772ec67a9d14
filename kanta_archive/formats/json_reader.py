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
from kanta_archive.model import NOWHERE, Document, SourcePosition

_WS = re.compile(r"[ \t\n\r]*")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null")


def scan_positions(text: str) -> dict[str, int]:
    """Map every JSON Pointer in ``text`` to the offset of its key (or value).

    Only called when a document has findings to report, so plain and slow is
    fine. Assumes ``text`` is valid JSON (it has already been parsed).
    """
    positions: dict[str, int] = {}

    def skip(i: int) -> int:
        match = _WS.match(text, i)
        return match.end() if match else i

    def value(i: int, pointer: str) -> int:
        i = skip(i)
        positions.setdefault(pointer, i)
        char = text[i]
        if char == "{":
            i = skip(i + 1)
            if text[i] == "}":
                return i + 1
            while True:
                match = _STRING.match(text, i)
                assert match is not None
                member = ptr.join(pointer, json.loads(match.group()))
                positions[member] = i
                i = skip(match.end()) + 1  # past ':'
                i = skip(value(i, member))
                if text[i] == "}":
                    return i + 1
                i = skip(i + 1)
        if char == "[":
            i = skip(i + 1)
            if text[i] == "]":
                return i + 1
            index = 0
            while True:
                i = skip(value(i, ptr.join(pointer, index)))
                index += 1
                if text[i] == "]":
                    return i + 1
                i += 1
        match = (_STRING if char == '"' else _SCALAR).match(text, i)
        return match.end() if match else i + 1

    value(0, "")
    return positions


def _locator(text: str) -> Callable[[str], SourcePosition]:
    cache: dict[str, dict[str, int]] = {}
    line_starts: list[int] = []

    def locate(pointer: str) -> SourcePosition:
        if "p" not in cache:
            cache["p"] = scan_positions(text)
            line_starts.extend(m.end() for m in re.finditer("\n", text))
        positions = cache["p"]
        for candidate in ptr.parents(pointer):
            if candidate in positions:
                offset = positions[candidate]
                line = bisect.bisect_right(line_starts, offset)
                start = line_starts[line - 1] if line else 0
                return SourcePosition(line=line + 1, column=offset - start + 1)
        return NOWHERE

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
        parsed: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        return ReadOutcome(
            None,
            (error("KA-JSON-SYNTAX", exc.msg, line=exc.lineno, column=exc.colno),),
            "json",
        )
    except RecursionError:
        return ReadOutcome(None, (error("KA-JSON-SYNTAX", "JSON is nested too deeply"),), "json")
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
    )
    return ReadOutcome(document, (), "json")


def _shape_problem(parsed: Any) -> tuple[str, str] | None:
    if not isinstance(parsed, dict):
        return ("a document must be a JSON object with 'metadata' and 'content'", "")
    for key in ("metadata", "content"):
        if key not in parsed:
            return (f"the document has no '{key}' member", "")
        if not isinstance(parsed[key], dict):
            return (f"'{key}' must be a JSON object", "/" + key)
    extra = sorted(set(parsed) - {"metadata", "content"})
    if extra:
        return (f"unexpected top-level member '{extra[0]}'", ptr.join("", extra[0]))
    return None
