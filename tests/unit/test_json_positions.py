"""Finding positions in the JSON form: every JSON Pointer resolves to its place in the text.

``offset_of`` walks the text along one pointer (used only when there is a finding to place);
the property test checks it against the parsed value for any JSON, however it is laid out.
``walk`` reads every member once (the index behind many findings, and the search for a
member written twice); the locator must place every pointer the same way by either path.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kanta_archive.formats import pointer as ptr
from kanta_archive.formats.json_positions import JsonLocator, offset_of, walk
from kanta_archive.formats.json_reader import read_json

_DECODER = json.JSONDecoder()

keys = st.text(alphabet=st.sampled_from('ab/~"\\ äö\U0001f600\n'), max_size=5)
values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=25,
)
layouts = st.sampled_from(
    [
        {"indent": None},
        {"indent": 2},
        {"indent": 0, "ensure_ascii": True},
        {"indent": "\t", "separators": (" ,", " : ")},
        {"indent": None, "separators": (",", ":"), "ensure_ascii": True},
    ]
)


def pointers(value: Any, base: str = "") -> Iterator[tuple[str, Any]]:
    yield base, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from pointers(item, ptr.join(base, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from pointers(item, ptr.join(base, i))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(keys, values, min_size=1, max_size=5), layouts)
def test_every_pointer_is_found_at_its_key_or_value(doc: dict[str, Any], layout: Any) -> None:
    text = json.dumps(doc, **layout)
    for pointer, value in pointers(doc):
        offset, found = offset_of(text, pointer)
        assert found, pointer
        if pointer and isinstance(_parent(doc, pointer), dict):
            key, after_key = _DECODER.raw_decode(text, offset)
            assert key == ptr_last(pointer)
            colon = text.index(":", after_key)
            start = len(text) - len(text[colon + 1 :].lstrip())
            decoded, _ = _DECODER.raw_decode(text, start)
        else:
            decoded, _ = _DECODER.raw_decode(text, offset)
        assert decoded == value, pointer


def ptr_last(pointer: str) -> str:
    return pointer.rsplit("/", 1)[1].replace("~1", "/").replace("~0", "~")


def _parent(doc: Any, pointer: str) -> Any:
    node = doc
    for raw in pointer.split("/")[1:-1]:
        token = raw.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def test_missing_pointer_reports_the_deepest_place_reached() -> None:
    text = '{"metadata": {"a": 1}}'
    offset, found = offset_of(text, "/metadata/b")
    assert not found
    assert text[offset:].startswith('"metadata"')


def test_finding_position_is_line_and_column_of_the_member() -> None:
    text = '{\n  "metadata": {\n    "title": 5\n  },\n  "content": {}\n}\n'
    outcome = read_json(text.encode(), "doc.json")
    assert outcome.document is not None
    where = outcome.document.locate("/metadata/title")
    assert (where.line, where.column) == (3, 5)


def test_long_white_space_between_members_is_skipped_in_one_pass() -> None:
    """Hostile layout: a megabyte of white space must not make the lookup backtrack."""
    text = '{"a": 1' + " " * 1_000_000 + ', "b": {"c": {"d": 2' + "\n" * 1_000_000 + "}}}"
    offset, found = offset_of(text, "/b/c/d")
    assert found and text[offset:].startswith('"d"')


@settings(max_examples=300, deadline=None)
@given(values, layouts)
def test_walk_yields_every_member_once_in_written_order(doc: Any, layout: Any) -> None:
    text = json.dumps(doc, **layout)
    walked = list(walk(text))
    expected = [pointer for pointer, _ in pointers(doc)][1:]  # the root is not a member
    assert [pointer for pointer, _, _ in walked] == expected
    assert not any(repeated for _, _, repeated in walked)
    assert [offset for _, offset, _ in walked] == [offset_of(text, p)[0] for p in expected]


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(keys, values, min_size=1, max_size=5), layouts, st.lists(keys, max_size=3))
def test_indexed_and_walked_lookups_place_every_pointer_alike(
    doc: dict[str, Any], layout: Any, missing: list[str]
) -> None:
    text = json.dumps(doc, **layout)
    asked = [pointer for pointer, _ in pointers(doc)]
    asked += [ptr.join(p, *missing) for p in asked if missing]  # some lead nowhere
    walked = JsonLocator(text)
    indexed = JsonLocator(text, path_walks=0)
    for pointer in asked:
        assert indexed(pointer) == walked(pointer), pointer


def test_member_written_twice_is_found_where_its_second_name_is() -> None:
    text = '{"a": {"b": 1, "c": [1, {"d": 2}]}, "e": {"\\u0062": 1, "b": 2}}'
    repeated = [(pointer, offset) for pointer, offset, again in walk(text) if again]
    assert repeated == [("/e/b", text.index('"b": 2'))]


def test_line_and_column_far_into_a_long_text_agree_with_counting() -> None:
    lines = [" " * (i % 7000) + f'"k{i}": {i}' for i in range(3000)]
    text = "{\n" + ",\n".join(lines) + "\n}"
    locate = JsonLocator(text, path_walks=0)
    for i in (0, 1, 1234, 2999):
        offset = text.index(f'"k{i}"')
        line_start = text.rfind("\n", 0, offset) + 1
        expected = (text.count("\n", 0, offset) + 1, offset - line_start + 1)
        assert locate.line_column(offset) == expected
        where = locate(f"/k{i}")
        assert (where.line, where.column) == expected
