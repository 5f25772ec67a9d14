"""Where things are in JSON text: the place of a JSON Pointer, and a member written twice.

Parsed JSON has no positions, so findings are placed by reading the text again. Every
function here costs time linear in the text: :func:`offset_of` walks only the path to one
pointer (C-speed skips over everything else), :func:`walk` reads every member once, and
:class:`JsonLocator` uses the first for a few findings and an index built by the second
for many, so that a document with 50,000 findings is placed in one pass, not 50,000.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator

from kanta_archive.formats import pointer as ptr
from kanta_archive.model import SourcePosition

_WS = re.compile(r"[ \t\n\r]*")
# A JSON string as "unrolled loop" (runs of plain characters between escapes): far fewer
# steps for the regex engine than one alternation per character.
_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"'
_SCALAR = rf"(?:{_STRING}|[-+0-9.eE]+|true|false|null)"
# Unambiguous (no two ways to split the white space), so a failing match cannot
# backtrack quadratically over a long run of white space.
_SEP = r"[ \t\n\r]*(?:,[ \t\n\r]*)?"
# An object of scalars only, like a coded value {"system", "code", "display"}.
_FLAT_OBJECT = rf"\{{[ \t\n\r]*(?:{_STRING}[ \t\n\r]*:[ \t\n\r]*{_SCALAR}{_SEP})*\}}"

_KEY = re.compile(r'"([^"\\]*(?:\\.[^"\\]*)*)"[ \t\n\r]*:[ \t\n\r]*')
_SEPARATOR = re.compile(_SEP)
_SCALAR_VALUE = re.compile(_SCALAR)
_DECODER = json.JSONDecoder()

# Lookups that walk their own path before the locator indexes the whole text instead.
PATH_WALKS = 32


@functools.lru_cache(maxsize=256)
def _members_before(token: str) -> re.Pattern[str]:
    """A run of object members to skip while looking for the key ``token``: members whose
    key is written without escapes, is not ``token``, and whose value is a string, number,
    literal or an object of those. One C-speed match skips the whole run; the rest go one by
    one."""
    key = rf'"(?!{re.escape(token)}")[^"\\]*"'
    return re.compile(rf"(?:{key}[ \t\n\r]*:[ \t\n\r]*(?:{_SCALAR}|{_FLAT_OBJECT}){_SEP})*")


def _key(written: str) -> str:
    return json.loads(f'"{written}"') if "\\" in written else written


def _ws(text: str, i: int) -> int:
    return _WS.match(text, i).end()  # type: ignore[union-attr]  # matches the empty string


def offset_of(text: str, pointer: str) -> tuple[int, bool]:
    """The offset of ``pointer`` in ``text``: of its key for an object member, else its value.

    Walks only the path to the pointer: a run of scalar sibling members is skipped by one
    regular expression, an object or array by the C JSON decoder. Returns the deepest
    offset reached and whether the whole pointer was found. Assumes ``text`` is valid JSON
    (it has been parsed).
    """
    i = _ws(text, 0)
    here = i
    for raw_token in pointer.split("/")[1:] if pointer else ():
        token = ptr.unescape(raw_token)
        char = text[i]
        if char == "{":
            i = _ws(text, i + 1)
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
            i = _ws(text, i + 1)
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


class _Frame:
    """An open container during :func:`walk`: its pointer, and the names seen so far (an
    object) or the number of items so far (an array)."""

    __slots__ = ("count", "names", "pointer")

    def __init__(self, pointer: str, is_object: bool) -> None:
        self.pointer = pointer
        self.names: set[str] | None = set() if is_object else None
        self.count = 0


def _member(text: str, i: int, frame: _Frame) -> tuple[int, str, bool]:
    """Read the start of the member at ``i``: where its value starts, its pointer, and
    whether its name was used before in the same object."""
    if frame.names is None:
        pointer = f"{frame.pointer}/{frame.count}"
        frame.count += 1
        return i, pointer, False
    member = _KEY.match(text, i)
    assert member is not None  # parsed JSON: a member starts with its key
    name = _key(member.group(1))
    repeated = name in frame.names
    frame.names.add(name)
    return member.end(), frame.pointer + "/" + ptr.escape(name), repeated


def walk(text: str) -> Iterator[tuple[str, int, bool]]:
    """Every member and array item of the JSON ``text``, in the order written.

    Yields its pointer, its offset (of the key for an object member, of the value for an
    item) and whether its name was already used in the same object. One pass, and no
    recursion, so depth costs nothing. Assumes the text is valid JSON up to the last
    member taken: the caller parsed it, or the parser stopped only after that member.
    """
    frames: list[_Frame] = []
    i = _ws(text, 0)
    current = ""  # the pointer of the value at i
    while True:
        char = text[i]
        if char == "{" or char == "[":
            first = _ws(text, i + 1)
            if text[first] != "}" and text[first] != "]":
                frames.append(_Frame(current, char == "{"))
                i, current, repeated = _member(text, first, frames[-1])
                yield current, first, repeated
                i = _ws(text, i)
                continue
            i = first + 1  # an empty object or array
        else:
            i = _SCALAR_VALUE.match(text, i).end()  # type: ignore[union-attr]
        # After a value: close the containers that end here, then start the next member.
        while frames:
            i = _ws(text, i)
            if text[i] == ",":
                first = _ws(text, i + 1)
                i, current, repeated = _member(text, first, frames[-1])
                yield current, first, repeated
                i = _ws(text, i)
                break
            frames.pop()
            i += 1
        else:
            return


def first_repeated_member(text: str) -> tuple[str, int] | None:
    """The pointer and offset of the first member (in the order written) whose name its
    object already has; None when every object's names are unique."""
    for pointer, offset, repeated in walk(text):
        if repeated:
            return pointer, offset
    return None


# Line numbers are counted from checkpoints this far apart, so that placing a finding
# costs a bounded count, not one from the start of the text.
_CHECKPOINT = 4096


class JsonLocator:
    """Places JSON Pointers of a parsed JSON text: ``locator(pointer)`` gives line and column.

    The first ``path_walks`` lookups walk their own path (:func:`offset_of`: cheap for the
    usual handful of findings); after that every member is indexed in one pass of
    :func:`walk` and the rest are dictionary lookups. A pointer that is not in the text
    is placed at its deepest ancestor that is.
    """

    def __init__(self, text: str, path_walks: int = PATH_WALKS) -> None:
        self._text = text
        self._walks_left = path_walks
        self._index: dict[str, int] | None = None
        # For each checkpoint k (offset k * _CHECKPOINT): line breaks before it, and the
        # offset just after the last of them.
        self._checkpoints: list[tuple[int, int]] | None = None

    def offset(self, pointer: str) -> int:
        """The offset of ``pointer`` (its key, or its value in an array), or of its deepest
        ancestor in the text."""
        if self._index is None:
            if self._walks_left > 0:
                self._walks_left -= 1
                return offset_of(self._text, pointer)[0]
            self._index = {"": _ws(self._text, 0)}
            for member, offset, _repeated in walk(self._text):
                self._index.setdefault(member, offset)
        for candidate in ptr.parents(pointer):
            found = self._index.get(candidate)
            if found is not None:
                return found
        return self._index[""]

    def __call__(self, pointer: str) -> SourcePosition:
        line, column = self.line_column(self.offset(pointer))
        return SourcePosition(line=line, column=column)

    def line_column(self, offset: int) -> tuple[int, int]:
        """1-based line and column of ``offset``."""
        text = self._text
        if self._index is None:  # a few lookups: count from the start
            line_start = text.rfind("\n", 0, offset) + 1
            return text.count("\n", 0, offset) + 1, offset - line_start + 1
        if self._checkpoints is None:
            self._checkpoints = _checkpoints(text)
        breaks, after_last = self._checkpoints[offset // _CHECKPOINT]
        base = offset - offset % _CHECKPOINT
        last = text.rfind("\n", base, offset)
        line_start = last + 1 if last >= 0 else after_last
        return breaks + text.count("\n", base, offset) + 1, offset - line_start + 1


def _checkpoints(text: str) -> list[tuple[int, int]]:
    marks: list[tuple[int, int]] = []
    breaks, after_last = 0, 0
    for base in range(0, len(text) + 1, _CHECKPOINT):
        marks.append((breaks, after_last))
        chunk_end = base + _CHECKPOINT
        breaks += text.count("\n", base, chunk_end)
        last = text.rfind("\n", base, chunk_end)
        if last >= 0:
            after_last = last + 1
    return marks
